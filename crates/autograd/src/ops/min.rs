//! min: y = min x over chosen axes (or all elements), like `torch.amin`.
//!
//! dy/dx = 1 at the minimum and 0 elsewhere; ties share the gradient evenly (1/count
//! each, as `torch.amin` does): dx = dy · [x = y] / count. The second derivative is 0
//! away from ties. Saves the input and output.
//!
//! `min_dim` is `torch.min(x, dim)`: the first index wins ties and gets the whole
//! gradient (composed from `argmin` and `gather`, see `max`).

use backprop_tensor::{Float, Rng, Tensor, reduced_shape};

use super::max::{ExtremumBackward, pick_along};
use crate::Var;
use crate::checks::{GradCase, SecondOrder, inputs};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The smallest element, as a 0-d value (like `torch.amin` over every axis).
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
    /// let x = Var::parameter(Tensor::from_vec(vec![2.0f64, -1.0, 5.0], &[3]).unwrap());
    /// let y = x.min();
    /// assert_eq!(y.item(), -1.0);
    /// y.backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn min(&self) -> Var<T> {
        let axes: Vec<usize> = (0..self.data().ndim()).collect();
        self.min_axes(&axes, false)
    }

    /// Minima over `axes` (like `torch.amin`); with `keepdim` the reduced axes stay with
    /// extent 1. NaN propagates.
    ///
    /// # Panics
    ///
    /// If an axis is out of range or has extent 0.
    #[track_caller]
    pub fn min_axes(&self, axes: &[usize], keepdim: bool) -> Var<T> {
        let y = self.data().min(axes, keepdim);
        let kept = reduced_shape(&self.shape(), axes, true);
        Var::from_unary_op(
            "min",
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
    /// The minima along `axis` and their indices, like `torch.min(x, dim, keepdim)`: on
    /// ties the first index is returned and gets the whole gradient (where
    /// [`min_axes`](Var::min_axes), like `torch.amin`, splits it); NaN propagates.
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
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 1.0, 2.0], &[3]).unwrap());
    /// let (value, index) = x.min_dim(0, false);
    /// assert_eq!((value.item(), index.to_vec()), (1.0, vec![0]));
    /// value.backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn min_dim(&self, axis: usize, keepdim: bool) -> (Var<T>, Tensor<usize>) {
        let index = self.data().argmin(axis, true);
        pick_along(self, axis, index, keepdim)
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 3, 4);
    let s2 = inputs::shape(rng, 2, 5);
    vec![
        GradCase::new("all", vec![inputs::distinct(rng, &s)], |v| v[0].min()),
        GradCase::new("axis 2", vec![inputs::distinct(rng, &s)], |v| {
            v[0].min_axes(&[2], false)
        }),
        GradCase::new("axes 0,1 keepdim", vec![inputs::distinct(rng, &s)], |v| {
            v[0].min_axes(&[0, 1], true)
        }),
        GradCase::new("axis 1 of 2-d, exp", vec![inputs::distinct(rng, &s2)], |v| {
            v[0].min_axes(&[1], true).exp()
        }),
        GradCase::new("min_dim axis 1", vec![inputs::distinct(rng, &s)], |v| {
            v[0].min_dim(1, false).0
        }),
    ]
}
