//! Losses as plain functions (PyTorch's `torch.nn.functional`; activations are methods
//! of [`Var`]: `x.relu()`, `x.softmax(1)`, `x.log_softmax(1)`, ...).
//!
//! Each loss here is the loss struct of the same name with default options and the given
//! reduction (and the options a function names); use the struct for class weights,
//! `ignore_index`, label smoothing, `pos_weight` or `eps`.
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
    BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss, HingeEmbeddingLoss,
    HuberLoss, L1Loss, MSELoss, MarginRankingLoss, MultiLabelSoftMarginLoss, MultiMarginLoss,
    NLLLoss, PoissonNLLLoss, Reduction, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss,
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

/// Ranking loss of score pairs against ±1 labels (see [`MarginRankingLoss`]).
///
/// # Panics
///
/// If the shapes differ or `margin` is not finite.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let x1 = Var::new(Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap());
/// let x2 = Var::new(Tensor::from_vec(vec![2.0f64, 1.0], &[2]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap();
/// assert_eq!(F::margin_ranking_loss(&x1, &x2, &y, 0.0, Reduction::Sum).item(), 1.0);
/// ```
#[track_caller]
pub fn margin_ranking_loss<T: Float>(
    input1: &Var<T>,
    input2: &Var<T>,
    target: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Var<T> {
    MarginRankingLoss::new()
        .margin(margin)
        .reduction(reduction)
        .forward(input1, input2, target)
}

/// Hinge loss of distances against ±1 labels (see [`HingeEmbeddingLoss`]).
///
/// # Panics
///
/// If the shapes differ or `margin` is not finite.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.25f64, 0.25], &[2]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64, -1.0], &[2]).unwrap();
/// assert_eq!(F::hinge_embedding_loss(&x, &y, 1.0, Reduction::Sum).item(), 1.0);
/// ```
#[track_caller]
pub fn hinge_embedding_loss<T: Float>(
    input: &Var<T>,
    target: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Var<T> {
    HingeEmbeddingLoss::new()
        .margin(margin)
        .reduction(reduction)
        .forward(input, target)
}

/// Two-class logistic loss of logits against ±1 labels (see [`SoftMarginLoss`]).
///
/// # Panics
///
/// If the shapes differ.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::scalar(0.0f64));
/// let loss = F::soft_margin_loss(&x, &Tensor::scalar(-1.0), Reduction::Mean);
/// assert_eq!(loss.item(), 2f64.ln());
/// ```
#[track_caller]
pub fn soft_margin_loss<T: Float>(
    input: &Var<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<T> {
    SoftMarginLoss::new()
        .reduction(reduction)
        .forward(input, target)
}

/// Multi-label logistic loss of logits `[..., C]` against 0/1 targets, unweighted (see
/// [`MultiLabelSoftMarginLoss`]).
///
/// # Panics
///
/// If `input` is 0-d or the shapes differ.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::<f64>::zeros(&[2, 3]));
/// let y = Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0], &[2, 3]).unwrap();
/// let loss = F::multilabel_soft_margin_loss(&x, &y, Reduction::Mean);
/// assert!((loss.item() - 2f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn multilabel_soft_margin_loss<T: Float>(
    input: &Var<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<T> {
    MultiLabelSoftMarginLoss::new()
        .reduction(reduction)
        .forward(input, target)
}

/// Cosine-similarity loss of embedding pairs against ±1 labels (see
/// [`CosineEmbeddingLoss`]).
///
/// # Panics
///
/// As [`CosineEmbeddingLoss::forward`], or if `margin` is not finite.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![1.0f64, 1.0], &[1, 2]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64], &[1]).unwrap();
/// assert!(F::cosine_embedding_loss(&x, &x, &y, 0.0, Reduction::Mean).item().abs() < 1e-12);
/// ```
#[track_caller]
pub fn cosine_embedding_loss<T: Float>(
    input1: &Var<T>,
    input2: &Var<T>,
    target: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Var<T> {
    CosineEmbeddingLoss::new()
        .margin(margin)
        .reduction(reduction)
        .forward(input1, input2, target)
}

/// Multi-class hinge loss of scores `[N, C]` against class indices `[N]`, unweighted (see
/// [`MultiMarginLoss`]).
///
/// # Panics
///
/// As [`MultiMarginLoss::forward`], or if `p` is neither 1 nor 2 or `margin` is not finite.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.0f64, 1.0], &[1, 2]).unwrap());
/// let y = Tensor::from_vec(vec![0usize], &[1]).unwrap();
/// assert_eq!(F::multi_margin_loss(&x, &y, 2, 1.0, Reduction::Mean).item(), 2.0); // 2²/2
/// ```
#[track_caller]
pub fn multi_margin_loss<T: Float>(
    input: &Var<T>,
    targets: &Tensor<usize>,
    p: u32,
    margin: f64,
    reduction: Reduction,
) -> Var<T> {
    MultiMarginLoss::new()
        .p(p)
        .margin(margin)
        .reduction(reduction)
        .forward(input, targets)
}

/// Triplet loss of (anchor, positive, negative) embeddings with eps 1e-6 and no swap (see
/// [`TripletMarginLoss`] for those).
///
/// # Panics
///
/// As [`TripletMarginLoss::forward`], or if `margin` or `p` is not positive.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let a = Var::new(Tensor::from_vec(vec![0.0f64, 0.0], &[2]).unwrap());
/// let p = Var::new(Tensor::from_vec(vec![1.0f64, 0.0], &[2]).unwrap());
/// let n = Var::new(Tensor::from_vec(vec![5.0f64, 0.0], &[2]).unwrap());
/// assert_eq!(F::triplet_margin_loss(&a, &p, &n, 1.0, 2.0, Reduction::Mean).item(), 0.0);
/// ```
#[track_caller]
pub fn triplet_margin_loss<T: Float>(
    anchor: &Var<T>,
    positive: &Var<T>,
    negative: &Var<T>,
    margin: f64,
    p: f64,
    reduction: Reduction,
) -> Var<T> {
    TripletMarginLoss::new()
        .margin(margin)
        .p(p)
        .reduction(reduction)
        .forward(anchor, positive, negative)
}

/// Poisson negative log-likelihood with eps 1e-8 (see [`PoissonNLLLoss`]).
///
/// # Panics
///
/// If the shapes differ.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let log_rate = Var::new(Tensor::scalar(0.0f64));
/// let count = Var::new(Tensor::scalar(2.0f64));
/// assert_eq!(F::poisson_nll_loss(&log_rate, &count, true, false, Reduction::Mean).item(), 1.0);
/// ```
#[track_caller]
pub fn poisson_nll_loss<T: Float>(
    input: &Var<T>,
    target: &Var<T>,
    log_input: bool,
    full: bool,
    reduction: Reduction,
) -> Var<T> {
    PoissonNLLLoss::new()
        .log_input(log_input)
        .full(full)
        .reduction(reduction)
        .forward(input, target)
}

/// Gaussian negative log-likelihood with eps 1e-6 (see [`GaussianNLLLoss`]).
///
/// # Panics
///
/// As [`GaussianNLLLoss::forward`].
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{functional as F, Reduction};
/// use backprop_tensor::Tensor;
/// let mean = Var::new(Tensor::from_vec(vec![0.0f64, 2.0], &[2]).unwrap());
/// let target = Var::new(Tensor::from_vec(vec![0.0f64, 0.0], &[2]).unwrap());
/// let var = Var::new(Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap());
/// let loss = F::gaussian_nll_loss(&mean, &target, &var, false, Reduction::Sum);
/// assert_eq!(loss.item(), 2.0); // ½·(0 + 0) + ½·(0 + 4)
/// ```
#[track_caller]
pub fn gaussian_nll_loss<T: Float>(
    input: &Var<T>,
    target: &Var<T>,
    var: &Var<T>,
    full: bool,
    reduction: Reduction,
) -> Var<T> {
    GaussianNLLLoss::new()
        .full(full)
        .reduction(reduction)
        .forward(input, target, var)
}
