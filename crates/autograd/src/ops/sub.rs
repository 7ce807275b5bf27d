//! sub: y = a - b, with broadcasting.
//!
//! dy/da = 1, dy/db = -1; each gradient is summed back to its input's shape.
//! Saves nothing.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self - other` with broadcasting.
    ///
    /// # Panics
    ///
    /// If the shapes cannot be broadcast together.
    #[track_caller]
    pub fn sub(&self, other: &Var<T>) -> Var<T> {
        let y = self.data().sub(&other.data());
        Var::from_binary_op("sub", y, self, other, SubBackward)
    }
}

struct SubBackward;

impl<T: Float> Backward<T> for SubBackward {
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        let g0 = ctx
            .needs_grad(0)
            .then(|| g.sum_to(ctx.input(0).data().shape()));
        let g1 = ctx.needs_grad(1).then(|| {
            let mut g = g;
            g.map_(|g| -g);
            g.into_sum_to(ctx.input(1).data().shape())
        });
        out.push(g0);
        out.push(g1);
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![
            ctx.needs_grad(0).then(|| g.sum_to(&ctx.input_shape(0))),
            ctx.needs_grad(1).then(|| g.neg().sum_to(&ctx.input_shape(1))),
        ]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new(
            "same shape",
            vec![inputs::normal(rng, &s), inputs::normal(rng, &s)],
            |v| v[0].sub(&v[1]),
        ),
        GradCase::new(
            "broadcast",
            vec![inputs::normal(rng, &full), inputs::normal(rng, &small)],
            |v| v[0].sub(&v[1]),
        ),
        GradCase::new(
            "broadcast lhs",
            vec![inputs::normal(rng, &small), inputs::normal(rng, &full)],
            |v| v[0].sub(&v[1]),
        ),
    ]
}
