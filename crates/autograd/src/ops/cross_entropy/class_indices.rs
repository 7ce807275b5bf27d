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

/// dx_nc = dy_n · (p_nc - [c = y_n]) with p = e^{x - lse}, in the general path's operation
/// order: (0 - dy_n) + dy_n·p_{n,y_n} for the target class, 0 + dy_n·p_nc for the others.
pub(super) fn gradient<T: Float>(
    xs: &[T],
    lse: &[T],
    classes: &[usize],
    gs: &[T],
    c: usize,
) -> Vec<T> {
    let mut p = softmax_from_lse(xs, lse, c);
    if c > 0 {
        with_row_width!(c, |w| scale_rows(&mut p, classes, gs, w));
    }
    p
}

/// Turns the softmax rows `p` into the gradient rows (see [`gradient`]).
#[inline(always)]
fn scale_rows<T: Float>(p: &mut [T], classes: &[usize], gs: &[T], c: usize) {
    for ((row, &y), &gn) in p.chunks_exact_mut(c).zip(classes).zip(gs) {
        let target = (T::zero() - gn) + gn * row[y];
        for v in row.iter_mut() {
            *v = T::zero() + gn * *v;
        }
        row[y] = target;
    }
}
