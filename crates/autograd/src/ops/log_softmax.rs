//! log_softmax along one axis: yᵢ = (xᵢ - m) - ln Σⱼ e^{xⱼ - m}, m = maxⱼ xⱼ.
//!
//! Fused rather than `softmax().log()`: the log of a softmax that underflowed to 0 would
//! be -∞, while this form stays finite (about -2e4 for logits ±1e4), and every exponent is
//! ≤ 0 so nothing overflows. Jacobian: ∂yᵢ/∂xⱼ = δᵢⱼ - softmaxⱼ, so
//! dx = dy - softmax ⊙ Σ dy (sum along the axis), with softmax = e^y recomputed from the
//! saved output by the (differentiable) exp op, so the second derivative follows.

use backprop_tensor::{Float, Rng, Tensor};

use super::softmax::{check_axis, last_axis_rows, reduced_shape_for, row_max};
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Log-softmax along `axis` (the log-probabilities of a categorical distribution given
    /// logits), computed stably in one op.
    ///
    /// # Panics
    ///
    /// If `axis` is out of range, or has extent 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0f64, 0.0], &[2]).unwrap());
    /// let y = x.log_softmax(0).value().to_vec();
    /// assert!((y[0] + 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Var<T> {
        let y = {
            let x = self.data();
            check_axis("log_softmax", x.shape(), axis);
            match last_axis_rows(&x).filter(|_| axis + 1 == x.ndim()) {
                Some((xs, rows, c)) => {
                    let shifted = shift_rows(xs, c);
                    let mut e = shifted.clone();
                    T::exp_in_place(&mut e);
                    let mut log_norm: Vec<T> =
                        e.chunks_exact(c).map(|r| r.iter().copied().sum()).collect();
                    T::ln_in_place(&mut log_norm);
                    let mut y = shifted;
                    for (row, &l) in y.chunks_exact_mut(c).zip(&log_norm).take(rows) {
                        for v in row.iter_mut() {
                            *v -= l;
                        }
                    }
                    Tensor::from_vec(y, x.shape()).expect("same shape as the input")
                }
                None => {
                    let shifted = x.sub(&x.max(&[axis], true));
                    let log_norm = shifted.exp().sum(&[axis], true).log();
                    shifted.sub(&log_norm)
                }
            }
        };
        Var::from_unary_op(
            "log_softmax",
            y,
            self,
            LogSoftmaxBackward { axis },
        )
    }
}

/// x - m_row for every element of row-major rows of length `c` (m_row the row maximum).
fn shift_rows<T: Float>(xs: &[T], c: usize) -> Vec<T> {
    let mut shifted = xs.to_vec();
    for row in shifted.chunks_exact_mut(c) {
        let m = row_max(row);
        for v in row.iter_mut() {
            *v -= m;
        }
    }
    shifted
}

struct LogSoftmaxBackward {
    axis: usize,
}

impl<T: Float> Backward<T> for LogSoftmaxBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let softmax = ctx.output().data().exp();
        if let (Some((ss, _, c)), Some(gs)) = (last_axis_rows(&softmax), g.as_slice()) {
            if self.axis + 1 == softmax.ndim() {
                // dx = g - softmax · Σ g, row by row on the slices.
                let mut dx = gs.to_vec();
                for (d, sm) in dx.chunks_exact_mut(c).zip(ss.chunks_exact(c)) {
                    let total: T = d.iter().copied().sum();
                    for (dv, &p) in d.iter_mut().zip(sm) {
                        *dv -= p * total;
                    }
                }
                return vec![Some(
                    Tensor::from_vec(dx, softmax.shape()).expect("same shape as the output"),
                )];
            }
        }
        let total = g.sum(&[self.axis], true);
        vec![Some(g.sub(&softmax.mul(&total)))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let softmax = ctx.output().exp();
        let total = g.sum_axes(&[self.axis], true);
        vec![Some(g.sub(&softmax.mul(&total)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let last = reduced_shape_for(rng, 2, &[1]);
    let first = reduced_shape_for(rng, 2, &[0]);
    let last3 = reduced_shape_for(rng, 3, &[2]);
    let wide = Tensor::normal(&[4, 3], 0.0, 10.0, rng);
    vec![
        GradCase::new("2-d last axis", vec![inputs::normal(rng, &last)], |v| {
            v[0].log_softmax(1)
        }),
        GradCase::new("2-d axis 0", vec![inputs::normal(rng, &first)], |v| {
            v[0].log_softmax(0)
        }),
        GradCase::new("3-d last axis", vec![inputs::normal(rng, &last3)], |v| {
            v[0].log_softmax(2)
        }),
        GradCase::new("1-d", vec![inputs::normal(rng, &[5])], |v| {
            v[0].log_softmax(0)
        }),
        GradCase::new("wide logits (std 10)", vec![wide], |v| v[0].log_softmax(1)),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Rng, Tensor};

    use crate::Var;

    #[test]
    fn exp_is_softmax() {
        let x = Var::new(Tensor::<f64>::randn(&[2, 3, 4], &mut Rng::seed_from_u64(3)));
        let lhs = x.log_softmax(1).value().exp();
        assert!(lhs.allclose(&x.softmax(1).value(), 1e-14, 1e-15));
    }

    #[test]
    fn finite_at_huge_logits_in_f32() {
        let x = Var::parameter(Tensor::from_vec(vec![1e4f32, -1e4, -1e4, 1e4], &[2, 2]).unwrap());
        let y = x.log_softmax(1);
        assert_eq!(y.value().to_vec(), vec![0.0, -2e4, -2e4, 0.0]);
        y.mul(&Var::new(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap()))
            .sum()
            .backward();
        let g = x.grad().unwrap();
        assert!(g.all_finite());
        // dx = dy - softmax · Σdy: row 0 is [1 - 3, 2 - 0].
        assert_eq!(g.to_vec(), vec![-2.0, 2.0, 3.0, -3.0]);
    }
}
