//! squeeze: y = x with axis `axis` (of extent 1) removed.
//!
//! The elements and their order are unchanged, so dx = dy reshaped back to x's shape
//! (the removed axis comes back with extent 1). Saves only the input's shape.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Removes axis `axis`, which must have extent 1 (like `torch.squeeze(x, dim)`).
    ///
    /// # Panics
    ///
    /// If the axis is out of range or its extent is not 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::<f32>::parameter(Tensor::ones(&[2, 1, 3]));
    /// assert_eq!(x.squeeze(1).shape(), vec![2, 3]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self, axis: usize) -> Var<T> {
        let y = self.data().squeeze(axis);
        Var::from_unary_op("squeeze", y, self, SqueezeBackward)
    }
}

struct SqueezeBackward;

impl<T: Float> Backward<T> for SqueezeBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.reshape(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    (0..3)
        .map(|ndim| {
            let mut s = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim + 1);
            s.insert(axis, 1);
            GradCase::new(
                format!("axis {axis} of {}-d", ndim + 1),
                vec![inputs::normal(rng, &s)],
                move |v| v[0].squeeze(axis),
            )
        })
        .collect()
}
