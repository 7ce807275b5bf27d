//! softplus: y = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^{-|x|}) so it never overflows.
//!
//! dy/dx = eˣ / (1 + eˣ) = σ(x). Saves the input; backward is the (differentiable)
//! sigmoid op, so the second derivative σ(x)(1 - σ(x)) follows.
//!
//! `softplus_with(β, threshold)` is PyTorch's full `softplus`: y = ln(1 + e^{βx}) / β,
//! and y = x where βx > threshold (the linear region, derivative 1); elsewhere
//! dy/dx = σ(βx). It is composed from `mul_scalar`, `softplus` and `where_cond`.

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

impl<T: Float> Var<T> {
    /// PyTorch's `softplus(x, beta, threshold)` (module `nn.Softplus`, defaults β = 1,
    /// threshold = 20): `ln(1 + e^{β·x}) / β`, reverting to `x` where `β·x > threshold`
    /// (gradient 1 there, `σ(β·x)` elsewhere).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![0.0f64, 3.0], &[2]).unwrap());
    /// let y = x.softplus_with(2.0, 5.0); // 2·3 > 5: the linear region
    /// assert!((y.value().to_vec()[0] - 2f64.ln() / 2.0).abs() < 1e-15);
    /// assert_eq!(y.value().to_vec()[1], 3.0);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn softplus_with(&self, beta: T, threshold: T) -> Var<T> {
        let bx = self.mul_scalar(beta);
        let linear = bx.data().gt(&Tensor::scalar(threshold));
        let smooth = bx.softplus().mul_scalar(T::one() / beta);
        Var::where_cond(&linear, self, &smooth)
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
        GradCase::new("wide inputs (std 5)", vec![wide.clone()], |v| v[0].softplus()),
        // Threshold 2 puts some of the wide inputs in the linear region; none sits within
        // the finite-difference step of the switch point at x = 1.
        GradCase::new(
            "beta 2, threshold 2",
            vec![wide.map(|x| if (x - 1.0).abs() < 0.05 { x + 0.1 } else { x })],
            |v| v[0].softplus_with(2.0, 2.0),
        ),
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

    /// `torch.nn.functional.softplus(x, beta=0.5, threshold=3.0)` written out: the linear
    /// region starts where 0.5·x > 3.
    #[test]
    fn beta_and_threshold_follow_pytorch() {
        let xs = vec![-4.0f64, 0.0, 5.9, 6.0, 6.1, 30.0];
        let x = Var::parameter(Tensor::from_vec(xs.clone(), &[6]).unwrap());
        let y = x.softplus_with(0.5, 3.0);
        y.sum().backward();
        let (v, g) = (y.value().to_vec(), x.grad().unwrap().to_vec());
        for (i, &xi) in xs.iter().enumerate() {
            let (want, dwant) = if 0.5 * xi > 3.0 {
                (xi, 1.0)
            } else {
                ((0.5 * xi).exp().ln_1p() / 0.5, 1.0 / (1.0 + (-0.5 * xi).exp()))
            };
            assert!((v[i] - want).abs() < 1e-14, "{xi}: {} vs {want}", v[i]);
            assert!((g[i] - dwant).abs() < 1e-14, "{xi}: {} vs {dwant}", g[i]);
        }
        assert_eq!(v[5], 30.0);
    }
}
