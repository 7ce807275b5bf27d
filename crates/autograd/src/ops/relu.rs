//! relu: y = max(x, 0).
//!
//! dy/dx = 1 for x > 0, 0 for x < 0; at the kink x = 0 the derivative is taken as 0
//! (PyTorch's choice). The mask is a constant, so the second derivative is 0 almost
//! everywhere. Saves the output (x > 0 ⇔ y > 0).

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `max(self, 0)`.
    #[track_caller]
    pub fn relu(&self) -> Var<T> {
        let y = self.data().relu();
        Var::from_op("relu", y, vec![self.clone()], ReluBackward)
    }
}

struct ReluBackward;

impl<T: Float> Backward<T> for ReluBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, mut g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let y = ctx.output().data();
        g.zip_with_(&y, "relu backward", |g, y| if y > T::zero() { g } else { T::zero() });
        vec![Some(g)]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let mask: Tensor<T> = ctx.output().data().map(|y| {
            if y > T::zero() {
                T::one()
            } else {
                T::zero()
            }
        });
        vec![Some(g.mul(&Var::new(mask)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 5);
    vec![GradCase::new(
        "away from 0",
        vec![inputs::away_from_zero(rng, &s)],
        |v| v[0].relu(),
    )]
}
