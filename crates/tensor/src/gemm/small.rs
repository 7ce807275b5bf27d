//! The kernel for small products, where the `gemm` crate's fixed cost per call (choosing block
//! sizes, packing into its aligned buffers, dispatching micro-kernels: about 1 µs) is larger
//! than the arithmetic itself. W1's products (`[120, 4] · [4, 8]`, `[9, 120] · [120, 8]`, …)
//! take a few thousand multiply-adds each.
//!
//! Each block of `C` (up to 8 rows by one vector of columns) is `Σ_p A[rows, p] ⊗ B[p, cols]`,
//! accumulated in registers (one independent sum per row, so the multiply-adds pipeline) and
//! written once. Every `C[i, j]` is the sum over `p` in increasing order, on one thread, so
//! results do not depend on the thread count.
//!
//! On x86-64 CPUs with AVX2 and FMA (detected at run time, as the release build targets plain
//! x86-64) that loop is written with intrinsics (LLVM does not vectorize accumulators that
//! stay in registers): `A[i, p]` is broadcast straight from `A` whatever its strides (`Gᵀ·X`
//! arrives as a transposed view), `B`'s row segment is one load, masked at the right edge, and
//! `B` is copied to row-major first only when its rows are not contiguous (`x·Wᵀ`, where it
//! is the small weight). Elsewhere (the portable path) both operands are packed into scratch
//! buffers:
//!
//! - `B` (`[k, n]`) becomes panels of [`W`] columns: panel `q` holds `B[p, qW..qW+W]` for
//!   every `p` in turn, zero past column `n`;
//! - `A` (`[m, k]`) becomes blocks of [`R`] rows: block `s` holds `A[sR..sR+R, p]` for every
//!   `p` in turn, zero past row `m`;
//!
//! and each `R × W` block is plain multiplies and adds.

use std::any::TypeId;

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::Float;

/// Columns of `C` per block on the portable path.
const W: usize = 8;
/// Rows of `C` per block on the portable path.
const R: usize = 4;

/// Whether [`small_into`] runs the AVX2 + FMA kernel here (for f32 and f64), which stores
/// every element of `C` without reading it.
pub(super) fn has_direct_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Writes `a · b` into `c` (overwriting it); shapes as in [`super::matmul_into`], `k > 0`.
pub(super) fn small_into<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
) {
    #[cfg(target_arch = "x86_64")]
    if (TypeId::of::<T>() == TypeId::of::<f32>() || TypeId::of::<T>() == TypeId::of::<f64>())
        && has_direct_kernel()
    {
        direct(a, b, c);
        return;
    }
    packed(a, b, c);
}

/// The AVX2 + FMA path: `A` is read in place whatever its strides, `B` in place when its rows
/// are contiguous (else from a row-major copy: `x·Wᵀ`'s `B` is the small weight), `C` written
/// in place when its rows are contiguous (else through a row-major buffer).
#[cfg(target_arch = "x86_64")]
fn direct<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>, mut c: ArrayViewMut2<'_, T>) {
    let b_copy;
    let b = if b.strides()[1] == 1 {
        b
    } else {
        b_copy = b.as_standard_layout();
        b_copy.view()
    };
    if c.strides()[1] != 1 {
        let mut buffer = ndarray::Array2::zeros(c.dim());
        direct(a, b, buffer.view_mut());
        c.assign(&buffer);
        return;
    }
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (ars, acs) = (a.strides()[0], a.strides()[1]);
    let (brs, crs) = (b.strides()[0], c.strides()[0]);
    let (a, b, c) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: `T` is `f32`, so the casts keep the pointers' meaning. The pointers and
        // strides are those of live views of shapes [m, k], [k, n] (unit column stride) and
        // [m, n] (unit column stride; borrowed mutably here, so not aliasing `a` or `b`), as
        // `avx::kernel_f32` requires; `small_into` checked that the CPU has AVX2 and FMA.
        unsafe {
            avx::kernel_f32(m, n, k, a.cast(), ars, acs, b.cast(), brs, c.cast(), crs);
        }
    } else {
        // SAFETY: as above; `small_into` only calls this for `f32` or `f64`.
        unsafe {
            avx::kernel_f64(m, n, k, a.cast(), ars, acs, b.cast(), brs, c.cast(), crs);
        }
    }
}

