//! Losses as plain functions (PyTorch's `torch.nn.functional`; activations are methods
//! of [`Var`]: `x.relu()`, `x.softmax(1)`, `x.log_softmax(1)`, ...).
//!
//! Each loss here is the loss struct of the same name with default options and the given
//! reduction; use the struct for class weights, `ignore_index`, label smoothing or
//! `pos_weight`.
//!
//! ```
//! use backprop_autograd::Var;
//! use backprop_nn::{functional as F, Reduction};
//! use backprop_tensor::Tensor;
//! let logits = Var::new(Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]).unwrap());
//! let y = Tensor::from_vec(vec![1usize], &[1]).unwrap();
//! assert!((F::cross_entropy(&logits, &y, Reduction::Mean).item() - 2f64.ln()).abs() < 1e-12);
//! ```

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use crate::{
    BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, Reduction,
    SmoothL1Loss,
};

/// Cross-entropy of logits `[N, C]` against class indices `[N]` (see [`CrossEntropyLoss`]).
///
/// # Panics
///
/// As [`CrossEntropyLoss::forward`].
#[track_caller]
pub fn cross_entropy<T: Float>(
    logits: &Var<T>,
    targets: &Tensor<usize>,
    reduction: Reduction,
) -> Var<T> {
    CrossEntropyLoss::new()
        .reduction(reduction)
        .forward(logits, targets)
}

/// Cross-entropy of logits `[N, C]` against class probabilities `[N, C]`.
///
/// # Panics
///
/// As [`CrossEntropyLoss::forward_probs`].
#[track_caller]
pub fn cross_entropy_probs<T: Float>(
    logits: &Var<T>,
    targets: &Tensor<T>,
    reduction: Reduction,
) -> Var<T> {
    CrossEntropyLoss::new()
        .reduction(reduction)
        .forward_probs(logits, targets)
}

/// Negative log-likelihood of log-probabilities `[N, C]` (see [`NLLLoss`]).
///
/// # Panics
///
/// As [`NLLLoss::forward`].
#[track_caller]
pub fn nll_loss<T: Float>(input: &Var<T>, targets: &Tensor<usize>, reduction: Reduction) -> Var<T> {
    NLLLoss::new().reduction(reduction).forward(input, targets)
}

/// Mean squared error (see [`MSELoss`]).
///
/// # Panics
///
/// If the shapes differ.
#[track_caller]
pub fn mse_loss<T: Float>(input: &Var<T>, target: &Var<T>, reduction: Reduction) -> Var<T> {
    MSELoss::new().reduction(reduction).forward(input, target)
}

/// Mean absolute error (see [`L1Loss`]).
///
/// # Panics
///
/// If the shapes differ.
#[track_caller]
pub fn l1_loss<T: Float>(input: &Var<T>, target: &Var<T>, reduction: Reduction) -> Var<T> {
    L1Loss::new().reduction(reduction).forward(input, target)
}

/// Huber loss with threshold `delta` (see [`HuberLoss`]).
///
/// # Panics
///
/// If the shapes differ or `delta` is not positive.
#[track_caller]
pub fn huber_loss<T: Float>(
    input: &Var<T>,
    target: &Var<T>,
    delta: f64,
    reduction: Reduction,
) -> Var<T> {
    HuberLoss::new()
        .delta(delta)
        .reduction(reduction)
        .forward(input, target)
}

/// Smooth L1 loss with threshold `beta` (see [`SmoothL1Loss`]).
///
/// # Panics
///
/// If the shapes differ or `beta` is negative.
#[track_caller]
pub fn smooth_l1_loss<T: Float>(
    input: &Var<T>,
    target: &Var<T>,
    beta: f64,
    reduction: Reduction,
) -> Var<T> {
    SmoothL1Loss::new()
        .beta(beta)
        .reduction(reduction)
        .forward(input, target)
}

/// Binary cross-entropy from logits (see [`BCEWithLogitsLoss`]).
///
/// # Panics
///
/// If the shapes differ.
#[track_caller]
pub fn binary_cross_entropy_with_logits<T: Float>(
    input: &Var<T>,
    target: &Var<T>,
    reduction: Reduction,
) -> Var<T> {
    BCEWithLogitsLoss::new()
        .reduction(reduction)
        .forward(input, target)
}
