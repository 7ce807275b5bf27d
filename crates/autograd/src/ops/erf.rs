//! erf: y = erf(x) = (2/√π) ∫₀ˣ e^{-t²} dt.
//!
//! dy/dx = (2/√π) · e^{-x²}. Saves the input; backward recomputes e^{-x²} with Var ops so
//! the second derivative (-2x · dy/dx) follows.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise error function.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::scalar(0.0f64));
    /// let y = x.erf();
    /// y.backward();
    /// assert_eq!(y.item(), 0.0);
    /// assert!((x.grad().unwrap().item() - 2.0 / std::f64::consts::PI.sqrt()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn erf(&self) -> Var<T> {
        let y = self.data().erf();
        Var::from_unary_op("erf", y, self, ErfBackward)
    }
}

struct ErfBackward;

impl<T: Float> Backward<T> for ErfBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let x = ctx.input(0);
        let two_over_sqrt_pi = T::from_f64(std::f64::consts::FRAC_2_SQRT_PI);
        let local = x.mul(x).neg().exp().mul_scalar(two_over_sqrt_pi);
        vec![Some(g.mul(&local))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new("2-d", vec![inputs::normal(rng, &s2)], |v| v[0].erf()),
        GradCase::new("3-d", vec![inputs::normal(rng, &s3)], |v| v[0].erf()),
        GradCase::new("scalar", vec![inputs::normal(rng, &[])], |v| v[0].erf()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn odd_with_known_value() {
        // erf(1) = 0.8427007929497149 (Abramowitz & Stegun, table 7.1).
        let x = Var::new(Tensor::from_vec(vec![-1.0f64, 1.0, 10.0], &[3]).unwrap());
        let y = x.erf().value().to_vec();
        assert!((y[1] - 0.842_700_792_949_714_9).abs() < 1e-14);
        assert_eq!(y[0], -y[1]);
        assert_eq!(y[2], 1.0);
    }
}
