//! log: y = ln x (natural log), defined for x > 0.   dy/dx = 1/x. Saves the input.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise natural logarithm.
    #[track_caller]
    pub fn log(&self) -> Var<T> {
        let y = self.data().log();
        Var::from_unary_op("log", y, self, LogBackward)
    }
}

struct LogBackward;

impl<T: Float> Backward<T> for LogBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.div(ctx.input(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![GradCase::new("positive", vec![inputs::positive(rng, &s)], |v| {
        v[0].log()
    })]
}
