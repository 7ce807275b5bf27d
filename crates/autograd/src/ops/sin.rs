//! sin: y = sin x.   dy/dx = cos x. Saves the input.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise sine.
    #[track_caller]
    pub fn sin(&self) -> Var<T> {
        let y = self.data().sin();
        Var::from_unary_op("sin", y, self, SinBackward)
    }
}

struct SinBackward;

impl<T: Float> Backward<T> for SinBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, mut g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.input(0).data();
        g.zip_with_(&x, "sin backward", |g, x| g * x.cos());
        vec![Some(g)]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.mul(&ctx.input(0).cos()))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![GradCase::new("random", vec![inputs::normal(rng, &s)], |v| {
        v[0].sin()
    })]
}
