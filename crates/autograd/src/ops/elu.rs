//! elu: y = x for x > 0, α(eˣ - 1) otherwise.
//!
//! dy/dx = 1 for x > 0 and α·eˣ otherwise, so α at the kink x = 0 (PyTorch's
//! `elu_backward` tests `x <= 0`). eˣ - 1 is computed with `exp_m1`, accurate near 0.
//! Saves the input.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise ELU: `x` for `x > 0`, `alpha·(eˣ - 1)` otherwise (PyTorch's `F.elu` /
    /// `nn.ELU`, default `alpha` 1). The gradient at 0 is `alpha`, as in PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![-1.0f64, 0.0, 2.0], &[3]).unwrap());
    /// let y = x.elu(0.5);
    /// assert_eq!(y.value().to_vec(), vec![0.5 * (-1.0f64).exp_m1(), 0.0, 2.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5 * (-1.0f64).exp(), 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn elu(&self, alpha: T) -> Var<T> {
        let y = self
            .data()
            .map(|x| if x > T::zero() { x } else { alpha * x.exp_m1() });
        Var::from_unary_op("elu", y, self, EluBackward(alpha))
    }
}

struct EluBackward<T>(T);

impl<T: Float> Backward<T> for EluBackward<T> {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let alpha = self.0;
        let x = ctx.input(0).data();
        let grad = g.zip_with(&x, "elu backward", |g, x| {
            if x > T::zero() { g } else { g * (alpha * x.exp()) }
        });
        vec![Some(grad)]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let alpha = self.0;
        let x = ctx.input(0);
        // 1 where x > 0, α·eˣ elsewhere, as a differentiable expression of x.
        let (pos, neg) = {
            let v = x.data();
            let pos = v.map(|x| if x > T::zero() { T::one() } else { T::zero() });
            let neg = pos.map(|p| T::one() - p);
            (pos, neg)
        };
        let local = Var::new(pos).add(&x.exp().mul_scalar(alpha).mul(&Var::new(neg)));
        vec![Some(g.mul(&local))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new("alpha 1", vec![inputs::away_from_zero(rng, &s2)], |v| {
            v[0].elu(1.0)
        }),
        GradCase::new("3-d alpha 0.3", vec![inputs::away_from_zero(rng, &s3)], |v| {
            v[0].elu(0.3)
        }),
        GradCase::new("elu(x)·x", vec![inputs::away_from_zero(rng, &s2)], |v| {
            v[0].elu(1.5).mul(&v[0])
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::{BackwardOptions, Var, grad};

    /// The first-order rule and the recorded one agree, and the second derivative is
    /// α·eˣ below 0 and 0 above.
    #[test]
    fn second_derivative_is_alpha_exp_below_zero() {
        let x = Var::parameter(Tensor::from_vec(vec![-0.7f64, 0.4], &[2]).unwrap());
        let y = x.elu(2.0).sum();
        let opts = BackwardOptions {
            create_graph: true,
            ..Default::default()
        };
        let g = grad(&[y], std::slice::from_ref(&x), &[], opts)[0].clone().unwrap();
        assert_eq!(g.value().to_vec(), vec![2.0 * (-0.7f64).exp(), 1.0]);
        g.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![2.0 * (-0.7f64).exp(), 0.0]);
    }
}
