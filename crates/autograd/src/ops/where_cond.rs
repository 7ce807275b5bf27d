//! where_cond: y = cond ? a : b elementwise, broadcasting cond, a and b together
//! (`torch.where`).
//!
//! dy/da = 1 where cond holds and 0 elsewhere; dy/db = 1 - dy/da. The mask is a constant
//! (it has no gradient). Backward routes the upstream gradient with the same op —
//! `where(cond, g, 0)` to a and `where(cond, 0, g)` to b, so an infinite upstream gradient
//! reaches only the input selected there instead of becoming NaN (∞ · 0) in the other —
//! then sums each back to its input's shape. Saves the mask.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three (like
    /// `torch.where`). The mask is a constant; gradients flow to `a` where it holds and to
    /// `b` where it does not.
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
    /// let cond = Tensor::from_vec(vec![true, false, true], &[3]).unwrap();
    /// let a = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap());
    /// let b = Var::parameter(Tensor::scalar(-1.0f64));
    /// let y = Var::where_cond(&cond, &a, &b);
    /// assert_eq!(y.value().to_vec(), vec![1.0, -1.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 0.0, 1.0]);
    /// assert_eq!(b.grad().unwrap().item(), 1.0);
    /// ```
    #[track_caller]
    pub fn where_cond(cond: &Tensor<bool>, a: &Var<T>, b: &Var<T>) -> Var<T> {
        let y = Tensor::where_cond(cond, &a.data(), &b.data());
        Var::from_op(
            "where_cond",
            y,
            vec![a.clone(), b.clone()],
            WhereBackward { cond: cond.clone() },
        )
    }
}

struct WhereBackward {
    cond: Tensor<bool>,
}

impl<T: Float> Backward<T> for WhereBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let zero = Var::scalar(T::zero());
        vec![
            ctx.needs_grad(0).then(|| {
                Var::where_cond(&self.cond, g, &zero).sum_to(&ctx.input_shape(0))
            }),
            ctx.needs_grad(1).then(|| {
                Var::where_cond(&self.cond, &zero, g).sum_to(&ctx.input_shape(1))
            }),
        ]
    }
}

/// A random mask, true with probability ½.
fn mask(rng: &mut Rng, shape: &[usize]) -> Tensor<bool> {
    Tensor::<f64>::rand(shape, rng).gt(&Tensor::scalar(0.5))
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 3, 3);
    let (c_same, c_full, c_row) = (mask(rng, &s), mask(rng, &full), mask(rng, &[s[2]]));
    let c_small = mask(rng, &small);
    let c_col = mask(rng, &[3, 1]);
    vec![
        GradCase::new(
            "same shape",
            vec![inputs::normal(rng, &s), inputs::normal(rng, &s)],
            move |v| Var::where_cond(&c_same, &v[0], &v[1]),
        ),
        GradCase::new(
            "a, b broadcast",
            vec![inputs::normal(rng, &full), inputs::normal(rng, &small)],
            move |v| Var::where_cond(&c_full, &v[0], &v[1]),
        ),
        GradCase::new(
            "cond broadcast (last axis), b scalar",
            vec![inputs::normal(rng, &s), inputs::normal(rng, &[])],
            move |v| Var::where_cond(&c_row, &v[0], &v[1]),
        ),
        GradCase::new(
            "a broadcast up to cond and b",
            vec![inputs::normal(rng, &small), inputs::normal(rng, &full)],
            move |v| Var::where_cond(&c_small, &v[0].mul(&v[0]), &v[1]),
        ),
        GradCase::new(
            "all three broadcast: cond [3,1], a [4], b [2,1,1]",
            vec![inputs::normal(rng, &[4]), inputs::normal(rng, &[2, 1, 1])],
            move |v| Var::where_cond(&c_col, &v[0], &v[1]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn gradients_are_masked_and_summed_to_input_shapes() {
        // cond [2, 1] broadcast against a [3] and b [2, 3].
        let cond = Tensor::from_vec(vec![true, false], &[2, 1]).unwrap();
        let a = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap());
        let b = Var::parameter(Tensor::zeros(&[2, 3]));
        let y = Var::where_cond(&cond, &a, &b);
        assert_eq!(y.value().to_vec(), vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
        y.sum().backward();
        assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 1.0, 1.0]);
        assert_eq!(
            b.grad().unwrap().to_vec(),
            vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
        );
    }

    #[test]
    fn infinite_upstream_gradient_reaches_only_the_selected_input() {
        // sqrt'(0) = ∞ at element 0, which comes from a; b must get 0 there, not ∞ · 0 = NaN.
        let cond = Tensor::from_vec(vec![true, false], &[2]).unwrap();
        let a = Var::parameter(Tensor::from_vec(vec![0.0f64, 1.0], &[2]).unwrap());
        let b = Var::parameter(Tensor::from_vec(vec![5.0f64, 4.0], &[2]).unwrap());
        Var::where_cond(&cond, &a, &b).sqrt().sum().backward();
        assert_eq!(a.grad().unwrap().to_vec(), vec![f64::INFINITY, 0.0]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![0.0, 0.25]);
    }
}
