//! The common case of [`Var::cross_entropy`](crate::Var::cross_entropy): class-index
//! targets with no class weights, no label smoothing and no ignored row. Then q_n· is the
//! one-hot row of y_n, S_n = 1 and
//!
//!   loss_n = lse_n - x_{n,y_n},   dx_nc = dy_n · p_nc - dy_n · [c = y_n].
//!
//! The general path computes these through coefficients that are exactly 1 and
//! accumulators that start at 0; the kernels here keep those additions to 0 (they only
//! turn a -0 into +0) and drop the multiplications by 1 (exact), so the results are
//! bitwise the same while skipping the coefficient walk. The gradient is written into the
//! softmax buffer itself.

use backprop_tensor::Float;

use crate::ops::logsumexp::{softmax_from_lse, with_row_width};

/// loss_n = lse_n - x_{n,y_n} for the `[lse.len(), c]` logits `xs`; every class is `< c`.
pub(super) fn losses<T: Float>(xs: &[T], lse: &[T], classes: &[usize], c: usize) -> Vec<T> {
    if c == 0 {
        // No class, so no row either (every target would be out of range).
        return Vec::new();
    }
    xs.chunks_exact(c)
        .zip(lse)
        .zip(classes)
        // `0 +` is the general path's accumulator.
        .map(|((row, &l), &y)| T::zero() + (l - row[y]))
        .collect()
}

/// Whether some class in `classes` is `>= c` (for `c >= 1`), without a branch per class:
/// `c - 1 - y` wraps around to a number with the top bit set exactly when `y >= c` (both
/// are below 2^63, the largest extent a tensor can have), and a `y` with the top bit set
/// is out of range itself. The loop vectorizes.
pub(super) fn any_out_of_range(classes: &[usize], c: usize) -> bool {
    let top = usize::BITS - 1;
    let last = c.wrapping_sub(1);
    let or = backprop_tensor::vectorized(
        #[inline(always)]
        || {
            classes
                .iter()
                .fold(0usize, |acc, &y| acc | last.wrapping_sub(y) | y)
        },
    );
    c == 0 && !classes.is_empty() || (or >> top) != 0
}

/// dx_nc = dy_n · (p_nc - [c = y_n]) with p = e^{x - lse}, in the general path's operation
/// order: (0 - dy_n) + dy_n·p_{n,y_n} for the target class, 0 + dy_n·p_nc for the others.
///
/// It runs as `0 + dy_n·p_nc` for every element (one pass over the whole matrix when all
/// the dy_n are equal, as after a mean), then `(0 - dy_n) + v` on each target element `v`.
/// Both give the bits above: `0 + dy_n·p` differs from `dy_n·p` only by turning -0 into
/// +0, and adding -0 or +0 to `0 - dy_n` (never -0) gives the same result.
pub(super) fn gradient<T: Float>(
    xs: &[T],
    lse: &[T],
    classes: &[usize],
    gs: &[T],
    c: usize,
) -> Vec<T> {
    let mut p = super::narrow::softmax(xs, lse, c).unwrap_or_else(|| softmax_from_lse(xs, lse, c));
    if c > 0 && !gs.is_empty() {
        let g0 = gs[0];
        // Equal values (NaN never is) give the same products: +0 and -0 both give ±0,
        // which `0 +` turns into +0, and a NaN product is the same NaN either way.
        let uniform = backprop_tensor::vectorized(
            #[inline(always)]
            || gs.iter().fold(true, |all, &g| all & (g == g0)),
        );
        if uniform {
            backprop_tensor::vectorized(
                #[inline(always)]
                || {
                    for v in p.iter_mut() {
                        *v = T::zero() + g0 * *v;
                    }
                },
            );
        } else {
            with_row_width!(c, |w| scale_rows(&mut p, gs, w));
        }
        for ((row, &y), &gn) in p.chunks_exact_mut(c).zip(classes).zip(gs) {
            row[y] = (T::zero() - gn) + row[y];
        }
    }
    p
}

/// `v = 0 + dy_n·v` on every element of the rows `p` (see [`gradient`]).
#[inline(always)]
fn scale_rows<T: Float>(p: &mut [T], gs: &[T], c: usize) {
    for (row, &gn) in p.chunks_exact_mut(c).zip(gs) {
        for v in row.iter_mut() {
            *v = T::zero() + gn * *v;
        }
    }
}
