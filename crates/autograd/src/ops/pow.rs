//! pow: y = aᵇ elementwise, with broadcasting (`torch.pow` with a tensor exponent).
//!
//! dy/da = b · aᵇ⁻¹ and dy/db = aᵇ · ln a = y · ln a; each gradient is summed back to its
//! input's shape. The domain of a non-integer exponent is a > 0 (the checks use a in
//! [0.5, 2)). Like PyTorch, dy/da is taken as 0 where b = 0 (so 0⁰ gives 0, not 0 · 0⁻¹)
//! and dy/db as 0 where a = 0 and b ≥ 0 (so 0ᵇ gives 0, not 0 · ln 0). Both rules select
//! with `where`, so they stay differentiable. Saves both inputs and the output.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self ^ exponent` with broadcasting; see [`powf`](Var::powf) for a
    /// constant exponent.
    ///
    /// # Panics
    ///
    /// If the shapes cannot be broadcast together.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let a = Var::parameter(Tensor::scalar(2.0f64));
    /// let b = Var::parameter(Tensor::scalar(3.0f64));
    /// let y = a.pow(&b);
    /// y.backward();
    /// assert_eq!(y.item(), 8.0);
    /// assert_eq!(a.grad().unwrap().item(), 12.0); // 3 · 2²
    /// assert!((b.grad().unwrap().item() - 8.0 * 2f64.ln()).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn pow(&self, exponent: &Var<T>) -> Var<T> {
        let y = self.data().pow(&exponent.data());
        Var::from_op("pow", y, vec![self.clone(), exponent.clone()], PowBackward)
    }
}

struct PowBackward;

impl<T: Float> Backward<T> for PowBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (a, b) = (ctx.input(0), ctx.input(1));
        let zero = Var::scalar(T::zero());
        let ga = ctx.needs_grad(0).then(|| {
            let b_is_zero = b.data().eq_elem(&Tensor::scalar(T::zero()));
            let local = a.pow(&b.add_scalar(-T::one())).mul(b);
            Var::where_cond(&b_is_zero, &zero, &g.mul(&local)).sum_to(&ctx.input_shape(0))
        });
        let gb = ctx.needs_grad(1).then(|| {
            let zero_base = a.data().zip_with(&b.data(), "pow", |x, e| {
                if x == T::zero() && e >= T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            });
            let zero_base = zero_base.gt(&Tensor::scalar(T::zero()));
            let local = ctx.output().mul(&a.log());
            Var::where_cond(&zero_base, &zero, &g.mul(&local)).sum_to(&ctx.input_shape(1))
        });
        vec![ga, gb]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 2, 4);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new(
            "same shape",
            vec![inputs::positive(rng, &s), inputs::normal(rng, &s)],
            |v| v[0].pow(&v[1]),
        ),
        GradCase::new(
            "3-d",
            vec![inputs::positive(rng, &s3), inputs::normal(rng, &s3)],
            |v| v[0].pow(&v[1]),
        ),
        GradCase::new(
            "broadcast exponent",
            vec![inputs::positive(rng, &full), inputs::normal(rng, &small)],
            |v| v[0].pow(&v[1]),
        ),
        GradCase::new(
            "broadcast base",
            vec![inputs::positive(rng, &small), inputs::normal(rng, &full)],
            |v| v[0].pow(&v[1]),
        ),
        GradCase::new(
            "scalar exponent",
            vec![inputs::positive(rng, &s), inputs::normal(rng, &[])],
            |v| v[0].pow(&v[1]),
        ),
        GradCase::new(
            "mutual broadcast [2,1,3] vs [4,1]",
            vec![inputs::positive(rng, &[2, 1, 3]), inputs::normal(rng, &[4, 1])],
            |v| v[0].pow(&v[1]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn zero_base_and_zero_exponent_follow_pytorch() {
        // a = [0, 0, 2], b = [2, 0, 0]: y = [0, 1, 1].
        let a = Var::parameter(Tensor::from_vec(vec![0.0f64, 0.0, 2.0], &[3]).unwrap());
        let b = Var::parameter(Tensor::from_vec(vec![2.0f64, 0.0, 0.0], &[3]).unwrap());
        let y = a.pow(&b);
        assert_eq!(y.value().to_vec(), vec![0.0, 1.0, 1.0]);
        y.sum().backward();
        // dy/da = b·a^(b-1): 2·0 = 0, and 0 where b = 0 (instead of 0·0⁻¹ = NaN).
        assert_eq!(a.grad().unwrap().to_vec(), vec![0.0, 0.0, 0.0]);
        // dy/db = y·ln a: 0 where a = 0 and b >= 0 (instead of 0·(-∞) = NaN); ln 2 at a = 2.
        let gb = b.grad().unwrap().to_vec();
        assert_eq!(&gb[..2], &[0.0, 0.0]);
        assert!((gb[2] - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn agrees_with_powf_for_a_constant_exponent() {
        let x = Tensor::from_vec(vec![0.5f64, 1.5, 3.0], &[3]).unwrap();
        let a = Var::parameter(x.clone());
        a.pow(&Var::scalar(2.5)).sum().backward();
        let c = Var::parameter(x);
        c.powf(2.5).sum().backward();
        assert!(a.grad().unwrap().allclose(&c.grad().unwrap(), 1e-14, 0.0));
    }
}
