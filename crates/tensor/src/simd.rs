//! Running a loop with wider vectors when the CPU has them.
//!
//! The crate is compiled for the baseline target (on x86-64: SSE2, four `f32` lanes) so
//! that it runs on every CPU of the architecture. [`vectorized`] runs a closure inside a
//! function compiled with AVX2 enabled when the CPU has AVX2, so the loops it inlines
//! vectorize eight lanes wide: about half the instructions for elementwise work.
//!
//! Results are bitwise the same either way. The same IEEE operations run in the same order
//! (addition, multiplication, division and square root round the same way in any lane
//! width), FMA is not enabled so no multiply and add are contracted into one rounding, and
//! floating-point sums are never reordered by the compiler.
#![allow(unsafe_code)]

/// Runs `f`, compiled with AVX2 enabled when the CPU supports it (checked at run time, a
/// cached flag), else as is. For hot loops over slices in kernels that must stay portable.
///
/// Only code inlined into the AVX2 version is compiled for AVX2, and a closure called from
/// two places is often kept out of line: mark the closure `#[inline(always)]` (and any
/// function it calls for the loop), as below. Without that the result is the same, but the
/// loop may run without AVX2.
///
/// # Examples
///
/// ```
/// #[inline(always)]
/// fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
///     for (y, x) in y.iter_mut().zip(x) {
///         *y += a * x;
///     }
/// }
///
/// let x = vec![1.0f32; 1000];
/// let mut y = vec![1.0f32; 1000];
/// backprop_tensor::vectorized(#[inline(always)] || axpy(2.0, &x, &mut y));
/// assert!(y.iter().all(|&v| v == 3.0));
/// ```
#[inline(always)]
pub fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { with_avx2(f) };
    }
    f()
}

/// Calls `f` in a function compiled with AVX2 enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Inputs for tests of vectorized loops: `n` values of `T` that tell kernels apart (NaN of
/// both signs, ±0, ±∞, the smallest subnormal, ±1) interleaved with ordinary values of
/// both signs, varied by `seed`. Lengths from 0 to past a few vector widths exercise the
/// vector body and the scalar tail.
#[cfg(test)]
pub(crate) fn awkward_values<T: crate::Float>(n: usize, seed: u64) -> Vec<T> {
    let special = [
        T::nan(),
        -T::nan(),
        T::zero(),
        -T::zero(),
        T::infinity(),
        T::neg_infinity(),
        T::min_positive_value() * T::epsilon(),
        T::one(),
        -T::one(),
    ];
    (0..n as u64)
        .map(|i| {
            let k = i
                .wrapping_mul(2_654_435_761)
                .wrapping_add(seed.wrapping_mul(40_503))
                % 23;
            match usize::try_from(k) {
                Ok(k) if k < special.len() => special[k],
                _ => T::from_f64(((i + 3 * seed) as f64 * 0.731).sin() * 7.5),
            }
        })
        .collect()
}

/// The bit patterns of `v`, so that NaN payloads and the sign of zero are compared too.
#[cfg(test)]
pub(crate) fn bits<T: crate::Float>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.as_f64().to_bits()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_bitwise_those_of_the_baseline_loop() {
        // Division, square root, and a sum whose order must not change.
        let x: Vec<f32> = (0..1003).map(|i| (i as f32 * 0.377).sin() * 50.0).collect();
        let kernel = |x: &[f32]| -> (Vec<f32>, f32) {
            let y: Vec<f32> = x
                .iter()
                .map(|v| (v * v + 1.0).sqrt() / (v.abs() + 3.0))
                .collect();
            let s = y.iter().fold(0.0f32, |a, b| a + b);
            (y, s)
        };
        let (want, want_sum) = kernel(&x);
        let (got, got_sum) = vectorized(
            #[inline(always)]
            || kernel(&x),
        );
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
        assert_eq!(got_sum.to_bits(), want_sum.to_bits());
    }
}
