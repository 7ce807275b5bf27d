//! div: y = a / b (elementwise), with broadcasting.
//!
//! dy/da = 1/b, dy/db = -a/b²; each gradient is summed back to its input's shape.
//! Undefined at b = 0 (the checks keep b in [0.5, 2)). Saves both inputs.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self / other` with broadcasting.
    ///
    /// # Panics
    ///
    /// If the shapes cannot be broadcast together.
    #[track_caller]
    pub fn div(&self, other: &Var<T>) -> Var<T> {
        let y = self.data().div(&other.data());
        Var::from_op("div", y, vec![self.clone(), other.clone()], DivBackward)
    }
}

struct DivBackward;

impl<T: Float> Backward<T> for DivBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (a, b) = (ctx.input(0), ctx.input(1));
        let ga = g.div(b);
        let gb = ctx
            .needs_grad(1)
            .then(|| ga.mul(a).div(b).neg().sum_to(&ctx.input_shape(1)));
        vec![ctx.needs_grad(0).then(|| ga.sum_to(&ctx.input_shape(0))), gb]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 2, 4);
    vec![
        GradCase::new(
            "same shape",
            vec![inputs::normal(rng, &s), inputs::positive(rng, &s)],
            |v| v[0].div(&v[1]),
        ),
        GradCase::new(
            "broadcast",
            vec![inputs::normal(rng, &full), inputs::positive(rng, &small)],
            |v| v[0].div(&v[1]),
        ),
        GradCase::new(
            "broadcast lhs",
            vec![inputs::normal(rng, &small), inputs::positive(rng, &full)],
            |v| v[0].div(&v[1]),
        ),
    ]
}
