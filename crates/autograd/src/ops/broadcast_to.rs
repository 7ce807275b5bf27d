//! broadcast_to: y = x repeated along broadcast axes to a target shape.
//!
//! Each input element feeds every copy of it, so dx = Σ dy over the broadcast axes
//! (`sum_to` the input's shape). Saves only the input's shape.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Broadcasts to `shape` following the broadcasting rules.
    ///
    /// # Panics
    ///
    /// If the shape cannot be broadcast to `shape`.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Var<T> {
        if self.data().shape() == shape {
            return self.clone();
        }
        let y = self.data().broadcast_to(shape);
        Var::from_unary_op("broadcast_to", y, self, BroadcastToBackward)
    }
}

struct BroadcastToBackward;

impl<T: Float> Backward<T> for BroadcastToBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(g.sum_to(ctx.input(0).data().shape()))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.sum_to(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    vec![
        GradCase::new("random", vec![inputs::normal(rng, &small)], move |v| {
            v[0].broadcast_to(&full)
        }),
        GradCase::new("new leading axes", vec![inputs::normal(rng, &[3])], |v| {
            v[0].broadcast_to(&[2, 4, 3])
        }),
    ]
}
