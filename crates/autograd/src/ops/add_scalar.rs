//! add_scalar: y = x + c for a constant c.   dy/dx = 1. Saves nothing.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self + c`.
    #[track_caller]
    pub fn add_scalar(&self, c: T) -> Var<T> {
        let y = self.data().add_scalar(c);
        Var::from_unary_op("add_scalar", y, self, AddScalarBackward)
    }
}

struct AddScalarBackward;

impl<T: Float> Backward<T> for AddScalarBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let _ = ctx;
        vec![Some(g)]
    }

    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.clone())]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![GradCase::new("c = 2.5", vec![inputs::normal(rng, &s)], |v| {
        v[0].add_scalar(2.5)
    })]
}
