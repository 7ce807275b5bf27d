//! reshape: y = x with a new shape (same elements, row-major order).
//!
//! A pure re-indexing, so dx = dy reshaped back to x's shape. Saves only the input's shape.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The same elements in a new shape.
    ///
    /// # Panics
    ///
    /// If the number of elements differs.
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Var<T> {
        if self.data().shape() == shape {
            return self.clone();
        }
        let y = self.data().reshape(shape);
        Var::from_unary_op("reshape", y, self, ReshapeBackward)
    }

    /// Flattens to one axis.
    #[track_caller]
    pub fn flatten(&self) -> Var<T> {
        let n = self.numel();
        self.reshape(&[n])
    }
}

struct ReshapeBackward;

impl<T: Float> Backward<T> for ReshapeBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(g.reshape(ctx.input(0).data().shape()))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.reshape(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    vec![
        GradCase::new("[2,3,4] -> [6,4]", vec![inputs::normal(rng, &[2, 3, 4])], |v| {
            v[0].reshape(&[6, 4])
        }),
        GradCase::new("flatten", vec![inputs::normal(rng, &[3, 2])], |v| {
            v[0].flatten()
        }),
    ]
}
