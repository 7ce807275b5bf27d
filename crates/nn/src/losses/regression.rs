//! Elementwise regression losses on d = input - target: [`MSELoss`] (d²), [`L1Loss`]
//! (|d|), [`HuberLoss`] and [`SmoothL1Loss`] (quadratic near 0, linear beyond).

use backprop_autograd::Var;
use backprop_tensor::Float;

use super::{Reduction, check_same_shape, reduce};

/// Implements `new`, `reduction` and `Default` for a loss whose only other options are
/// given in `new`.
macro_rules! reduction_builder {
    ($name:ident) => {
        impl $name {
            /// How the per-element losses are combined.
            pub fn reduction(mut self, reduction: Reduction) -> Self {
                self.reduction = reduction;
                self
            }
        }
    };
}

/// Mean squared error, `(input - target)²` per element (PyTorch's `nn.MSELoss`).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::MSELoss;
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).unwrap());
/// let y = Var::new(Tensor::from_vec(vec![0.0f32, 1.0], &[2]).unwrap());
/// assert_eq!(MSELoss::new().forward(&x, &y).item(), 2.5);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MSELoss {
    reduction: Reduction,
}

impl MSELoss {
    /// The loss with the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The loss of `input` against `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("MSELoss", input, target);
        let d = input.sub(target);
        reduce(d.mul(&d), self.reduction)
    }
}
reduction_builder!(MSELoss);

/// Mean absolute error, `|input - target|` per element (PyTorch's `nn.L1Loss`; the
/// gradient at d = 0 is 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct L1Loss {
    reduction: Reduction,
}

impl L1Loss {
    /// The loss with the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The loss of `input` against `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("L1Loss", input, target);
        reduce(input.sub(target).abs(), self.reduction)
    }
}
reduction_builder!(L1Loss);

/// `quadratic(d)` where |d| < `threshold`, `linear(|d|)` elsewhere, both from Var ops; the
/// mask is a constant, so each branch's gradient flows only where it is selected.
fn piecewise<T: Float>(
    d: &Var<T>,
    threshold: T,
    quadratic: impl FnOnce(&Var<T>) -> Var<T>,
    linear: impl FnOnce(&Var<T>) -> Var<T>,
) -> Var<T> {
    let inside = d
        .data()
        .abs()
        .lt(&backprop_tensor::Tensor::scalar(threshold));
    Var::where_cond(&inside, &quadratic(d), &linear(&d.abs()))
}

/// Huber loss with threshold δ (PyTorch's `nn.HuberLoss`, default δ = 1):
/// 0.5·d² where |d| < δ, δ·(|d| - 0.5·δ) elsewhere.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::HuberLoss;
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.5f32, 3.0], &[2]).unwrap());
/// let y = Var::new(Tensor::zeros(&[2]));
/// // 0.5·0.25 and 1·(3 - 0.5), averaged.
/// assert_eq!(HuberLoss::new().forward(&x, &y).item(), (0.125 + 2.5) / 2.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HuberLoss {
    delta: f64,
    reduction: Reduction,
}

impl Default for HuberLoss {
    fn default() -> Self {
        HuberLoss {
            delta: 1.0,
            reduction: Reduction::Mean,
        }
    }
}

impl HuberLoss {
    /// The loss with δ = 1 and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The threshold δ (> 0) between the quadratic and linear parts.
    pub fn delta(mut self, delta: f64) -> Self {
        self.delta = delta;
        self
    }

    /// The loss of `input` against `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ or δ is not positive.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("HuberLoss", input, target);
        assert!(
            self.delta > 0.0,
            "HuberLoss: delta must be positive, got {}",
            self.delta
        );
        let delta = T::from_f64(self.delta);
        let half = T::from_f64(0.5);
        let loss = piecewise(
            &input.sub(target),
            delta,
            |d| d.mul(d).mul_scalar(half),
            |a| a.add_scalar(-half * delta).mul_scalar(delta),
        );
        reduce(loss, self.reduction)
    }
}
reduction_builder!(HuberLoss);

/// Smooth L1 loss with threshold β (PyTorch's `nn.SmoothL1Loss`, default β = 1):
/// 0.5·d²/β where |d| < β, |d| - 0.5·β elsewhere — Huber(δ = β) / β; β = 0 is L1.
#[derive(Debug, Clone, Copy)]
pub struct SmoothL1Loss {
    beta: f64,
    reduction: Reduction,
}

impl Default for SmoothL1Loss {
    fn default() -> Self {
        SmoothL1Loss {
            beta: 1.0,
            reduction: Reduction::Mean,
        }
    }
}

impl SmoothL1Loss {
    /// The loss with β = 1 and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The threshold β (≥ 0) between the quadratic and linear parts.
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// The loss of `input` against `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ or β is negative.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("SmoothL1Loss", input, target);
        assert!(
            self.beta >= 0.0,
            "SmoothL1Loss: beta must be non-negative, got {}",
            self.beta
        );
        if self.beta == 0.0 {
            return reduce(input.sub(target).abs(), self.reduction);
        }
        let beta = T::from_f64(self.beta);
        let half = T::from_f64(0.5);
        let loss = piecewise(
            &input.sub(target),
            beta,
            |d| d.mul(d).mul_scalar(half / beta),
            |a| a.add_scalar(-half * beta),
        );
        reduce(loss, self.reduction)
    }
}
reduction_builder!(SmoothL1Loss);
