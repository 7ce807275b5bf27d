//! abs: y = |x|.
//!
//! dy/dx = sign(x): 1 for x > 0, -1 for x < 0, and 0 at the kink x = 0 (PyTorch's
//! choice, `sgn(0) = 0`) and at NaN (PyTorch's `sgn(NaN) = 0`). The sign is a constant
//! mask, so the second derivative is 0 almost everywhere. Saves the input (its sign).

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `|self|`; the gradient at 0 is 0, as in PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![-2.0f64, 0.0, 3.0], &[3]).unwrap());
    /// let y = x.abs();
    /// assert_eq!(y.value().to_vec(), vec![2.0, 0.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn abs(&self) -> Var<T> {
        let y = self.data().abs();
        Var::from_unary_op("abs", y, self, AbsBackward)
    }
}

struct AbsBackward;

impl<T: Float> Backward<T> for AbsBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        // PyTorch's sgn: 0 at ±0 and at NaN (so a NaN input gets gradient 0).
        let sign = Var::new(ctx.input(0).data().map(|x| {
            if x > T::zero() {
                T::one()
            } else if x < T::zero() {
                -T::one()
            } else {
                T::zero()
            }
        }));
        vec![Some(g.mul(&sign))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new("2-d away from 0", vec![inputs::away_from_zero(rng, &s2)], |v| {
            v[0].abs()
        }),
        GradCase::new("3-d away from 0", vec![inputs::away_from_zero(rng, &s3)], |v| {
            v[0].abs()
        }),
        GradCase::new("abs(x)·x", vec![inputs::away_from_zero(rng, &s2)], |v| {
            v[0].abs().mul(&v[0])
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn gradient_at_zero_is_zero() {
        let x = Var::parameter(Tensor::from_vec(vec![0.0f64, -0.5, 0.5], &[3]).unwrap());
        x.abs().sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, -1.0, 1.0]);
    }

    /// PyTorch: `torch.abs(torch.tensor([nan, -0.0]))` backward gives `[0, 0]`
    /// (`sgn(NaN) = 0`), where `signum` would give NaN and -1.
    #[test]
    fn gradient_at_nan_and_negative_zero_is_zero() {
        let x = Var::parameter(Tensor::from_vec(vec![f64::NAN, -0.0, -2.0], &[3]).unwrap());
        x.abs().sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, -1.0]);
    }
}
