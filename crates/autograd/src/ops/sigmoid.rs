//! sigmoid: y = σ(x) = 1 / (1 + e⁻ˣ).
//!
//! dy/dx = σ(x)(1 - σ(x)) = y(1 - y), so backward reuses the saved output. The forward
//! uses the stable form (e^x / (1 + e^x) for x < 0), so no e^{|x|} overflows.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise logistic sigmoid `1 / (1 + e^-self)`, without overflow for large |x|.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::scalar(0.0f64));
    /// let y = x.sigmoid();
    /// y.backward();
    /// assert_eq!(y.item(), 0.5);
    /// assert_eq!(x.grad().unwrap().item(), 0.25);
    /// ```
    #[track_caller]
    pub fn sigmoid(&self) -> Var<T> {
        let y = self.data().sigmoid();
        Var::from_unary_op("sigmoid", y, self, SigmoidBackward)
    }
}

struct SigmoidBackward;

impl<T: Float> Backward<T> for SigmoidBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let y = ctx.output();
        let local = y.mul(&y.neg().add_scalar(T::one()));
        vec![Some(g.mul(&local))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    let wide = Tensor::normal(&s2, 0.0, 4.0, rng);
    vec![
        GradCase::new("2-d", vec![inputs::normal(rng, &s2)], |v| v[0].sigmoid()),
        GradCase::new("3-d", vec![inputs::normal(rng, &s3)], |v| v[0].sigmoid()),
        GradCase::new("wide inputs (std 4)", vec![wide], |v| v[0].sigmoid()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn symmetric_and_finite_at_extremes() {
        let x = Var::parameter(Tensor::from_vec(vec![-1e4f32, -1.5, 1.5, 1e4], &[4]).unwrap());
        let y = x.sigmoid();
        let v = y.value().to_vec();
        assert_eq!(v[0], 0.0);
        assert_eq!(v[3], 1.0);
        assert!((v[1] + v[2] - 1.0).abs() < 1e-6);
        y.sum().backward();
        assert!(x.grad().unwrap().all_finite());
    }
}
