//! The matrix-product kernel behind every `matmul`: `C = A·B` for strided 2-D views.
//!
//! f32 and f64 products go to the [`gemm`] crate (packed, cache-blocked, FMA micro-kernels
//! selected at run time; it also reads transposed operands in place, so `x·Wᵀ` copies
//! nothing), on the [`crate::threads`] pool when the product has at least
//! [`PARALLEL_MIN_FLOPS`] multiply-adds. Its threads own disjoint blocks of `C` and each
//! block's sum over `k` runs in the same order as on one thread, so the result is bitwise
//! independent of the thread count.
//!
//! Products of at most [`SMALL_MAX_FLOPS`] multiply-adds (W1's `[120, 4] · [4, 8]` and the like)
//! skip the `gemm` crate, whose fixed cost per call (about 1 µs) exceeds their arithmetic, and
//! run on the single-threaded kernel in [`small`]: 2–5× faster at W1's shapes, measured with
//! the `small matmul` group of `benches/tensor.rs`, which times both kernels in one run.
//!
//! This module holds most of the crate's `unsafe` code: [`gemm::gemm`] takes raw pointers and
//! strides, the small kernel uses AVX2/FMA intrinsics behind a run-time CPU check, and
//! [`view2`] builds a 2-D view from a pointer, shape and strides.

#![allow(unsafe_code)]

use std::any::TypeId;

use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewMut2, ShapeBuilder, linalg::general_mat_mul};

use crate::Float;
use crate::threads::{PARALLEL_MIN_FLOPS, pool};

mod parallel;
mod small;

/// Products with at most this many multiply-adds (`m·n·k`) run on the small kernel
/// ([`small`]) instead of the `gemm` crate. Measured (both kernels, same run, f32): the small
/// kernel is 1.5–5× faster at W1's shapes (≤ 8,640), 2× at 16³ = 4,096, 1.3× at 24³ = 13,824,
/// and 1.4× slower at 32³ = 32,768; the threshold sits between the last two.
pub(crate) const SMALL_MAX_FLOPS: usize = 1 << 14;

/// Which kernel computes a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// The small kernel up to [`SMALL_MAX_FLOPS`], else the `gemm` crate.
    Auto,
    /// Always the small kernel (for benchmarks and tests).
    Small,
    /// Always the `gemm` crate (for benchmarks and tests).
    Packed,
    /// The small kernel's portable path, which CPUs without AVX2 and FMA run.
    #[cfg(test)]
    SmallPortable,
}

/// Where a product of `m·n·k` multiply-adds goes: the one decision both
/// [`matmul_into_with`] and [`matmul_new`] (which must know whether the kernel will write
/// every element without reading it) rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// An empty output: nothing to write.
    Empty,
    /// `k = 0`: the output is all zeros.
    ZeroInner,
    /// The small kernel ([`small::small_into`]).
    Small,
    /// The small kernel's portable path, forced.
    #[cfg(test)]
    SmallPortable,
    /// The `gemm` crate (f32 and f64).
    Packed,
    /// ndarray's product, for other element types.
    General,
}

fn route<T: Float>(m: usize, n: usize, k: usize, kernel: Kernel) -> Route {
    if m == 0 || n == 0 {
        return Route::Empty;
    }
    if k == 0 {
        return Route::ZeroInner;
    }
    #[cfg(test)]
    if kernel == Kernel::SmallPortable {
        return Route::SmallPortable;
    }
    if kernel == Kernel::Small || (kernel == Kernel::Auto && m * n * k <= SMALL_MAX_FLOPS) {
        return Route::Small;
    }
    if is_f32_or_f64::<T>() {
        Route::Packed
    } else {
        Route::General
    }
}

fn is_f32_or_f64<T: Float>() -> bool {
    TypeId::of::<T>() == TypeId::of::<f32>() || TypeId::of::<T>() == TypeId::of::<f64>()
}

/// The 2-D view of 2-D data `x`, without ndarray's general conversion of dimensions (which
/// cost a small product a tenth of its instructions).
///
/// # Panics
///
/// If `x` is not 2-D.
pub(crate) fn view2<T>(x: &ArrayD<T>) -> ArrayView2<'_, T> {
    if let ([m, n], &[rs, cs]) = (x.shape(), x.strides())
        && rs >= 0
        && cs >= 0
    {
        // SAFETY: the shape and (non-negative) strides are those of `x`, a live array
        // borrowed for the lifetime of the view, and the pointer is that of its first
        // element: the view sees exactly `x`'s elements, which `x` keeps alive and which
        // cannot be mutated while it is borrowed.
        return unsafe {
            ArrayView2::from_shape_ptr((*m, *n).strides((rs as usize, cs as usize)), x.as_ptr())
        };
    }
    x.view()
        .into_dimensionality()
        .expect("view2: the array is not 2-D")
}

