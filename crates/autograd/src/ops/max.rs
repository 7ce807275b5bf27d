//! max: y = max x over chosen axes (or all elements), like `torch.amax`.
//!
//! dy/dx = 1 at the maximum and 0 elsewhere. When several elements tie for the maximum
//! the gradient is split evenly among them (each gets 1/count, as `torch.amax` does), so
//! dx = dy · mask / count with mask = [x = y] and count = Σ mask over the reduced axes.
//! The mask is piecewise constant, so the second derivative is 0 away from ties.
//! Saves the input and output (the mask is rebuilt from them in backward).
//!
//! `max_dim` is `torch.max(x, dim)` instead: values and indices along one axis, the first
//! index winning ties (and NaN winning over numbers), and the whole gradient going to that
//! index. It is composed from `argmax` and `gather`, whose backward scatters dy there.

use backprop_tensor::{Float, Rng, Tensor, reduced_shape};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The largest element, as a 0-d value (like `torch.amax` over every axis).
    ///
    /// # Panics
    ///
    /// If the value is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 3.0, 3.0], &[3]).unwrap());
    /// let y = x.max();
    /// assert_eq!(y.item(), 3.0);
    /// y.backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.5, 0.5]); // ties share
    /// ```
    #[track_caller]
    pub fn max(&self) -> Var<T> {
        let axes: Vec<usize> = (0..self.data().ndim()).collect();
        self.max_axes(&axes, false)
    }

    /// Maxima over `axes` (like `torch.amax`); with `keepdim` the reduced axes stay with
    /// extent 1. NaN propagates.
    ///
    /// # Panics
    ///
    /// If an axis is out of range or has extent 0.
    #[track_caller]
    pub fn max_axes(&self, axes: &[usize], keepdim: bool) -> Var<T> {
        let y = self.data().max(axes, keepdim);
        let kept = reduced_shape(&self.shape(), axes, true);
        Var::from_unary_op(
            "max",
            y,
            self,
            ExtremumBackward {
                axes: axes.to_vec(),
                kept,
            },
        )
    }
}

impl<T: Float> Var<T> {
    /// The maxima along `axis` and their indices, like `torch.max(x, dim, keepdim)`: on
    /// ties the first index is returned and gets the whole gradient (where
    /// [`max_axes`](Var::max_axes), like `torch.amax`, splits it); NaN propagates.
    ///
    /// # Panics
    ///
    /// If `axis` is out of range or has extent 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 3.0, 3.0, 0.0], &[2, 2]).unwrap());
    /// let (values, indices) = x.max_dim(1, false);
    /// assert_eq!(values.value().to_vec(), vec![3.0, 3.0]);
    /// assert_eq!(indices.to_vec(), vec![1, 0]);
    /// values.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, axis: usize, keepdim: bool) -> (Var<T>, Tensor<usize>) {
        let index = self.data().argmax(axis, true);
        pick_along(self, axis, index, keepdim)
    }
}

/// `x` gathered at `index` (extent 1 along `axis`), with `axis` dropped unless `keepdim`;
/// returns the values and the indices in the same shape.
#[track_caller]
pub(crate) fn pick_along<T: Float>(
    x: &Var<T>,
    axis: usize,
    index: Tensor<usize>,
    keepdim: bool,
) -> (Var<T>, Tensor<usize>) {
    let values = x.gather(axis, &index);
    if keepdim {
        return (values, index);
    }
    let shape = reduced_shape(&x.shape(), &[axis], false);
    (values.reshape(&shape), index.reshape(&shape))
}

/// The backward of max and min: the gradient goes to the elements equal to the result,
/// split evenly among ties.
pub(crate) struct ExtremumBackward {
    pub(crate) axes: Vec<usize>,
    /// The output shape with reduced axes kept as extent 1.
    pub(crate) kept: Vec<usize>,
}

impl<T: Float> Backward<T> for ExtremumBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let x = ctx.input(0).data();
        let y = ctx.output().data().reshape(&self.kept);
        let mask: Tensor<T> = x.eq_elem(&y).to_float();
        let count = mask.sum(&self.axes, true);
        let share = Var::new(mask.div(&count));
        vec![Some(g.reshape(&self.kept).mul(&share))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 3, 4);
    let s2 = inputs::shape(rng, 2, 5);
    vec![
        GradCase::new("all", vec![inputs::distinct(rng, &s)], |v| v[0].max()),
        GradCase::new("axis 1", vec![inputs::distinct(rng, &s)], |v| {
            v[0].max_axes(&[1], false)
        }),
        GradCase::new("axes 0,2 keepdim", vec![inputs::distinct(rng, &s)], |v| {
            v[0].max_axes(&[0, 2], true)
        }),
        GradCase::new("axis 0 of 2-d, squared", vec![inputs::distinct(rng, &s2)], |v| {
            let y = v[0].max_axes(&[0], false);
            y.mul(&y)
        }),
        GradCase::new("max_dim axis 2", vec![inputs::distinct(rng, &s)], |v| {
            v[0].max_dim(2, false).0
        }),
        GradCase::new("max_dim axis 0 keepdim", vec![inputs::distinct(rng, &s)], |v| {
            v[0].max_dim(0, true).0
        }),
    ]
}
