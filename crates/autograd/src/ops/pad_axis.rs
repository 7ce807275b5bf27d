//! pad_axis: y = x placed at `start..start + n` along `axis` of a zero tensor of `shape`
//! (the adjoint of narrow).
//!
//! y[.., start + i, ..] = x[.., i, ..] and every other element of y is the constant 0, so
//! dx = dy narrowed back to `start..start + n` along `axis`. Saves nothing beyond `start`.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Pads with zeros to `shape`, placing this value at offset `start` along `axis` (the
    /// reverse of [`narrow`](Var::narrow); `shape` equals this value's shape except along
    /// `axis`).
    ///
    /// # Panics
    ///
    /// If `shape` has a different number of axes, differs from this value's shape outside
    /// `axis`, or `start + extent` exceeds `shape[axis]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap());
    /// assert_eq!(x.pad_axis(&[4], 0, 1).value().to_vec(), vec![0.0, 1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn pad_axis(&self, shape: &[usize], axis: usize, start: usize) -> Var<T> {
        let own = self.shape();
        let fits = shape.len() == own.len()
            && axis < own.len()
            && start + own[axis] <= shape[axis]
            && own
                .iter()
                .zip(shape)
                .enumerate()
                .all(|(d, (a, b))| d == axis || a == b);
        assert!(
            fits,
            "pad_axis: cannot place a value of shape {own:?} at offset {start} along axis \
             {axis} of shape {shape:?}"
        );
        let y = self.data().pad_axis(shape, axis, start);
        Var::from_unary_op(
            "pad_axis",
            y,
            self,
            PadAxisBackward { axis, start },
        )
    }
}

struct PadAxisBackward {
    axis: usize,
    start: usize,
}

impl<T: Float> Backward<T> for PadAxisBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let len = ctx.input_shape(0)[self.axis];
        vec![Some(g.narrow(self.axis, self.start, len))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    (1..4)
        .map(|ndim| {
            let s = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim);
            let (before, after) = (rng.below(3), rng.below(3));
            let mut out = s.clone();
            out[axis] += before + after;
            GradCase::new(
                format!("axis {axis} pad ({before}, {after})"),
                vec![inputs::normal(rng, &s)],
                move |v| v[0].pad_axis(&out, axis, before),
            )
        })
        .collect()
}
