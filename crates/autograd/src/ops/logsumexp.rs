//! logsumexp over axes: y = m + ln Σ e^{x - m}, m = max x over the axes (`torch.logsumexp`).
//!
//! Subtracting m keeps every exponent ≤ 0, so nothing overflows even at ±1e4. When m is
//! infinite (say all -∞) it is replaced by 0, as in PyTorch, so the result is -∞ rather
//! than NaN. dy/dx = e^{x - y} = softmax of x over the axes, so
//! dx = dy (broadcast back over the reduced axes) ⊙ e^{x - y}, computed from the input
//! and the saved output with Var ops, so the second derivative follows.

use backprop_tensor::{Float, Rng, Tensor, reduced_shape};

use super::softmax::{last_axis_rows, reduced_shape_for};
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// `ln Σ e^x` over `axes`, computed stably; with `keepdim` the reduced axes stay with
    /// extent 1. An empty `axes` reduces nothing, as in [`sum_axes`](Var::sum_axes).
    ///
    /// # Panics
    ///
    /// If an axis is out of range, or has extent 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1000.0f64, 1000.0], &[2]).unwrap());
    /// let y = x.logsumexp(&[0], false).item();
    /// assert!((y - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, axes: &[usize], keepdim: bool) -> Var<T> {
        let shape = self.shape();
        for &axis in axes {
            assert!(
                axis < shape.len(),
                "logsumexp: axis {axis} is out of range for shape {shape:?}"
            );
            assert!(
                shape[axis] > 0,
                "logsumexp: axis {axis} has extent 0 (shape {shape:?})"
            );
        }
        let kept = reduced_shape(&shape, axes, true);
        let y = {
            let x = self.data();
            if let (Some((xs, rows, c)), [axis]) = (last_axis_rows(&x), axes) {
                if *axis + 1 == shape.len() {
                    let y = row_logsumexp(xs, rows, c);
                    let y = Tensor::from_vec(y, &reduced_shape(&shape, axes, keepdim))
                        .expect("one value per row");
                    drop(x);
                    return Var::from_op(
                        "logsumexp",
                        y,
                        vec![self.clone()],
                        LogsumexpBackward { kept },
                    );
                }
            }
            let m = x
                .max(axes, true)
                .map(|m| if m.is_infinite() { T::zero() } else { m });
            let y = x.sub(&m).exp().sum(axes, true).log().add(&m);
            y.reshape(&reduced_shape(&shape, axes, keepdim))
        };
        Var::from_op(
            "logsumexp",
            y,
            vec![self.clone()],
            LogsumexpBackward { kept },
        )
    }
}

struct LogsumexpBackward {
    /// The output shape with the reduced axes kept as extent 1.
    kept: Vec<usize>,
}

impl<T: Float> Backward<T> for LogsumexpBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.input(0).data();
        let y = ctx.output().data().reshape(&self.kept);
        vec![Some(g.reshape(&self.kept).mul(&x.sub(&y).exp()))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let y = ctx.output().reshape(&self.kept);
        let softmax = ctx.input(0).sub(&y).exp();
        vec![Some(g.reshape(&self.kept).mul(&softmax))]
    }
}

/// The log-sum-exp lse_n = m_n + ln Σ_c e^{x_nc - m_n} of each row of the row-major
/// `[n_rows, c]` slice `xs`, with m_n the row maximum (replaced by 0 when it is not finite,
/// so an all -∞ row gives -∞ rather than NaN). The exponentials and logarithms run over
/// whole buffers through the slice kernels ([`Float::exp_in_place`]), not row by row, so
/// they vectorize even for a handful of classes.
pub(crate) fn row_logsumexp<T: Float>(xs: &[T], n_rows: usize, c: usize) -> Vec<T> {
    if c == 0 {
        return vec![T::neg_infinity(); n_rows];
    }
    let mut z = xs[..n_rows * c].to_vec();
    // Each row's maximum, NaN skipped (as `fold(-inf, max)`); a non-finite one shifts by 0 so
    // that an all -inf row gives -inf and an inf gives inf.
    let mut m = vec![T::neg_infinity(); n_rows];
    for_each_in_rows(&mut z, c, |v, r| {
        if *v > m[r] {
            m[r] = *v;
        }
    });
    for mn in m.iter_mut() {
        if !mn.is_finite() {
            *mn = T::zero();
        }
    }
    for_each_in_rows(&mut z, c, |v, r| *v -= m[r]);
    T::exp_in_place(&mut z);
    let mut lse = vec![T::zero(); n_rows];
    for_each_in_rows(&mut z, c, |v, r| lse[r] += *v);
    T::ln_in_place(&mut lse);
    for (l, mn) in lse.iter_mut().zip(m) {
        *l += mn;
    }
    lse
}