/// `a · b` in a new row-major array. When the kernel that will run writes every element of
/// `C` through raw pointers without reading it (the `gemm` crate with `read_dst = false`,
/// the AVX2 small kernel), the array is not zeroed first: zeroing cost W1 a tenth of its
/// instructions (a `calloc` and `memset` per product) and W2 a memset of every multi-MB
/// output. Every other route starts from zeros.
///
/// Callers check the shapes: `a` is `[m, k]`, `b` is `[k, n]`.
pub(crate) fn matmul_new<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> Array2<T> {
    let (m, k) = a.dim();
    let n = b.dim().1;
    // The `gemm` crate (with `read_dst = false`) and the AVX2 small kernel store every
    // element of `C` through raw pointers and never read it.
    let raw_writes = match route::<T>(m, n, k, Kernel::Auto) {
        Route::Packed => true,
        Route::Small => is_f32_or_f64::<T>() && small::has_direct_kernel(),
        _ => false,
    };
    if !raw_writes {
        let mut c = Array2::zeros((m, n));
        matmul_into(a, b, c.view_mut());
        return c;
    }
    // The output buffer, from the per-thread pool of freed buffers when it has one of
    // this size (`crate::pool`).
    let len = m
        .checked_mul(n)
        .expect("matmul: output size overflows usize");
    let mut c: Vec<T> = crate::pool::vec_with_capacity(len);
    // SAFETY: `c` has room for m·n elements of `T` (its pointer is valid for them, or
    // dangling and well aligned when there are none), so the pointer and the row-major
    // shape describe writable memory. The view is only handed to `matmul_into`, whose
    // route (`raw_writes` above) is the `gemm` crate with `read_dst = false` or the AVX2
    // small kernel: both store every element of `C` through raw pointers and neither reads
    // it. So all m·n elements are initialized when the length is set, and no
    // uninitialized value was read or referenced as `T` before.
    unsafe {
        let view = ArrayViewMut2::from_shape_ptr((m, n), c.as_mut_ptr());
        matmul_into(a, b, view);
        c.set_len(len);
        // SAFETY: `c` holds the m·n elements of the row-major shape.
        Array2::from_shape_vec_unchecked((m, n), c)
    }
}

/// Writes `a · b` into `c` (overwriting it).
///
/// Callers check the shapes: `a` is `[m, k]`, `b` is `[k, n]`, `c` is `[m, n]`.
pub(crate) fn matmul_into<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
) {
    matmul_into_with(a, b, c, Kernel::Auto);
}

/// [`matmul_into`] on a chosen kernel.
pub(crate) fn matmul_into_with<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
    kernel: Kernel,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    debug_assert_eq!(b.dim().0, k);
    debug_assert_eq!(c.dim(), (m, n));
    let mut c = c;
    match route::<T>(m, n, k, kernel) {
        Route::Empty => return,
        Route::ZeroInner => {
            c.fill(T::zero());
            return;
        }
        #[cfg(test)]
        Route::SmallPortable => {
            small::packed(a, b, c);
            return;
        }
        Route::Small => {
            small::small_into(a, b, c);
            return;
        }
        Route::General => {
            general_mat_mul(T::one(), &a, &b, T::zero(), &mut c);
            return;
        }
        Route::Packed => {}
    }
    let flops = m * n * k;
    let pool = if flops >= PARALLEL_MIN_FLOPS {
        pool()
    } else {
        None
    };
    match pool {
        Some(team) => parallel::packed_on_team(a, b, c, &team),
        None => packed(a, b, c, gemm::Parallelism::None),
    }
}

