//! The portable path of the small kernel, which CPUs without AVX2 and FMA (and element types
//! other than f32 and f64) run. Both operands are packed into scratch buffers:
//!
//! - `B` (`[k, n]`) becomes panels of [`W`] columns: panel `q` holds `B[p, qW..qW+W]` for
//!   every `p` in turn, zero past column `n`;
//! - `A` (`[m, k]`) becomes blocks of [`R`] rows: block `s` holds `A[sR..sR+R, p]` for every
//!   `p` in turn, zero past row `m`;
//!
//! and each `R × W` block is plain multiplies and adds, summed over `p` in increasing order.

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::Float;

/// Columns of `C` per block.
const W: usize = 8;
/// Rows of `C` per block.
const R: usize = 4;

/// Writes `a · b` into `c` (overwriting it); shapes as in [`super::super::matmul_into`].
pub(in crate::gemm) fn packed<T: Float>(
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
/// groups of [`W`]), in plain arithmetic.
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
