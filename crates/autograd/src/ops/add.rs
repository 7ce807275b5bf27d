//! add: y = a + b, with broadcasting.
//!
//! dy/da = 1, dy/db = 1: the upstream gradient passes to both inputs unchanged, then is
//! summed over the axes each input was broadcast along (`sum_to` its own shape).
//! Saves nothing.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self + other` with broadcasting.
    ///
    /// # Panics
    ///
    /// If the shapes cannot be broadcast together (the message names `add` and both shapes).
    #[track_caller]
    pub fn add(&self, other: &Var<T>) -> Var<T> {
        let (a, b) = (self.data(), other.data());
        let y = a.add(&b);
        // Compared inline: slice equality calls `memcmp`, which costs more than the
        // comparison itself for the few axes of a shape.
        let (sa, sb) = (a.shape(), b.shape());
        let same_shape = sa.len() == sb.len() && sa.iter().zip(sb).all(|(x, y)| x == y);
        drop((a, b));
        if same_shape {
            Var::from_binary_op("add", y, self, other, AddSameShapeBackward)
        } else {
            Var::from_binary_op("add", y, self, other, AddBackward)
        }
    }
}

/// The rule when both inputs have the output's shape (nothing was broadcast): the upstream
/// gradient goes to both as it is, with no need to look at the inputs' shapes.
struct AddSameShapeBackward;

impl<T: Float> Backward<T> for AddSameShapeBackward {
    fn passes_gradient_through(&self) -> bool {
        true
    }

    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        // The last input that needs the gradient takes the buffer itself.
        let (ga, gb) = match (ctx.needs_grad(0), ctx.needs_grad(1)) {
            (true, true) => (Some(g.clone()), Some(g)),
            (true, false) => (Some(g), None),
            (false, true) => (None, Some(g)),
            (false, false) => (None, None),
        };
        out.push(ga);
        out.push(gb);
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        AddBackward.backward(ctx, g)
    }
}

/// The rule with broadcasting: each input's gradient is the upstream one summed to its shape.
struct AddBackward;

impl<T: Float> Backward<T> for AddBackward {
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        // The same gradient goes to both inputs: the last one that needs it takes the
        // buffer itself.
        let (a, b) = (ctx.input(0).data(), ctx.input(1).data());
        let (ga, gb) = match (ctx.needs_grad(0), ctx.needs_grad(1)) {
            (true, true) => (Some(g.sum_to(a.shape())), Some(g.into_sum_to(b.shape()))),
            (true, false) => (Some(g.into_sum_to(a.shape())), None),
            (false, true) => (None, Some(g.into_sum_to(b.shape()))),
            (false, false) => (None, None),
        };
        out.push(ga);
        out.push(gb);
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        (0..2)
            .map(|i| ctx.needs_grad(i).then(|| g.sum_to(&ctx.input_shape(i))))
            .collect()
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (full, small) = inputs::broadcast_pair(rng);
    let s = inputs::shape(rng, 2, 4);
    vec![
        GradCase::new(
            "same shape",
            vec![inputs::normal(rng, &s), inputs::normal(rng, &s)],
            |v| v[0].add(&v[1]),
        ),
        GradCase::new(
            "broadcast",
            vec![inputs::normal(rng, &full), inputs::normal(rng, &small)],
            |v| v[0].add(&v[1]),
        ),
        GradCase::new(
            "broadcast lhs",
            vec![inputs::normal(rng, &small), inputs::normal(rng, &full)],
            |v| v[0].add(&v[1]),
        ),
        GradCase::new("same input twice", vec![inputs::normal(rng, &s)], |v| {
            v[0].add(&v[0])
        }),
    ]
}
