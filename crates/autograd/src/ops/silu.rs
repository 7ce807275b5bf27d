//! silu (swish): y = x·σ(x) = x / (1 + e⁻ˣ).
//!
//! dy/dx = σ(x) + x·σ(x)(1 - σ(x)) = σ(x)(1 + x(1 - σ(x))), PyTorch's formula. The
//! forward takes σ from the stable sigmoid (no e^{|x|} overflow). Saves the input.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise SiLU (swish) `x·σ(x)`, PyTorch's `F.silu` / `nn.SiLU`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![0.0f64, 2.0], &[2]).unwrap());
    /// let y = x.silu();
    /// let s2 = 1.0 / (1.0 + (-2.0f64).exp());
    /// assert_eq!(y.value().to_vec(), vec![0.0, 2.0 * s2]);
    /// y.sum().backward();
    /// let g = x.grad().unwrap().to_vec();
    /// assert_eq!(g[0], 0.5);
    /// assert!((g[1] - s2 * (1.0 + 2.0 * (1.0 - s2))).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn silu(&self) -> Var<T> {
        let y = {
            let x = self.data();
            x.mul(&x.sigmoid())
        };
        Var::from_unary_op("silu", y, self, SiluBackward)
    }
}

struct SiluBackward;

impl<T: Float> Backward<T> for SiluBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.input(0).data();
        let s = x.sigmoid();
        // σ(x)·(1 + x·(1 - σ(x)))
        let local = s.zip_with(&x, "silu backward", |s, x| {
            s * (T::one() + x * (T::one() - s))
        });
        vec![Some(g.mul(&local))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let x = ctx.input(0);
        let s = x.sigmoid();
        let local = s.mul(&x.mul(&s.neg().add_scalar(T::one())).add_scalar(T::one()));
        vec![Some(g.mul(&local))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    let wide = Tensor::normal(&s2, 0.0, 4.0, rng);
    vec![
        GradCase::new("2-d", vec![inputs::normal(rng, &s2)], |v| v[0].silu()),
        GradCase::new("3-d", vec![inputs::normal(rng, &s3)], |v| v[0].silu()),
        GradCase::new("wide inputs (std 4)", vec![wide], |v| v[0].silu()),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    /// Large |x| neither overflows nor loses the limits: silu(x) → x for x → ∞, → 0 for
    /// x → -∞, with gradients 1 and 0.
    #[test]
    fn limits_are_reached_without_overflow() {
        let x = Var::parameter(Tensor::from_vec(vec![-800.0f64, 800.0], &[2]).unwrap());
        let y = x.silu();
        assert_eq!(y.value().to_vec(), vec![-0.0, 800.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0]);
    }
}
