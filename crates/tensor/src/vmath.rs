//! Fast `f32` exponential and natural logarithm over slices, and the [`Tensor::exp`] /
//! [`Tensor::log`] methods built on them.
//!
//! libm's `expf`/`logf` cost 6–15 ns per element and are opaque calls, so a loop over
//! them never vectorizes. The functions here are branch-free straight-line code
//! (comparisons become selects, `2^n` is built from bits, rounding to an integer uses
//! the 1.5·2²³ trick rather than `round`, which would be a call without SSE4.1), so LLVM
//! vectorizes the slice loops with the baseline target features (SSE2 on x86-64), and
//! again with AVX2 enabled, chosen at run time when the CPU has it (twice the lanes, the
//! same operations); no `target-cpu=native`, no FMA (without the `fma` feature `mul_add`
//! would be a call, and contracting would change the bits between the two). Every element is computed by the same scalar sequence of IEEE operations
//! whether it lands in a vector lane or in the tail, so results do not depend on the
//! slice length or on an element's position.
//!
//! The one `unsafe` here is calling the AVX2 copies of the loops, after checking that the
//! CPU has AVX2.
//!
//! Why hand-written: `std::intrinsics::simd_fexp` is nightly-only; `rten-vecmath` (stable,
//! runtime-dispatched) has `exp` but no logarithm, is pre-1.0 with breaking API changes
//! in most releases and brings its own SIMD layer (`rten-simd`); `simd_vector` is
//! x86-64-only vector types with `exp` but no `ln`. Two ~30-line Cephes kernels are
//! cheaper to own than any of these.
//!
//! Algorithms (Cephes `expf`/`logf`, S. L. Moshier):
//! - `exp`: x = n·ln2 + r with n = round(x·log₂e) and r = x - n·C1 - n·C2, where
//!   C1 + C2 = ln 2 and C1 has 9 significant bits so n·C1 is exact; e^r ≈
//!   1 + r + r²·P(r) with a degree-5 minimax P on |r| ≤ ln2/2; then · 2^n as two
//!   factors 2^⌊n/2⌋ · 2^(n-⌊n/2⌋), each a normal float, so results in the subnormal
//!   range are rounded once. x is clamped to [-104, 89] first: below, the result rounds
//!   to 0; above, it overflows to +∞. NaN passes through the clamp and stays NaN.
//! - `ln`: x = m·2^e with m in [√½, √2) read from the bits (subnormals are first scaled
//!   by 2²³); with f = m - 1 (exact), ln(1 + f) ≈ f - f²/2 + f³·P(f) with a degree-8
//!   minimax P, plus e·ln2 added as e·C1 + e·C2. 0 → -∞, negative or NaN → NaN, +∞ → +∞.
//!
//! Accuracy, measured by the tests below against `f64` `exp`/`ln` on every 1000th `f32`
//! bit pattern plus edge cases: at most 1 ulp for `exp`, and at most 1 ulp for `ln`
//! (see [`tests`] for the exact bounds asserted).

#![allow(unsafe_code)]

use crate::{Float, Tensor};

/// 1.5·2²³: adding it to |v| < 2²² rounds v to an integer (round half to even) held in the
/// low mantissa bits.
const ROUND_MAGIC: f32 = 12_582_912.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO, with LN2_HI = 355/512 exact in 9 bits.
const LN2_HI: f32 = 355.0 / 512.0;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Below this e^x rounds to 0 (e^-103.97 is half the smallest subnormal).
const EXP_LO: f32 = -104.0;
/// Above this e^x overflows (ln(f32::MAX) ≈ 88.72).
const EXP_HI: f32 = 89.0;

/// Cephes `expf` minimax coefficients of P (highest degree first): e^r ≈ 1 + r + r²·P(r).
const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5, // Cephes 5.0000001201e-1, which rounds to 0.5 in f32.
];
/// Cephes `logf` minimax coefficients of P (highest degree first):
/// ln(1 + f) ≈ f - f²/2 + f³·P(f).
const LN_P: [f32; 9] = [
    7.037_683_6e-2,
    -1.151_461e-1,
    1.167_699_9e-1,
    -1.242_014_1e-1,
    1.424_932_3e-1,
    -1.666_805_8e-1,
    2.000_071_4e-1,
    -2.499_999_4e-1,
    3.333_333e-1,
];

