//! sum_to: y = x summed over the axes along which `shape` was broadcast to x's shape
//! (the adjoint of broadcast_to; reduces gradients of broadcast inputs).
//!
//! Each output element is a sum of input elements, so dx = dy broadcast back to x's shape.
//! Saves only the input's shape.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Sums over broadcast axes so the result has `shape` (the reverse of
    /// [`broadcast_to`](Var::broadcast_to)). Returns `self` when the shape already matches.
    ///
    /// # Panics
    ///
    /// If `shape` does not broadcast to this value's shape.
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Var<T> {
        if self.data().shape() == shape {
            return self.clone();
        }
        let y = self.data().sum_to(shape);
        Var::from_unary_op("sum_to", y, self, SumToBackward)
    }
}

struct SumToBackward;

impl<T: Float> Backward<T> for SumToBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(g.broadcast_to(ctx.input(0).data().shape()))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.broadcast_to(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    vec![
        GradCase::new("random", vec![inputs::normal(rng, &full)], move |v| {
            v[0].sum_to(&small)
        }),
        GradCase::new("leading and inner", vec![inputs::normal(rng, &[2, 3, 4])], |v| {
            v[0].sum_to(&[3, 1])
        }),
    ]
}
