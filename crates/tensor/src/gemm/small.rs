//! The kernel for small products, where the `gemm` crate's fixed cost per call (choosing block
//! sizes, packing into its aligned buffers, dispatching micro-kernels: about 1 µs) is larger
//! than the arithmetic itself. W1's products (`[120, 4] · [4, 8]`, `[9, 120] · [120, 8]`, …)
//! take a few thousand multiply-adds each.
//!
//! Both operands are first copied into small scratch buffers whose layout makes the inner loop
//! a run of whole fixed-size arrays, which LLVM turns into SIMD code whatever the operands'
//! strides (`x·Wᵀ` and `Gᵀ·X` arrive as transposed views):
//!
//! - `B` (`[k, n]`) becomes panels of [`W`] columns: panel `q` holds `B[p, qW..qW+W]` for
//!   every `p` in turn, zero past column `n`;
//! - `A` (`[m, k]`) becomes blocks of [`R`] rows: block `s` holds `A[sR..sR+R, p]` for every
//!   `p` in turn, zero past row `m`.
//!
//! Each `R × W` block of `C` is then `Σ_p A[rows, p] ⊗ B[p, cols]`, accumulated in registers
//! (`R·W` independent sums, so the multiply-adds pipeline) and written once. Every `C[i, j]` is
//! the sum over `p` in increasing order, on one thread.
//!
//! On x86-64 CPUs with AVX2 and FMA (detected at run time, as the release build targets plain
//! x86-64) the same code is compiled a second time with those features and fused
//! multiply-adds; elsewhere it uses SSE2 multiplies and adds.

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::Float;

/// Columns of `C` per register block: one AVX register of `f32`.
const W: usize = 8;
/// Rows of `C` per register block.
const R: usize = 4;

/// Writes `a · b` into `c` (overwriting it); shapes as in [`super::matmul_into`], `k > 0`.
pub(super) fn small_into<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: `small_fma` only requires the AVX2 and FMA instruction sets, and the CPU
        // running this code has both (just checked).
        unsafe { small_fma(a, b, c) };
        return;
    }
    small_generic::<T, false>(a, b, c);
}

/// [`small_generic`] compiled for AVX2 + FMA, with fused multiply-adds.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn small_fma<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>, c: ArrayViewMut2<'_, T>) {
    small_generic::<T, true>(a, b, c);
}

/// The kernel; `FMA` selects fused multiply-adds (only fast where the CPU has them).
#[inline(always)]
fn small_generic<T: Float, const FMA: bool>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (ap, bp) = pack(a, b);
    for (s, ablock) in ap.chunks_exact(k * R).enumerate() {
        let i0 = s * R;
        let rows = R.min(m - i0);
        for (q, bpanel) in bp.chunks_exact(k * W).enumerate() {
            let acc = block::<T, FMA>(ablock, bpanel);
            let j0 = q * W;
            let cols = W.min(n - j0);
            for (r, acc_row) in acc.iter().enumerate().take(rows) {
                for (w, &x) in acc_row.iter().enumerate().take(cols) {
                    c[[i0 + r, j0 + w]] = x;
                }
            }
        }
    }
}

/// Copies `a` into row blocks and `b` into column panels (see the module docs); one
/// allocation for both.
#[inline(always)]
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
/// groups of [`W`]).
#[inline(always)]
fn block<T: Float, const FMA: bool>(a: &[T], b: &[T]) -> [[T; W]; R] {
    let mut acc = [[T::zero(); W]; R];
    for (ap, bp) in a.chunks_exact(R).zip(b.chunks_exact(W)) {
        for (acc_row, &x) in acc.iter_mut().zip(ap) {
            for (sum, &y) in acc_row.iter_mut().zip(bp) {
                *sum = if FMA {
                    x.mul_add(y, *sum)
                } else {
                    *sum + x * y
                };
            }
        }
    }
    acc
}
