//! softplus: y = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^{-|x|}) so it never overflows.
//!
//! dy/dx = eˣ / (1 + eˣ) = σ(x). Saves the input; backward is the (differentiable)
//! sigmoid op, so the second derivative σ(x)(1 - σ(x)) follows.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `ln(1 + e^self)` (PyTorch's `softplus` with `beta = 1`, without its
    /// linear-region threshold: the stable form is exact everywhere).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::scalar(0.0f64));
    /// let y = x.softplus();
    /// y.backward();
    /// assert!((y.item() - 2f64.ln()).abs() < 1e-15);
    /// assert_eq!(x.grad().unwrap().item(), 0.5);
    /// ```
    #[track_caller]
    pub fn softplus(&self) -> Var<T> {
        let y = self.data().softplus();
        Var::from_unary_op("softplus", y, self, SoftplusBackward)
    }
}

struct SoftplusBackward;

impl<T: Float> Backward<T> for SoftplusBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.mul(&ctx.input(0).sigmoid()))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    let wide = Tensor::normal(&s2, 0.0, 5.0, rng);
    vec![
        GradCase::new("2-d", vec![inputs::normal(rng, &s2)], |v| v[0].softplus()),
        GradCase::new("3-d", vec![inputs::normal(rng, &s3)], |v| v[0].softplus()),
        GradCase::new("wide inputs (std 5)", vec![wide], |v| v[0].softplus()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn matches_log1p_exp_and_stays_finite() {
        let x = Var::parameter(Tensor::from_vec(vec![-1e4f32, -1.0, 2.0, 1e4], &[4]).unwrap());
        let y = x.softplus();
        let v = y.value().to_vec();
        assert_eq!(v[0], 0.0);
        assert!((v[1] - (-1.0f32).exp().ln_1p()).abs() < 1e-6);
        assert!((v[2] - 2.0f32.exp().ln_1p()).abs() < 1e-6);
        assert_eq!(v[3], 1e4);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec()[3], 1.0);
        assert!(x.grad().unwrap().all_finite());
    }
}
