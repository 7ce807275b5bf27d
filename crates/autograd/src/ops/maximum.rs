//! maximum: y = max(a, b) elementwise, with broadcasting (`torch.maximum`).
//!
//! dy/da = 1 where a > b and 0 where a < b; dy/db the other way round. At ties (a = b)
//! the gradient is split half/half, as in PyTorch, so `maximum(x, x)` passes it all to x.
//! The masks are constants, so the second derivative is 0 almost everywhere. Each gradient
//! is summed back to its input's shape. Saves both inputs.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise maximum of `self` and `other` with broadcasting (NaN propagates). At
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
    /// let y = a.maximum(&b);
    /// assert_eq!(y.value().to_vec(), vec![2.0, 5.0, 2.0]);
    /// y.sum().backward();
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.5]);
    /// assert_eq!(b.grad().unwrap().item(), 1.5);
    /// ```
    #[track_caller]
    pub fn maximum(&self, other: &Var<T>) -> Var<T> {
        let y = self.data().maximum(&other.data());
        Var::from_op(
            "maximum",
            y,
            vec![self.clone(), other.clone()],
            MaximumBackward,
        )
    }
}

struct MaximumBackward;

/// The share of the gradient that goes to the first argument of `maximum(x, y)`, on the
/// broadcast shape: PyTorch's `where(x == y, ½, 1)` then zeroed where `x < y`. The share
/// of the second argument is the same with `x` and `y` swapped.
fn share<T: Float>(x: &Tensor<T>, y: &Tensor<T>) -> Var<T> {
    let half = T::from_f64(0.5);
    Var::new(x.zip_with(y, "maximum", |x, y| {
        if x == y {
            half
        } else if x < y {
            T::zero()
        } else {
            T::one()
        }
    }))
}

impl<T: Float> Backward<T> for MaximumBackward {
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

/// Two tensors whose elements are all distinct from each other (at least 0.37 apart), so
/// no pair compared after broadcasting is tied or near a tie.
pub(crate) fn distinct_pair(rng: &mut Rng, sa: &[usize], sb: &[usize]) -> Vec<Tensor<f64>> {
    let na: usize = sa.iter().product();
    let nb: usize = sb.iter().product();
    let all = inputs::distinct(rng, &[na + nb]).to_vec();
    vec![
        Tensor::from_vec(all[..na].to_vec(), sa).expect("na elements"),
        Tensor::from_vec(all[na..].to_vec(), sb).expect("nb elements"),
    ]
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 2, 4);
    vec![
        GradCase::new("same shape", distinct_pair(rng, &s, &s), |v| {
            v[0].maximum(&v[1])
        }),
        GradCase::new("broadcast", distinct_pair(rng, &full, &small), |v| {
            v[0].maximum(&v[1])
        }),
        GradCase::new("broadcast lhs", distinct_pair(rng, &small, &full), |v| {
            v[0].maximum(&v[1])
        }),
        GradCase::new("scalar rhs", distinct_pair(rng, &s, &[]), |v| {
            v[0].maximum(&v[1])
        }),
        GradCase::new(
            "mutual broadcast [2,1,3] vs [4,1]",
            distinct_pair(rng, &[2, 1, 3], &[4, 1]),
            |v| v[0].maximum(&v[1]),
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
        let y = a.maximum(&b);
        assert_eq!(y.value().to_vec(), vec![1.0, 2.0, 4.0]);
        y.sum().backward();
        assert_eq!(a.grad().unwrap().to_vec(), vec![0.5, 1.0, 0.0]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![0.5, 0.0, 1.0]);
    }

    #[test]
    fn maximum_with_itself_passes_the_whole_gradient() {
        let x = Var::parameter(Tensor::from_vec(vec![-1.0f64, 2.0], &[2]).unwrap());
        x.maximum(&x).sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    }
}
