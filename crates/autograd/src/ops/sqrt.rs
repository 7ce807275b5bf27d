//! sqrt: y = √x, defined for x ≥ 0.
//!
//! dy/dx = 1 / (2√x) = 1 / (2y), so backward reuses the saved output; it is infinite at
//! x = 0 (as in PyTorch), and the checks use x in [0.5, 2).

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise square root (NaN for negative inputs).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::scalar(4.0f64));
    /// let y = x.sqrt();
    /// y.backward();
    /// assert_eq!(y.item(), 2.0);
    /// assert_eq!(x.grad().unwrap().item(), 0.25);
    /// ```
    #[track_caller]
    pub fn sqrt(&self) -> Var<T> {
        let y = self.data().sqrt();
        Var::from_unary_op("sqrt", y, self, SqrtBackward)
    }
}

struct SqrtBackward;

impl<T: Float> Backward<T> for SqrtBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let two_y = ctx.output().mul_scalar(T::one() + T::one());
        vec![Some(g.div(&two_y))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new("2-d positive", vec![inputs::positive(rng, &s2)], |v| {
            v[0].sqrt()
        }),
        GradCase::new("3-d positive", vec![inputs::positive(rng, &s3)], |v| {
            v[0].sqrt()
        }),
        GradCase::new("scalar", vec![inputs::positive(rng, &[])], |v| v[0].sqrt()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn squares_back() {
        let x = Var::new(Tensor::from_vec(vec![0.0f64, 0.25, 9.0], &[3]).unwrap());
        assert_eq!(x.sqrt().value().to_vec(), vec![0.0, 0.5, 3.0]);
    }
}