/// The portable path: both operands packed (see the module docs), plain multiplies and adds.
pub(super) fn packed<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (ap, bp) = pack(a, b);
    for (s, ablock) in ap.chunks_exact(k * R).enumerate() {
        let i0 = s * R;
        for (q, bpanel) in bp.chunks_exact(k * W).enumerate() {
            let acc = block(ablock, bpanel);
            let j0 = q * W;
            for (r, acc_row) in acc.iter().enumerate().take(m - i0) {
                for (w, &x) in acc_row.iter().enumerate().take(n - j0) {
                    c[[i0 + r, j0 + w]] = x;
                }
            }
        }
    }
}

/// Copies `a` into row blocks and `b` into column panels (see the module docs).
fn pack<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> (Vec<T>, Vec<T>) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let mut ap = vec![T::zero(); m.div_ceil(R) * R * k];
    for (i, row) in a.rows().into_iter().enumerate() {
        let (s, r) = (i / R, i % R);
        let block = &mut ap[s * R * k..(s + 1) * R * k];
        for (dst, &x) in block[r..].iter_mut().step_by(R).zip(row.iter()) {
            *dst = x;
        }
    }
    let mut bp = vec![T::zero(); n.div_ceil(W) * W * k];
    for (p, row) in b.rows().into_iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            bp[((j / W) * k + p) * W + j % W] = x;
        }
    }
    (ap, bp)
}

/// `Σ_p a[p] ⊗ b[p]` for a row block `a` (`k` groups of [`R`]) and a column panel `b` (`k`
/// groups of [`W`]), in plain arithmetic (the portable path).
fn block<T: Float>(a: &[T], b: &[T]) -> [[T; W]; R] {
    let mut acc = [[T::zero(); W]; R];
    for (ap, bp) in a.chunks_exact(R).zip(b.chunks_exact(W)) {
        for (acc_row, &x) in acc.iter_mut().zip(ap) {
            for (sum, &y) in acc_row.iter_mut().zip(bp) {
                *sum += x * y;
            }
        }
    }
    acc
}

