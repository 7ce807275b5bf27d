//! minimum: y = min(a, b) elementwise, with broadcasting (`torch.minimum`).
//!
//! dy/da = 1 where a < b and 0 where a > b; dy/db the other way round. At ties (a = b)
//! the gradient is split half/half, as in PyTorch. The masks are constants, so the second
//! derivative is 0 almost everywhere. Each gradient is summed back to its input's shape.
//! Saves both inputs.

use backprop_tensor::{Float, Rng, Tensor};

use super::maximum::distinct_pair;
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise minimum of `self` and `other` with broadcasting (NaN propagates). At
    /// ties the gradient is split equally between the two, as in PyTorch.
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
    /// let a = Var::parameter(Tensor::from_vec(vec![1.0f64, 5.0, 2.0], &[3]).unwrap());
    /// let b = Var::parameter(Tensor::scalar(2.0f64));
    /// let y = a.minimum(&b);
    /// assert_eq!(y.value().to_vec(), vec![1.0, 2.0, 2.0]);
    /// y.sum().backward();
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 0.0, 0.5]);
    /// assert_eq!(b.grad().unwrap().item(), 1.5);
    /// ```
    #[track_caller]
    pub fn minimum(&self, other: &Var<T>) -> Var<T> {
        let y = self.data().minimum(&other.data());
        Var::from_op(
            "minimum",
            y,
            vec![self.clone(), other.clone()],
            MinimumBackward,
        )
    }
}

struct MinimumBackward;

/// The share of the gradient that goes to the first argument of `minimum(x, y)`, on the
/// broadcast shape: PyTorch's `where(x == y, ½, 1)` then zeroed where `x > y`.
fn share<T: Float>(x: &Tensor<T>, y: &Tensor<T>) -> Var<T> {
    let half = T::from_f64(0.5);
    Var::new(x.zip_with(y, "minimum", |x, y| {
        if x == y {
            half
        } else if x > y {
            T::zero()
        } else {
            T::one()
        }
    }))
}

impl<T: Float> Backward<T> for MinimumBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (a, b) = (ctx.input(0).data(), ctx.input(1).data());
        vec![
            ctx.needs_grad(0)
                .then(|| g.mul(&share(&a, &b)).sum_to(&ctx.input_shape(0))),
            ctx.needs_grad(1)
                .then(|| g.mul(&share(&b, &a)).sum_to(&ctx.input_shape(1))),
        ]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new("same shape", distinct_pair(rng, &s, &s), |v| {
            v[0].minimum(&v[1])
        }),
        GradCase::new("broadcast", distinct_pair(rng, &full, &small), |v| {
            v[0].minimum(&v[1])
        }),
        GradCase::new("broadcast lhs", distinct_pair(rng, &small, &full), |v| {
            v[0].minimum(&v[1])
        }),
        GradCase::new("scalar lhs", distinct_pair(rng, &[], &s), |v| {
            v[0].minimum(&v[1])
        }),
        GradCase::new(
            "mutual broadcast [2,1,3] vs [4,1]",
            distinct_pair(rng, &[2, 1, 3], &[4, 1]),
            |v| v[0].minimum(&v[1]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn ties_split_the_gradient() {
        let a = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap());
        let b = Var::parameter(Tensor::from_vec(vec![1.0f64, 0.0, 4.0], &[3]).unwrap());
        let y = a.minimum(&b);
        assert_eq!(y.value().to_vec(), vec![1.0, 0.0, 3.0]);
        y.sum().backward();
        assert_eq!(a.grad().unwrap().to_vec(), vec![0.5, 0.0, 1.0]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![0.5, 1.0, 0.0]);
    }
}
