//! sum: y = Σ x over chosen axes (or all elements).
//!
//! dy/dx = 1 for every summed element: the upstream gradient is reshaped to keep the
//! reduced axes (extent 1) and broadcast back over them. Saves only the input's shape.

use backprop_tensor::{Float, Rng, reduced_shape, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The sum of all elements, as a 0-d value.
    #[track_caller]
    pub fn sum(&self) -> Var<T> {
        let axes: Vec<usize> = (0..self.data().ndim()).collect();
        self.sum_axes(&axes, false)
    }

    /// Sums over `axes`; with `keepdim` the reduced axes stay with extent 1.
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    #[track_caller]
    pub fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Var<T> {
        let y = self.data().sum(axes, keepdim);
        let kept = reduced_shape(&self.shape(), axes, true);
        Var::from_unary_op("sum", y, self, SumBackward { kept })
    }
}

pub(crate) struct SumBackward {
    /// The output shape with reduced axes kept as extent 1.
    pub(crate) kept: Vec<usize>,
}

impl<T: Float> Backward<T> for SumBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(
            g.reshape(&self.kept)
                .broadcast_to(ctx.input(0).data().shape()),
        )]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.reshape(&self.kept).broadcast_to(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 3, 4);
    vec![
        GradCase::new("all", vec![inputs::normal(rng, &s)], |v| v[0].sum()),
        GradCase::new("axis 1", vec![inputs::normal(rng, &s)], |v| {
            v[0].sum_axes(&[1], false)
        }),
        GradCase::new("axes 0,2 keepdim", vec![inputs::normal(rng, &s)], |v| {
            v[0].sum_axes(&[0, 2], true)
        }),
    ]
}
