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
        let (a, b) = (self.data(), other.data());
        let y = a.sub(&b);
        let same_shape = a.shape() == b.shape();
        drop((a, b));
        if same_shape {
            Var::from_binary_op("sub", y, self, other, SubSameShapeBackward)
        } else {
            Var::from_binary_op("sub", y, self, other, SubBackward)
        }
    }
}

/// The rule when both inputs have the output's shape (nothing was broadcast): no sums, and
/// no need to look at the inputs' shapes.
struct SubSameShapeBackward;

impl<T: Float> Backward<T> for SubSameShapeBackward {
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        let (g0, mut g1) = match (ctx.needs_grad(0), ctx.needs_grad(1)) {
            (true, true) => (Some(g.clone()), Some(g)),
            (true, false) => (Some(g), None),
            (false, true) => (None, Some(g)),
            (false, false) => (None, None),
        };
        if let Some(g1) = &mut g1 {
            g1.map_(|g| -g);
        }
        out.push(g0);
        out.push(g1);
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        SubBackward.backward(ctx, g)
    }
}

/// The rule with broadcasting: each input's gradient is summed to its shape.
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
        GradCase::new("same input twice", vec![inputs::normal(rng, &s)], |v| {
            v[0].sub(&v[0]).mul(&v[0])
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    /// Same-shape and broadcast rules, with only one side requiring a gradient.
    #[test]
    fn add_and_sub_send_gradients_only_where_needed() {
        let t = |v: Vec<f64>, s: &[usize]| Tensor::from_vec(v, s).unwrap();
        for rhs_shape in [&[2, 2][..], &[2]] {
            let n = rhs_shape.iter().product();
            let x = Var::parameter(t(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
            let c = Var::new(t(vec![5.0; n], rhs_shape));
            x.add(&c).sub(&c).sum().backward();
            assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 4]);
            assert!(c.grad().is_none());

            let y = Var::parameter(t(vec![1.0; n], rhs_shape));
            let k = Var::new(t(vec![3.0; 4], &[2, 2]));
            k.sub(&y).add(&k).sum().backward();
            assert_eq!(y.grad().unwrap().to_vec(), vec![-4.0 / n as f64; n]);
            assert!(k.grad().is_none());
        }
    }
}
