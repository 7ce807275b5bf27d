//! exp: y = eˣ.   dy/dx = eˣ = y, so backward reuses the saved output: dx = dy · y.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `e^self`.
    #[track_caller]
    pub fn exp(&self) -> Var<T> {
        let y = self.data().exp();
        Var::from_unary_op("exp", y, self, ExpBackward)
    }
}

struct ExpBackward;

impl<T: Float> Backward<T> for ExpBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, mut g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let y = ctx.output().data();
        g.zip_with_(&y, "exp backward", |g, y| g * y);
        vec![Some(g)]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.mul(ctx.output()))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![
        GradCase::new("random", vec![inputs::normal(rng, &s)], |v| v[0].exp()),
        GradCase::new("scalar", vec![inputs::normal(rng, &[])], |v| v[0].exp()),
    ]
}
