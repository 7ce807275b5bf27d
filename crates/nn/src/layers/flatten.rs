//! Shape-only modules: [`Flatten`] and [`Identity`].

use std::marker::PhantomData;

use backprop_autograd::Var;
use backprop_tensor::Float;

use crate::{Module, TrainingFlag};

/// Merges the axes `start_dim..=end_dim` into one (PyTorch's `nn.Flatten`, whose defaults
/// keep the batch axis: `[N, a, b, c] -> [N, a·b·c]`).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Flatten, Module};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::<f32>::zeros(&[2, 3, 4, 5]));
/// assert_eq!(Flatten::new().forward(&x).shape(), [2, 60]);
/// assert_eq!(Flatten::range(1, 2).forward(&x).shape(), [2, 12, 5]);
/// ```
#[derive(Debug, Clone)]
pub struct Flatten<T: Float = f32> {
    start_dim: usize,
    end_dim: Option<usize>,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> Flatten<T> {
    /// Flattens every axis after the first.
    pub fn new() -> Self {
        Flatten {
            start_dim: 1,
            end_dim: None,
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }

    /// Flattens axes `start_dim..=end_dim`.
    pub fn range(start_dim: usize, end_dim: usize) -> Self {
        Flatten {
            start_dim,
            end_dim: Some(end_dim),
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }
}

impl<T: Float> Default for Flatten<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Module<T> for Flatten<T> {
    /// # Panics
    ///
    /// If the axis range is empty or beyond the input's axes.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let shape = x.shape();
        let end = self.end_dim.unwrap_or(shape.len().saturating_sub(1));
        assert!(
            self.start_dim <= end && end < shape.len(),
            "Flatten: axes {}..={end} do not fit an input of shape {shape:?}",
            self.start_dim
        );
        let merged: usize = shape[self.start_dim..=end].iter().product();
        let mut out = shape[..self.start_dim].to_vec();
        out.push(merged);
        out.extend_from_slice(&shape[end + 1..]);
        x.reshape(&out)
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn is_training(&self) -> bool {
        self.training.get()
    }
}

/// Returns its input unchanged (a placeholder, like PyTorch's `nn.Identity`).
#[derive(Debug, Clone, Default)]
pub struct Identity<T: Float = f32> {
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> Identity<T> {
    /// The module.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Float> Module<T> for Identity<T> {
    fn forward(&self, x: &Var<T>) -> Var<T> {
        x.clone()
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn is_training(&self) -> bool {
        self.training.get()
    }
}