/// e^x for one `f32`, branch-free (see the module doc).
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    // Comparisons (not f32::clamp/max) so that NaN passes through unchanged.
    let x = if x < EXP_LO { EXP_LO } else { x };
    let x = if x > EXP_HI { EXP_HI } else { x };
    let t = x * LOG2_E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    // The integer n sits in the low mantissa bits of t (|n| ≤ 151).
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let z = r * r;
    let mut p = EXP_P[0];
    for &c in &EXP_P[1..] {
        p = p * r + c;
    }
    let e = p * z + r + 1.0;
    // 2^n = 2^n1 · 2^n2 with n1, n2 in [-76, 64]: both are normal floats.
    let n1 = ni >> 1;
    let n2 = ni.wrapping_sub(n1);
    let s1 = f32::from_bits((n1.wrapping_add(127) << 23) as u32);
    let s2 = f32::from_bits((n2.wrapping_add(127) << 23) as u32);
    e * s1 * s2
}

/// ln x for one `f32`, branch-free (see the module doc).
#[inline(always)]
fn ln_f32(x: f32) -> f32 {
    // Subnormals: scale into the normal range and correct the exponent.
    let sub = x < f32::MIN_POSITIVE;
    let xs = if sub { x * 8_388_608.0 } else { x };
    let e_adj: i32 = if sub { -23 } else { 0 };
    // Split xs = m · 2^e with m in [√½, √2) by offsetting the bits by those of √½.
    let ix = (xs.to_bits() as i32).wrapping_sub(0x3f35_04f3);
    let e = (ix >> 23).wrapping_add(e_adj);
    let m = f32::from_bits(((ix & 0x007f_ffff) + 0x3f35_04f3) as u32);
    let fe = e as f32;
    let f = m - 1.0;
    let z = f * f;
    let mut p = LN_P[0];
    for &c in &LN_P[1..] {
        p = p * f + c;
    }
    let mut y = p * f * z;
    y += LN2_LO * fe;
    y += -0.5 * z;
    let r = f + y + LN2_HI * fe;
    let r = if x == f32::INFINITY { x } else { r };
    let r = if x == 0.0 { f32::NEG_INFINITY } else { r };
    // Negative inputs and NaN (both fail x >= 0).
    if x >= 0.0 { r } else { f32::NAN }
}

/// Applies `f` from `src` to `dst` in chunks of 8 so the loop body is one vector block.
#[inline(always)]
fn map_slice(src: &[f32], dst: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    assert_eq!(
        src.len(),
        dst.len(),
        "vmath: source and destination lengths differ"
    );
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (dc, sc) in (&mut d).zip(&mut s) {
        for i in 0..8 {
            dc[i] = f(sc[i]);
        }
    }
    for (dv, &sv) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *dv = f(sv);
    }
}

/// Applies `f` to every element of `x` in place, in chunks of 8.
#[inline(always)]
fn map_in_place(x: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    let mut c = x.chunks_exact_mut(8);
    for ch in &mut c {
        for v in ch.iter_mut() {
            *v = f(*v);
        }
    }
    for v in c.into_remainder() {
        *v = f(*v);
    }
}

/// Calls `$avx2` (the same loop compiled with AVX2 enabled) when the CPU has AVX2, else
/// `$baseline`. The two run the same IEEE operations in the same order — no FMA is enabled,
/// so nothing is contracted — and give the same bits; AVX2 only makes the vectors 8 lanes
/// wide instead of 4 (about half the instructions). The feature test reads a flag cached
/// by the standard library after the first call.
macro_rules! dispatch {
    ($avx2:ident($($arg:expr),*), $baseline:expr) => {{
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { avx2::$avx2($($arg),*) };
        }
        $baseline
    }};
}

