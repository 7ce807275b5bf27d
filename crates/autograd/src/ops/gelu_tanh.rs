//! gelu_tanh: the tanh approximation of GELU (PyTorch's `gelu(approximate='tanh')`):
//!
//! y = ½x(1 + t),  t = tanh(u),  u = k(x + c·x³),  k = √(2/π),  c = 0.044715.
//!
//! dy/dx = ½(1 + t) + ½x(1 - t²) · k(1 + 3c·x²).
//! Saves the input; backward recomputes t with the (differentiable) tanh op, so the
//! second derivative follows.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

/// k = √(2/π) = (2/√π) · (1/√2).
const K: f64 = std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2;
const C: f64 = 0.044715;

impl<T: Float> Var<T> {
    /// Elementwise GELU with the tanh approximation
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`, as PyTorch's `gelu(approximate='tanh')`
    /// (used by GPT-2); [`gelu`](Var::gelu) is the exact form.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::scalar(1.0f64));
    /// let approx = x.gelu_tanh().item();
    /// let exact = x.gelu().item();
    /// assert!((approx - exact).abs() < 1e-3);
    /// ```
    #[track_caller]
    pub fn gelu_tanh(&self) -> Var<T> {
        let (half, k, c) = (T::from_f64(0.5), T::from_f64(K), T::from_f64(C));
        let y = self
            .data()
            .map(|x| half * x * (T::one() + (k * (x + c * x * x * x)).tanh()));
        Var::from_unary_op("gelu_tanh", y, self, GeluTanhBackward)
    }
}

struct GeluTanhBackward;

impl<T: Float> Backward<T> for GeluTanhBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let x = ctx.input(0);
        let (half, k, c) = (T::from_f64(0.5), T::from_f64(K), T::from_f64(C));
        let x2 = x.mul(x);
        let t = x2.mul_scalar(c).add_scalar(T::one()).mul(x).mul_scalar(k).tanh();
        let du = x2.mul_scalar(T::from_f64(3.0) * c).add_scalar(T::one()).mul_scalar(k);
        let first = t.add_scalar(T::one()).mul_scalar(half);
        let second = x
            .mul(&t.mul(&t).neg().add_scalar(T::one()))
            .mul(&du)
            .mul_scalar(half);
        vec![Some(g.mul(&first.add(&second)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    let wide = Tensor::normal(&s2, 0.0, 3.0, rng);
    vec![
        GradCase::new("2-d", vec![inputs::normal(rng, &s2)], |v| v[0].gelu_tanh()),
        GradCase::new("3-d", vec![inputs::normal(rng, &s3)], |v| v[0].gelu_tanh()),
        GradCase::new("wide inputs (std 3)", vec![wide], |v| v[0].gelu_tanh()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn zero_at_zero_and_close_to_exact_gelu() {
        let xs: Vec<f64> = (0..=80).map(|i| -4.0 + 0.1 * i as f64).collect();
        let x = Var::new(Tensor::from_vec(xs, &[81]).unwrap());
        let approx = x.gelu_tanh().value().to_vec();
        let exact = x.gelu().value().to_vec();
        assert_eq!(approx[40], 0.0);
        // The approximation stays within 5e-4 of the exact form on [-4, 4].
        for (a, e) in approx.iter().zip(&exact) {
            assert!((a - e).abs() < 5e-4, "{a} vs {e}");
        }
    }
}