/// Calls `f(element, row)` for every element of the row-major `[rows, c]` matrix `z`,
/// visiting each row's elements left to right (so a running sum or maximum per row goes in
/// the same order either way). A row of a few classes (W1's 3) is too short for a loop of
/// its own to pay off, so narrow matrices are walked one column at a time down all the rows
/// instead.
pub(crate) fn for_each_in_rows<T: Float>(z: &mut [T], c: usize, mut f: impl FnMut(&mut T, usize)) {
    if c == 0 {
        return;
    }
    if c < 16 {
        for j in 0..c {
            for (r, row) in z.chunks_exact_mut(c).enumerate() {
                f(&mut row[j], r);
            }
        }
    } else {
        for (r, row) in z.chunks_exact_mut(c).enumerate() {
            for v in row.iter_mut() {
                f(v, r);
            }
        }
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let last = reduced_shape_for(rng, 2, &[1]);
    let first = reduced_shape_for(rng, 2, &[0]);
    let outer = reduced_shape_for(rng, 3, &[0, 2]);
    let all = reduced_shape_for(rng, 3, &[0, 1, 2]);
    let wide = Tensor::normal(&[3, 4], 0.0, 10.0, rng);
    vec![
        GradCase::new("2-d axis 1", vec![inputs::normal(rng, &last)], |v| {
            v[0].logsumexp(&[1], false)
        }),
        GradCase::new("2-d axis 0 keepdim", vec![inputs::normal(rng, &first)], |v| {
            v[0].logsumexp(&[0], true)
        }),
        GradCase::new("3-d axes 0,2", vec![inputs::normal(rng, &outer)], |v| {
            v[0].logsumexp(&[0, 2], false)
        }),
        GradCase::new("3-d all axes keepdim", vec![inputs::normal(rng, &all)], |v| {
            v[0].logsumexp(&[0, 1, 2], true)
        }),
        GradCase::new("wide logits (std 10)", vec![wide], |v| {
            v[0].logsumexp(&[1], false)
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Rng, Tensor};

    use crate::Var;

    #[test]
    fn matches_the_naive_formula_on_small_values() {
        let x = Tensor::<f64>::randn(&[3, 4], &mut Rng::seed_from_u64(5));
        let naive = x.exp().sum(&[0], false).log();
        let y = Var::new(x).logsumexp(&[0], false).value();
        assert_eq!(y.shape(), &[4]);
        assert!(y.allclose(&naive, 1e-14, 1e-15));
    }

    #[test]
    fn shapes_with_and_without_keepdim() {
        let x = Var::new(Tensor::<f64>::zeros(&[2, 3, 4]));
        assert_eq!(x.logsumexp(&[0, 2], false).shape(), vec![3]);
        assert_eq!(x.logsumexp(&[0, 2], true).shape(), vec![1, 3, 1]);
        // ln(2 · 4) for 8 zeros.
        let v = x.logsumexp(&[0, 2], false).value().to_vec();
        assert!((v[0] - 8f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn finite_at_huge_logits_in_f32() {
        let x = Var::parameter(Tensor::from_vec(vec![1e4f32, -1e4, -1e4, -1e4], &[2, 2]).unwrap());
        let y = x.logsumexp(&[1], false);
        let v = y.value().to_vec();
        assert_eq!(v[0], 1e4);
        assert!((v[1] - (-1e4 + 2f32.ln())).abs() < 1e-2);
        y.sum().backward();
        let g = x.grad().unwrap();
        assert!(g.all_finite());
        assert_eq!(g.to_vec()[..2], [1.0, 0.0]);
    }

    #[test]
    fn all_minus_infinity_gives_minus_infinity() {
        let x = Var::new(Tensor::from_vec(vec![f64::NEG_INFINITY; 2], &[2]).unwrap());
        assert_eq!(x.logsumexp(&[0], false).item(), f64::NEG_INFINITY);
    }
}
