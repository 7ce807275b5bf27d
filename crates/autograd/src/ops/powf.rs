//! powf: y = xᵖ for a constant exponent p.
//!
//! dy/dx = p·xᵖ⁻¹. For non-integer p the domain is x > 0 (the checks use positive x).
//! For p = 0 the output is the constant 1 and the gradient is 0 everywhere, x = 0
//! included (as PyTorch: not 0 · 0⁻¹ = NaN). Saves the input.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self^p` for a constant exponent `p` (`torch.pow(x, p)`; `p = 0` gives
    /// ones and a zero gradient, even at `x = 0`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![0.0f64, 2.0], &[2]).unwrap());
    /// let y = x.powf(3.0);
    /// y.sum().backward();
    /// assert_eq!(y.value().to_vec(), vec![0.0, 8.0]);
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn powf(&self, p: T) -> Var<T> {
        let y = self.data().powf(p);
        Var::from_unary_op("powf", y, self, PowfBackward(p))
    }
}

struct PowfBackward<T>(T);

impl<T: Float> Backward<T> for PowfBackward<T> {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let p = self.0;
        let x = ctx.input(0);
        if p == T::zero() {
            return vec![Some(Var::new(Tensor::zeros(&ctx.input_shape(0))))];
        }
        let local = if p == T::one() + T::one() {
            x.mul_scalar(p)
        } else {
            x.powf(p - T::one()).mul_scalar(p)
        };
        vec![Some(g.mul(&local))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![
        GradCase::new("p = 2", vec![inputs::normal(rng, &s)], |v| v[0].powf(2.0)),
        GradCase::new("p = 3", vec![inputs::normal(rng, &s)], |v| v[0].powf(3.0)),
        GradCase::new("p = -1.5", vec![inputs::positive(rng, &s)], |v| {
            v[0].powf(-1.5)
        }),
        GradCase::new("p = 0.5", vec![inputs::positive(rng, &s)], |v| {
            v[0].powf(0.5)
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    /// PyTorch's `torch.pow(x, 0.0)` backward is zeros (x = 0 included), and for p = 0.5
    /// the derivative at 0 is +inf.
    #[test]
    fn zero_exponent_has_zero_gradient_at_zero() {
        let x = Var::parameter(Tensor::from_vec(vec![-2.0f64, 0.0, 3.0], &[3]).unwrap());
        let y = x.powf(0.0);
        assert_eq!(y.value().to_vec(), vec![1.0, 1.0, 1.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 0.0]);

        let x = Var::parameter(Tensor::from_vec(vec![0.0f64, -2.0], &[2]).unwrap());
        x.powf(0.5).sum().backward();
        let g = x.grad().unwrap().to_vec();
        assert_eq!(g[0], f64::INFINITY);
        assert!(g[1].is_nan());
    }
}
