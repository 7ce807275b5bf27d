//! unsqueeze: y = x with a new axis of extent 1 inserted at position `axis`.
//!
//! The elements and their order are unchanged, so dx = dy reshaped back to x's shape.
//! Saves only the input's shape.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Inserts an axis of extent 1 at position `axis` (`0..=ndim`), like
    /// `torch.unsqueeze(x, dim)`.
    ///
    /// # Panics
    ///
    /// If `axis > ndim`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::<f32>::parameter(Tensor::ones(&[2, 3]));
    /// assert_eq!(x.unsqueeze(2).shape(), vec![2, 3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, axis: usize) -> Var<T> {
        let y = self.data().unsqueeze(axis);
        Var::from_unary_op("unsqueeze", y, self, UnsqueezeBackward)
    }
}

struct UnsqueezeBackward;

impl<T: Float> Backward<T> for UnsqueezeBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.reshape(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    (1..4)
        .map(|ndim| {
            let s = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim + 1);
            GradCase::new(
                format!("axis {axis} of {ndim}-d"),
                vec![inputs::normal(rng, &s)],
                move |v| v[0].unsqueeze(axis),
            )
        })
        .collect()
}