/// The slice loops compiled with AVX2 enabled (see `dispatch!`).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{exp_f32, ln_f32, map_in_place, map_slice};

    #[target_feature(enable = "avx2")]
    pub(super) fn exp_slice(src: &[f32], dst: &mut [f32]) {
        map_slice(src, dst, exp_f32);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn ln_slice(src: &[f32], dst: &mut [f32]) {
        map_slice(src, dst, ln_f32);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn exp_in_place(x: &mut [f32]) {
        map_in_place(x, exp_f32);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn ln_in_place(x: &mut [f32]) {
        map_in_place(x, ln_f32);
    }
}

/// `dst[i] = e^src[i]`; panics if the lengths differ.
pub(crate) fn exp_f32_slice(src: &[f32], dst: &mut [f32]) {
    dispatch!(exp_slice(src, dst), map_slice(src, dst, exp_f32))
}

/// `dst[i] = ln src[i]`; panics if the lengths differ.
pub(crate) fn ln_f32_slice(src: &[f32], dst: &mut [f32]) {
    dispatch!(ln_slice(src, dst), map_slice(src, dst, ln_f32))
}

/// `x[i] = e^x[i]`.
pub(crate) fn exp_f32_in_place(x: &mut [f32]) {
    dispatch!(exp_in_place(x), map_in_place(x, exp_f32))
}

/// `x[i] = ln x[i]`.
pub(crate) fn ln_f32_in_place(x: &mut [f32]) {
    dispatch!(ln_in_place(x), map_in_place(x, ln_f32))
}

/// Applies a slice kernel to a tensor: directly on its storage when it is a row-major
/// slice, else on a row-major copy (so every layout gives the same bits).
fn apply<T: Float>(t: &Tensor<T>, kernel: fn(&mut [T])) -> Tensor<T> {
    let mut data = t.data.as_standard_layout().into_owned();
    kernel(data.as_slice_mut().expect("standard layout"));
    Tensor::from_array(data)
}

impl<T: Float> Tensor<T> {
    /// Elementwise `e^x` (vectorized for `f32`: within 1 ulp; see [`Float::exp_slice`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let y = Tensor::from_vec(vec![0.0f32, 1.0, f32::NEG_INFINITY], &[3]).unwrap().exp();
    /// assert_eq!(y.to_vec()[0], 1.0);
    /// assert!((y.to_vec()[1] - std::f32::consts::E).abs() <= f32::EPSILON * 3.0);
    /// assert_eq!(y.to_vec()[2], 0.0);
    /// ```
    pub fn exp(&self) -> Tensor<T> {
        apply(self, T::exp_in_place)
    }

    /// Elementwise natural logarithm (vectorized for `f32`: within 1 ulp; see
    /// [`Float::ln_slice`]). ln 0 = -∞, ln of a negative number is NaN.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let y = Tensor::from_vec(vec![1.0f32, 0.0, -1.0], &[3]).unwrap().log();
    /// assert_eq!(y.to_vec()[0], 0.0);
    /// assert_eq!(y.to_vec()[1], f32::NEG_INFINITY);
    /// assert!(y.to_vec()[2].is_nan());
    /// ```
    pub fn log(&self) -> Tensor<T> {
        apply(self, T::ln_in_place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of one ulp of `f32` at the magnitude of `v` (subnormal spacing below the
    /// normal range).
    fn ulp_at(v: f64) -> f64 {
        let a = v.abs();
        if a < f32::MIN_POSITIVE as f64 {
            return 2f64.powi(-149);
        }
        2f64.powi(a.log2().floor() as i32 - 23)
    }

    /// Error of `got` against the exact value `want`, in ulps of `f32`; special values
    /// (infinities, NaN, exact zeros) must match exactly or count as infinitely wrong.
    fn ulp_error(got: f32, want: f64) -> f64 {
        let want32 = want as f32;
        if want.is_nan() {
            return if got.is_nan() { 0.0 } else { f64::INFINITY };
        }
        if want32.is_infinite() {
            // Overflow: the reference itself rounds to ±∞ in f32.
            return if got == want32 { 0.0 } else { f64::INFINITY };
        }
        if got.is_nan() || got.is_infinite() {
            return f64::INFINITY;
        }
        (got as f64 - want).abs() / ulp_at(want)
    }

    /// Every `step`-th bit pattern of `f32` (both signs), plus the edge cases.
    fn sweep(step: usize) -> Vec<f32> {
        let mut xs: Vec<f32> = (0..=u32::MAX).step_by(step).map(f32::from_bits).collect();
        xs.extend([
            0.0,
            -0.0,
            1.0,
            -1.0,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::from_bits(0x007f_ffff),
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            88.72,
            88.7228,
            88.72284,
            88.722_84,
            -87.33655,
            -87.3366,
            -103.97,
            -103.972_08,
            -104.0,
            -150.0,
            std::f32::consts::LN_2,
            std::f32::consts::SQRT_2,
            std::f32::consts::FRAC_1_SQRT_2,
            1.0 + f32::EPSILON,
            1.0 - f32::EPSILON / 2.0,
        ]);
        // Dense near 1 for ln (where ln x is small) and near 0 for exp.
        xs.extend((0..200_000).map(|i| 0.5 + i as f32 * 7.5e-6));
        xs.extend((0..200_000).map(|i| -1.0 + i as f32 * 1e-5));
        xs
    }

    /// Max ulp error of a slice kernel against an f64 reference over the sweep.
    fn max_ulp(kernel: fn(&[f32], &mut [f32]), reference: fn(f64) -> f64) -> (f64, f32) {
        let xs = sweep(1000);
        let mut ys = vec![0.0; xs.len()];
        kernel(&xs, &mut ys);
        let mut worst = (0.0, 0.0);
        for (&x, &y) in xs.iter().zip(&ys) {
            let e = ulp_error(y, reference(x as f64));
            if e.is_nan() || e > worst.0 {
                worst = (e, x);
            }
        }
        worst
    }

    #[test]
    fn exp_is_within_one_ulp_of_the_f64_reference() {
        let (err, at) = max_ulp(exp_f32_slice, f64::exp);
        println!("exp: max error {err} ulp at x = {at:e}");
        assert!(err <= 1.0, "exp: {err} ulp at x = {at:e}");
    }

    #[test]
    fn ln_is_within_one_ulp_of_the_f64_reference() {
        let (err, at) = max_ulp(ln_f32_slice, f64::ln);
        println!("ln: max error {err} ulp at x = {at:e}");
        assert!(err <= 1.0, "ln: {err} ulp at x = {at:e}");
    }

    #[test]
    fn special_values() {
        let x = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            89.0,
            -104.0,
            -1.0,
        ];
        let mut e = [0.0; 8];
        exp_f32_slice(&x, &mut e);
        assert!(e[0].is_nan());
        assert_eq!(
            &e[1..7],
            &[f32::INFINITY, 0.0, 1.0, 1.0, f32::INFINITY, 0.0]
        );
        let mut l = [0.0; 8];
        ln_f32_slice(&x, &mut l);
        assert!(l[0].is_nan() && l[2].is_nan() && l[7].is_nan());
        assert_eq!(l[1], f32::INFINITY);
        assert_eq!(l[3], f32::NEG_INFINITY);
        assert_eq!(l[4], f32::NEG_INFINITY);
        // The smallest subnormal: ln(2^-149) = -149 ln 2.
        let mut s = [0.0];
        ln_f32_slice(&[f32::from_bits(1)], &mut s);
        assert!(ulp_error(s[0], -149.0 * std::f64::consts::LN_2) <= 1.0);
    }

    #[test]
    fn results_do_not_depend_on_position_or_length() {
        let xs: Vec<f32> = (0..37).map(|i| -20.0 + i as f32 * 1.13).collect();
        let mut whole = vec![0.0; 37];
        exp_f32_slice(&xs, &mut whole);
        for (i, &x) in xs.iter().enumerate() {
            let mut one = [0.0];
            exp_f32_slice(&[x], &mut one);
            assert_eq!(one[0].to_bits(), whole[i].to_bits());
        }
        let mut in_place = xs.clone();
        exp_f32_in_place(&mut in_place);
        assert_eq!(in_place, whole);
    }

    #[test]
    fn the_dispatched_kernels_match_the_baseline_bitwise() {
        // On an AVX2 machine the public functions take the AVX2 loops; they must give the
        // bits of the baseline loops on every input, including the edge cases.
        let xs = sweep(997);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        type Kernels = (fn(&[f32], &mut [f32]), fn(f32) -> f32, fn(&mut [f32]));
        let kernels: [Kernels; 2] = [
            (exp_f32_slice, exp_f32, exp_f32_in_place),
            (ln_f32_slice, ln_f32, ln_f32_in_place),
        ];
        for (slice_kernel, scalar, in_place_kernel) in kernels {
            let mut want = vec![0.0; xs.len()];
            map_slice(&xs, &mut want, scalar);
            let mut got = vec![0.0; xs.len()];
            slice_kernel(&xs, &mut got);
            assert_eq!(bits(&got), bits(&want));
            let mut in_place = xs.clone();
            in_place_kernel(&mut in_place);
            assert_eq!(bits(&in_place), bits(&want));
        }
    }

    #[test]
    fn tensor_exp_and_log_agree_across_layouts_and_types() {
        let t = Tensor::<f32>::randn(&[5, 7], &mut crate::Rng::seed_from_u64(1));
        let strided = Tensor::from_array(t.array().clone().reversed_axes());
        let dense = strided.to_contiguous();
        assert_eq!(strided.exp(), dense.exp());
        assert_eq!(strided.abs().log(), dense.abs().log());
        let t64 = Tensor::<f64>::randn(&[9], &mut crate::Rng::seed_from_u64(2));
        let want: Vec<f64> = t64.to_vec().iter().map(|v| v.exp()).collect();
        assert_eq!(t64.exp().to_vec(), want);
    }
}
