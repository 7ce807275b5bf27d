//! tanh: y = tanh(x) = (eˣ - e⁻ˣ) / (eˣ + e⁻ˣ).
//!
//! dy/dx = 1 - tanh²(x) = 1 - y², so backward reuses the saved output: dx = dy · (1 - y²).
//! Written with Var ops on the output, so the second derivative (-2y(1 - y²)) follows.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise hyperbolic tangent.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::scalar(0.0f64));
    /// let y = x.tanh();
    /// y.backward();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(x.grad().unwrap().item(), 1.0);
    /// ```
    #[track_caller]
    pub fn tanh(&self) -> Var<T> {
        let y = self.data().tanh();
        Var::from_unary_op("tanh", y, self, TanhBackward)
    }
}

struct TanhBackward;

impl<T: Float> Backward<T> for TanhBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let y = ctx.output();
        let local = y.mul(y).neg().add_scalar(T::one());
        vec![Some(g.mul(&local))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new("2-d", vec![inputs::normal(rng, &s2)], |v| v[0].tanh()),
        GradCase::new("3-d", vec![inputs::normal(rng, &s3)], |v| v[0].tanh()),
        GradCase::new("scalar", vec![inputs::normal(rng, &[])], |v| v[0].tanh()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn odd_and_saturating() {
        let x = Var::new(Tensor::from_vec(vec![-30.0f64, -0.5, 0.5, 30.0], &[4]).unwrap());
        let y = x.tanh().value().to_vec();
        assert_eq!(y[0], -1.0);
        assert_eq!(y[3], 1.0);
        assert!((y[1] + y[2]).abs() < 1e-15);
        assert!((y[2] - 0.5f64.tanh()).abs() < 1e-15);
    }
}
