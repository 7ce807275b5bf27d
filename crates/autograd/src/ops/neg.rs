//! neg: y = -x.   dy/dx = -1. Saves nothing.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `-self`.
    #[track_caller]
    pub fn neg(&self) -> Var<T> {
        let y = self.data().neg();
        Var::from_unary_op("neg", y, self, NegBackward)
    }
}

struct NegBackward;

impl<T: Float> Backward<T> for NegBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, mut g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let _ = ctx;
        g.map_(|g| -g);
        vec![Some(g)]
    }

    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.neg())]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![GradCase::new("random", vec![inputs::normal(rng, &s)], |v| {
        v[0].neg()
    })]
}