/// The AVX2 + FMA kernels. Each block of up to 8 rows of `C` by one vector of columns lives
/// in registers while `p` runs over the inner extent: `A[i, p]` is broadcast from memory,
/// `B[p, cols]` loaded (masked at the right edge, so nothing is read or written past column
/// `n`).
#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpgt_epi32, _mm256_cmpgt_epi64, _mm256_fmadd_pd, _mm256_fmadd_ps,
        _mm256_maskload_pd, _mm256_maskload_ps, _mm256_maskstore_pd, _mm256_maskstore_ps,
        _mm256_set_epi32, _mm256_set_epi64x, _mm256_set1_epi32, _mm256_set1_epi64x, _mm256_set1_pd,
        _mm256_set1_ps, _mm256_setzero_pd, _mm256_setzero_ps,
    };

    /// Rows of `C` per register block.
    const ROWS: usize = 8;

    macro_rules! kernel {
        ($name:ident, $block:ident, $t:ty, $lanes:expr, $mask:ident, $zero:ident, $set1:ident,
         $fmadd:ident, $load:ident, $store:ident) => {
            /// `C = A·B` for `C` `[m, n]` at `c` (row stride `crs`, unit column stride), `A`
            /// `[m, k]` at `a` (strides `ars`, `acs`), `B` `[k, n]` at `b` (row stride `brs`,
            /// unit column stride); strides in elements, possibly negative.
            ///
            /// # Safety
            ///
            /// The CPU must support AVX2 and FMA; the pointers and strides must describe
            /// valid arrays of those shapes, `c` writable and aliasing neither `a` nor `b`.
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            pub(super) unsafe fn $name(
                m: usize,
                n: usize,
                k: usize,
                a: *const $t,
                ars: isize,
                acs: isize,
                b: *const $t,
                brs: isize,
                c: *mut $t,
                crs: isize,
            ) {
                let mut j0 = 0;
                while j0 < n {
                    let mask = $mask(n - j0);
                    let mut i0 = 0;
                    while i0 < m {
                        let rows = ROWS.min(m - i0);
                        // SAFETY: rows i0..i0 + rows and columns j0..j0 + lanes (masked to
                        // n) lie inside the arrays; the caller's contract covers the rest.
                        unsafe {
                            let a = a.offset(i0 as isize * ars);
                            let b = b.add(j0);
                            let c = c.offset(i0 as isize * crs).add(j0);
                            match rows {
                                8 => $block::<8>(k, a, ars, acs, b, brs, c, crs, mask),
                                7 => $block::<7>(k, a, ars, acs, b, brs, c, crs, mask),
                                6 => $block::<6>(k, a, ars, acs, b, brs, c, crs, mask),
                                5 => $block::<5>(k, a, ars, acs, b, brs, c, crs, mask),
                                4 => $block::<4>(k, a, ars, acs, b, brs, c, crs, mask),
                                3 => $block::<3>(k, a, ars, acs, b, brs, c, crs, mask),
                                2 => $block::<2>(k, a, ars, acs, b, brs, c, crs, mask),
                                _ => $block::<1>(k, a, ars, acs, b, brs, c, crs, mask),
                            }
                        }
                        i0 += rows;
                    }
                    j0 += $lanes;
                }
            }

            /// One block: `RR` rows of `C` by one (masked) vector of columns.
            ///
            /// # Safety
            ///
            /// As for the kernel, for the `RR × lanes` block at the given pointers, with
            /// `mask` selecting the columns inside the arrays.
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            #[inline]
            unsafe fn $block<const RR: usize>(
                k: usize,
                a: *const $t,
                ars: isize,
                acs: isize,
                b: *const $t,
                brs: isize,
                c: *mut $t,
                crs: isize,
                mask: __m256i,
            ) {
                // SAFETY: every access is at rows < RR of `A`/`C`, rows < k of `B`, and the
                // columns `mask` selects (the caller's contract).
                unsafe {
                    let mut acc = [$zero(); RR];
                    for p in 0..k as isize {
                        let y = $load(b.offset(p * brs), mask);
                        let ap = a.offset(p * acs);
                        for (r, sum) in acc.iter_mut().enumerate() {
                            let x = $set1(*ap.offset(r as isize * ars));
                            *sum = $fmadd(x, y, *sum);
                        }
                    }
                    for (r, sum) in acc.into_iter().enumerate() {
                        $store(c.offset(r as isize * crs), mask, sum);
                    }
                }
            }
        };
    }

    /// The lanes below `cols` (all 8 when `cols >= 8`) as a load/store mask for `f32`.
    #[target_feature(enable = "avx2,fma")]
    fn mask_f32(cols: usize) -> __m256i {
        let cols = cols.min(8) as i32;
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(cols),
            _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0),
        )
    }

    /// The lanes below `cols` (all 4 when `cols >= 4`) as a load/store mask for `f64`.
    #[target_feature(enable = "avx2,fma")]
    fn mask_f64(cols: usize) -> __m256i {
        let cols = cols.min(4) as i64;
        _mm256_cmpgt_epi64(_mm256_set1_epi64x(cols), _mm256_set_epi64x(3, 2, 1, 0))
    }

    kernel!(
        kernel_f32,
        block_f32,
        f32,
        8,
        mask_f32,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_maskload_ps,
        _mm256_maskstore_ps
    );
    kernel!(
        kernel_f64,
        block_f64,
        f64,
        4,
        mask_f64,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_maskload_pd,
        _mm256_maskstore_pd
    );
}
