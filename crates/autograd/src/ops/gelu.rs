//! gelu (exact): y = x · Φ(x), with Φ(x) = ½(1 + erf(x/√2)) the standard normal CDF
//! (PyTorch's `gelu` with `approximate='none'`).
//!
//! dy/dx = Φ(x) + x · φ(x), with φ(x) = e^{-x²/2} / √(2π) the standard normal density.
//! Saves the input; backward recomputes Φ and φ with Var ops (erf, exp), so the second
//! derivative φ(x)(2 - x²) follows.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise exact GELU `x · Φ(x)`, Φ the standard normal CDF (PyTorch's default
    /// `gelu`; see [`gelu_tanh`](Var::gelu_tanh) for the tanh approximation).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::scalar(0.0f64));
    /// let y = x.gelu();
    /// y.backward();
    /// assert_eq!(y.item(), 0.0);
    /// assert_eq!(x.grad().unwrap().item(), 0.5); // Φ(0) = ½
    /// ```
    #[track_caller]
    pub fn gelu(&self) -> Var<T> {
        let half = T::from_f64(0.5);
        let inv_sqrt2 = T::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        let y = self
            .data()
            .map(|x| half * x * (T::one() + (x * inv_sqrt2).erf()));
        Var::from_unary_op("gelu", y, self, GeluBackward)
    }
}

struct GeluBackward;

impl<T: Float> Backward<T> for GeluBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let x = ctx.input(0);
        let half = T::from_f64(0.5);
        let inv_sqrt2 = T::from_f64(std::f64::consts::FRAC_1_SQRT_2);
        // 1/√(2π) = (2/√π) · (1/√2) / 2.
        let inv_sqrt_2pi = T::from_f64(
            std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2 * 0.5,
        );
        let cdf = x
            .mul_scalar(inv_sqrt2)
            .erf()
            .add_scalar(T::one())
            .mul_scalar(half);
        let pdf = x.mul(x).mul_scalar(-half).exp().mul_scalar(inv_sqrt_2pi);
        vec![Some(g.mul(&cdf.add(&x.mul(&pdf))))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    let wide = Tensor::normal(&s2, 0.0, 3.0, rng);
    vec![
        GradCase::new("2-d", vec![inputs::normal(rng, &s2)], |v| v[0].gelu()),
        GradCase::new("3-d", vec![inputs::normal(rng, &s3)], |v| v[0].gelu()),
        GradCase::new("wide inputs (std 3)", vec![wide], |v| v[0].gelu()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn closed_form_values() {
        let x = Var::new(Tensor::from_vec(vec![0.0f64, 1.0, -1.0, 10.0, -10.0], &[5]).unwrap());
        let y = x.gelu().value().to_vec();
        assert_eq!(y[0], 0.0);
        // Φ(1) = 0.8413447460685429, Φ(-1) = 1 - Φ(1).
        assert!((y[1] - 0.841_344_746_068_542_9).abs() < 1e-14);
        assert!((y[2] + (1.0 - 0.841_344_746_068_542_9)).abs() < 1e-14);
        assert_eq!(y[3], 10.0);
        assert!(y[4].abs() < 1e-20);
    }
}