/// The packed kernel of the `gemm` crate; `T` must be f32 or f64.
fn packed<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
    parallelism: gemm::Parallelism,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (ars, acs) = (a.strides()[0], a.strides()[1]);
    let (brs, bcs) = (b.strides()[0], b.strides()[1]);
    let (crs, ccs) = (c.strides()[0], c.strides()[1]);
    // SAFETY: `a`, `b` and `c` are live ndarray views of shapes [m, k], [k, n] and [m, n]
    // (checked by the callers of `matmul_into`, debug-asserted there); the pointers and
    // strides are theirs, so every element the kernel reads or writes lies inside them. `c`
    // is borrowed mutably for the whole call and so cannot alias `a` or `b`. `T` is f32 or
    // f64 (checked by `matmul_into`), the types `gemm` implements. With `read_dst = false`
    // the old contents of `c` are ignored and `alpha` is unused; `beta = 1` gives `c = a·b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            ccs,
            crs,
            false,
            a.as_ptr(),
            acs,
            ars,
            b.as_ptr(),
            bcs,
            brs,
            T::zero(),
            T::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::{Rng, Tensor};

    /// The product by the definition, in f64, to compare every path against.
    fn reference(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
        let (m, k) = a.dim();
        let n = b.dim().1;
        Array2::from_shape_fn((m, n), |(i, j)| (0..k).map(|p| a[[i, p]] * b[[p, j]]).sum())
    }

    fn random(rng: &mut Rng, r: usize, c: usize) -> Array2<f64> {
        Tensor::<f64>::randn(&[r, c], rng)
            .into_array()
            .into_dimensionality()
            .unwrap()
    }

    /// Every layout of both operands: row-major, transposed views, and views that skip every
    /// other row and column (neither stride is 1).
    fn layouts(x: &Array2<f64>) -> [(Array2<f64>, bool, bool); 3] {
        let (r, c) = x.dim();
        let mut spread = Array2::from_elem((2 * r, 2 * c), f64::NAN);
        spread.slice_mut(ndarray::s![..;2, ..;2]).assign(x);
        [
            (x.clone(), false, false),
            (x.t().as_standard_layout().into_owned(), true, false),
            (spread, false, true),
        ]
    }

    fn view((x, transposed, spread): &(Array2<f64>, bool, bool)) -> ArrayView2<'_, f64> {
        match (transposed, spread) {
            (true, _) => x.t(),
            (false, true) => x.slice(ndarray::s![..;2, ..;2]),
            (false, false) => x.view(),
        }
    }

    #[test]
    fn every_path_and_layout_matches_the_definition() {
        let mut rng = Rng::seed_from_u64(5);
        // Tiny (W1's shapes, widths around the small kernel's register block, m or n = 1),
        // medium (one thread), large (threaded), and an empty inner extent.
        let shapes = [
            (120, 4, 8),
            (120, 9, 3),
            (3, 120, 9),
            (9, 120, 8),
            (3, 4, 5),
            (5, 3, 17),
            (7, 2, 16),
            (1, 7, 1),
            (1, 5, 9),
            (6, 5, 1),
            (40, 30, 50),
            (150, 130, 140),
            (4, 0, 3),
        ];
        for &(m, k, n) in &shapes {
            let a = random(&mut rng, m, k);
            let b = random(&mut rng, k, n);
            let want = reference(&a, &b);
            let small = m * n * k <= 20_000;
            let kernels: &[Kernel] = if small {
                &[
                    Kernel::Auto,
                    Kernel::Small,
                    Kernel::Packed,
                    Kernel::SmallPortable,
                ]
            } else {
                &[Kernel::Auto, Kernel::Packed]
            };
            for al in &layouts(&a) {
                for bl in &layouts(&b) {
                    for &kernel in kernels {
                        let mut c = Array2::from_elem((m, n), f64::NAN);
                        matmul_into_with(view(al), view(bl), c.view_mut(), kernel);
                        let err = (&c - &want).iter().fold(0.0f64, |e, x| e.max(x.abs()));
                        assert!(err < 1e-12, "{m}x{k}x{n} {kernel:?}: error {err}");
                        // The same in f32, against the f64 definition.
                        let (a32, b32) = (view(al).mapv(|x| x as f32), view(bl).mapv(|x| x as f32));
                        let mut c32 = Array2::from_elem((m, n), f32::NAN);
                        matmul_into_with(a32.view(), b32.view(), c32.view_mut(), kernel);
                        let err = (&c32.mapv(f64::from) - &want)
                            .iter()
                            .fold(0.0f64, |e, x| e.max(x.abs()));
                        assert!(err < 1e-4, "f32 {m}x{k}x{n} {kernel:?}: error {err}");
                    }
                }
            }
        }
    }

    #[test]
    fn new_products_are_fully_written() {
        // `matmul_new` skips zeroing on the raw-pointer kernels: every element must still
        // come out as the product (an unwritten one would hold stale heap contents).
        let mut rng = Rng::seed_from_u64(9);
        for &(m, k, n) in &[
            (120, 4, 8),
            (3, 120, 9),
            (1, 1, 1),
            (7, 2, 16),
            (40, 30, 50),
            (150, 130, 140),
            (4, 0, 3),
            (0, 3, 4),
        ] {
            let a = random(&mut rng, m, k);
            let b = random(&mut rng, k, n);
            let want = reference(&a, &b);
            let bt = b.t().as_standard_layout().into_owned();
            for b in [b.view(), bt.t()] {
                let c = matmul_new(a.view(), b);
                assert_eq!(c.dim(), (m, n));
                let err = (&c - &want).iter().fold(0.0f64, |e, x| e.max(x.abs()));
                assert!(err < 1e-12, "{m}x{k}x{n}: error {err}");
                let c32 = matmul_new(a.mapv(|x| x as f32).view(), b.mapv(|x| x as f32).view());
                let err = (&c32.mapv(f64::from) - &want)
                    .iter()
                    .fold(0.0f64, |e, x| e.max(x.abs()));
                assert!(
                    err < 1e-3 * (k as f64 + 1.0),
                    "f32 {m}x{k}x{n}: error {err}"
                );
            }
        }
    }

    #[test]
    fn the_small_kernel_writes_into_strided_outputs() {
        let mut rng = Rng::seed_from_u64(7);
        let (a, b) = (random(&mut rng, 5, 3), random(&mut rng, 3, 10));
        let want = reference(&a, &b);
        // A transposed output, and one that skips every other column.
        let mut ct = Array2::from_elem((10, 5), f64::NAN);
        matmul_into_with(
            a.view(),
            b.view(),
            ct.view_mut().reversed_axes(),
            Kernel::Small,
        );
        assert_eq!(ct.t(), matmul_reference_rounding(&a, &b));
        let mut cs = Array2::from_elem((5, 20), f64::NAN);
        matmul_into_with(
            a.view(),
            b.view(),
            cs.slice_mut(ndarray::s![.., ..;2]),
            Kernel::Small,
        );
        let err = (&cs.slice(ndarray::s![.., ..;2]) - &want)
            .iter()
            .fold(0.0f64, |e, x| e.max(x.abs()));
        assert!(err < 1e-12, "error {err}");
        assert!(cs.slice(ndarray::s![.., 1..;2]).iter().all(|x| x.is_nan()));
    }

    /// The small kernel into a fresh row-major output, to compare other outputs with.
    fn matmul_reference_rounding(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
        let mut c = Array2::from_elem((a.dim().0, b.dim().1), f64::NAN);
        matmul_into_with(a.view(), b.view(), c.view_mut(), Kernel::Small);
        c
    }

    #[test]
    fn view2_is_the_general_conversion() {
        use ndarray::{ArrayD, Ix2, s};
        let x = Array2::from_shape_fn((4, 6), |(i, j)| (10 * i + j) as f64).into_dyn();
        // Arrays in every layout a tensor can hold: row-major, transposed, stepped, with a
        // negative stride (the general conversion's fallback), and empty.
        let slicers: [fn(&mut ArrayD<f64>); 5] = [
            |v| v.slice_collapse(s![.., ..]),
            |v| v.slice_collapse(s![1..4;2, ..;3]),
            |v| v.slice_collapse(s![..;-1, 1..]),
            |v| v.slice_collapse(s![..;2, ..;-2]),
            |v| v.slice_collapse(s![.., 2..2]),
        ];
        for base in [x.clone(), x.clone().reversed_axes()] {
            for slice in slicers {
                let mut v = base.clone();
                slice(&mut v);
                let fast = view2(&v);
                let general = v.view().into_dimensionality::<Ix2>().unwrap();
                assert_eq!(fast, general);
                assert_eq!(fast.strides(), general.strides());
                assert_eq!(fast.as_ptr(), general.as_ptr());
            }
        }
    }

    #[test]
    fn result_does_not_depend_on_the_thread_count() {
        let mut rng = Rng::seed_from_u64(6);
        let a = Tensor::<f32>::randn(&[300, 200], &mut rng);
        let b = Tensor::<f32>::randn(&[200, 250], &mut rng);
        let before = crate::num_threads();
        let results: Vec<Tensor<f32>> = [1, 2, 3]
            .iter()
            .map(|&n| {
                crate::set_num_threads(n);
                a.matmul(&b)
            })
            .collect();
        crate::set_num_threads(before);
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0], results[2]);
    }
}
