//! mul: y = a · b (elementwise), with broadcasting.
//!
//! dy/da = b, dy/db = a; each gradient is summed back to its input's shape.
//! Saves both inputs (held by the graph as the op's inputs).

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self * other` with broadcasting.
    ///
    /// # Panics
    ///
    /// If the shapes cannot be broadcast together.
    #[track_caller]
    pub fn mul(&self, other: &Var<T>) -> Var<T> {
        let y = self.data().mul(&other.data());
        Var::from_binary_op("mul", y, self, other, MulBackward)
    }
}

struct MulBackward;

impl<T: Float> Backward<T> for MulBackward {
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        let (a, b) = (ctx.input(0).data(), ctx.input(1).data());
        let ga = ctx.needs_grad(0).then(|| g.mul(&b).sum_to(a.shape()));
        let gb = ctx.needs_grad(1).then(|| {
            // g·a computed in g's own buffer, then summed back to b's shape (a no-op move
            // when b was not broadcast).
            let mut g = g;
            g.zip_with_(&a, "mul backward", |g, a| g * a);
            g.into_sum_to(b.shape())
        });
        out.push(ga);
        out.push(gb);
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (a, b) = (ctx.input(0), ctx.input(1));
        vec![
            ctx.needs_grad(0).then(|| g.mul(b).sum_to(&ctx.input_shape(0))),
            ctx.needs_grad(1).then(|| g.mul(a).sum_to(&ctx.input_shape(1))),
        ]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 2, 4);
    vec![
        GradCase::new(
            "same shape",
            vec![inputs::normal(rng, &s), inputs::normal(rng, &s)],
            |v| v[0].mul(&v[1]),
        ),
        GradCase::new(
            "broadcast",
            vec![inputs::normal(rng, &full), inputs::normal(rng, &small)],
            |v| v[0].mul(&v[1]),
        ),
        GradCase::new(
            "broadcast lhs",
            vec![inputs::normal(rng, &small), inputs::normal(rng, &full)],
            |v| v[0].mul(&v[1]),
        ),
        GradCase::new("square via self", vec![inputs::normal(rng, &s)], |v| {
            v[0].mul(&v[0])
        }),
    ]
}
