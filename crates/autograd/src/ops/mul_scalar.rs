//! mul_scalar: y = c · x for a constant c.   dy/dx = c. Saves nothing (c is in the op).

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self * c`.
    #[track_caller]
    pub fn mul_scalar(&self, c: T) -> Var<T> {
        let y = self.data().mul_scalar(c);
        Var::from_unary_op("mul_scalar", y, self, MulScalarBackward(c))
    }
}

struct MulScalarBackward<T>(T);

impl<T: Float> Backward<T> for MulScalarBackward<T> {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, mut g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let _ = ctx;
        let s = self.0;
        g.map_(|g| g * s);
        vec![Some(g)]
    }

    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.mul_scalar(self.0))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 3, 3);
    vec![GradCase::new("c = -1.7", vec![inputs::normal(rng, &s)], |v| {
        v[0].mul_scalar(-1.7)
    })]
}
