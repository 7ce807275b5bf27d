//! cos: y = cos x.   dy/dx = -sin x. Saves the input.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise cosine.
    #[track_caller]
    pub fn cos(&self) -> Var<T> {
        let y = self.data().cos();
        Var::from_unary_op("cos", y, self, CosBackward)
    }
}

struct CosBackward;

impl<T: Float> Backward<T> for CosBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.mul(&ctx.input(0).sin()).neg())]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![GradCase::new("random", vec![inputs::normal(rng, &s)], |v| {
        v[0].cos()
    })]
}
