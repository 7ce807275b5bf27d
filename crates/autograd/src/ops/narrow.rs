//! narrow: y = x[.., start..start + len, ..] along `axis` (like `torch.narrow`).
//!
//! Each output element is one input element, and the input elements outside the range do
//! not reach the output, so dx = dy padded with zeros back to x's shape (`pad_axis`).
//! Saves only the input's shape and `start`.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The slice `start..start + len` along `axis`.
    ///
    /// # Panics
    ///
    /// If the axis or the range is out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]).unwrap());
    /// x.narrow(0, 1, 2).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Var<T> {
        let y = self.data().narrow(axis, start, len);
        Var::from_unary_op(
            "narrow",
            y,
            self,
            NarrowBackward { axis, start },
        )
    }
}

struct NarrowBackward {
    axis: usize,
    start: usize,
}

impl<T: Float> Backward<T> for NarrowBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.pad_axis(&ctx.input_shape(0), self.axis, self.start))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases: Vec<GradCase> = (1..4)
        .map(|ndim| {
            let s = inputs::shape(rng, ndim, 5);
            let axis = rng.below(ndim);
            let start = rng.below(s[axis]);
            let len = 1 + rng.below(s[axis] - start);
            GradCase::new(
                format!("axis {axis} {start}..{}", start + len),
                vec![inputs::normal(rng, &s)],
                move |v| v[0].narrow(axis, start, len),
            )
        })
        .collect();
    cases.push(GradCase::new(
        "two overlapping slices",
        vec![inputs::normal(rng, &[5, 2])],
        |v| v[0].narrow(0, 0, 3).mul(&v[0].narrow(0, 2, 3)),
    ));
    cases
}
