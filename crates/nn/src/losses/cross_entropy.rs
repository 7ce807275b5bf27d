//! [`CrossEntropyLoss`]: softmax cross-entropy from logits.

use backprop_autograd::{CrossEntropyTarget, Var};
use backprop_tensor::{Float, Tensor};

use super::{ClassLayout, Reduction};

/// Cross-entropy between logits `[N, C]` and class indices `[N]` or class probabilities
/// `[N, C]` (PyTorch's `nn.CrossEntropyLoss`; also `[C]` and `[N, C, d1, ...]` logits,
/// see [`forward`](CrossEntropyLoss::forward)): log-softmax and negative log-likelihood
/// in one fused, numerically stable op ([`Var::cross_entropy`]).
///
/// With class indices y, class weights w (default 1) and label smoothing ε:
///
/// loss_n = (1-ε)·w_{y_n}·(-log p_{n,y_n}) + (ε/C)·Σ_c w_c·(-log p_nc), p = softmax(x_n),
///
/// 0 for rows whose class is `ignore_index`; [`Reduction::Mean`] divides the sum by
/// Σ_n w_{y_n} over the rows not ignored. With probabilities t ([`forward_probs`]),
/// loss_n = -Σ_c w_c·t'_nc·log p_nc with t' = t(1-ε) + ε/C, and the mean divides by N.
///
/// [`forward_probs`]: CrossEntropyLoss::forward_probs
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::CrossEntropyLoss;
/// use backprop_tensor::Tensor;
///
/// let logits = Var::parameter(Tensor::from_vec(vec![2.0f32, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3]).unwrap());
/// let targets = Tensor::from_vec(vec![0usize, 1], &[2]).unwrap();
/// let loss = CrossEntropyLoss::new().label_smoothing(0.1).forward(&logits, &targets);
/// loss.backward();
/// assert!(loss.item() > 0.0);
/// assert_eq!(logits.grad().unwrap().shape(), [2, 3]);
/// ```
#[derive(Debug, Clone)]
pub struct CrossEntropyLoss<T: Float = f32> {
    weight: Option<Tensor<T>>,
    ignore_index: Option<usize>,
    label_smoothing: f64,
    reduction: Reduction,
}

impl<T: Float> Default for CrossEntropyLoss<T> {
    fn default() -> Self {
        CrossEntropyLoss {
            weight: None,
            ignore_index: None,
            label_smoothing: 0.0,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> CrossEntropyLoss<T> {
    /// The loss with PyTorch's defaults: no weights, nothing ignored, no smoothing, mean.
    pub fn new() -> Self {
        Self::default()
    }

    /// A weight per class (`[C]`).
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Rows whose class is `index` contribute nothing (loss, gradient, mean denominator).
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Label smoothing ε in `[0, 1]`: the target becomes (1-ε)·one-hot + ε/C.
    pub fn label_smoothing(mut self, epsilon: f64) -> Self {
        self.label_smoothing = epsilon;
        self
    }

    /// How the per-sample losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of `logits` against class indices `targets`: `[N, C]` with targets `[N]`,
    /// one sample `[C]` with a 0-d target, or `[N, C, d1, ..., dk]` with targets
    /// `[N, d1, ..., dk]` (as PyTorch; [`Reduction::None`] returns the targets' shape).
    ///
    /// With [`Reduction::Mean`], no rows left (an empty batch, or every target ignored)
    /// give NaN, as in PyTorch.
    ///
    /// # Panics
    ///
    /// If the logits are 0-d, `targets` does not have the shape above, a class is `>= C`
    /// (and not the ignored one), the weight is not `[C]` or ε is outside `[0, 1]`.
    ///
    /// # Examples
    ///
    /// Per-pixel classes of a `[N, C, H, W]` score map:
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{CrossEntropyLoss, Reduction};
    /// use backprop_tensor::Tensor;
    /// let logits = Var::parameter(Tensor::<f64>::zeros(&[2, 3, 4, 5]));
    /// let targets = Tensor::from_vec(vec![1usize; 40], &[2, 4, 5]).unwrap();
    /// let loss = CrossEntropyLoss::new().reduction(Reduction::None).forward(&logits, &targets);
    /// assert_eq!(loss.shape(), [2, 4, 5]);
    /// assert!((loss.value().to_vec()[0] - 3f64.ln()).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn forward(&self, logits: &Var<T>, targets: &Tensor<usize>) -> Var<T> {
        let layout = ClassLayout::of("CrossEntropyLoss", &logits.shape());
        let targets = layout.index_rows("CrossEntropyLoss", targets);
        let target = CrossEntropyTarget::Indices {
            classes: &targets,
            ignore_index: self.ignore_index,
        };
        let per_row = layout.rows_of(logits).cross_entropy(
            target,
            self.weight.as_ref(),
            T::from_f64(self.label_smoothing),
        );
        match self.reduction {
            Reduction::None => layout.unflatten(per_row),
            Reduction::Sum => per_row.sum(),
            Reduction::Mean => {
                // PyTorch's weighted mean: Σ loss_n / Σ_n w_{y_n} over rows not ignored
                // (the count of such rows when there are no weights).
                let w = self.weight.as_ref().map(|w| w.to_vec());
                let denom: f64 = targets
                    .to_vec()
                    .iter()
                    .filter(|&&y| Some(y) != self.ignore_index)
                    .map(|&y| w.as_ref().map_or(1.0, |w| w[y].as_f64()))
                    .sum();
                // A zero denominator (no rows left, or only zero-weight classes) makes
                // PyTorch's mean 0/0 = NaN whatever the smoothing part adds.
                let factor = if denom == 0.0 { f64::NAN } else { 1.0 / denom };
                per_row.sum().mul_scalar(T::from_f64(factor))
            }
        }
    }

    /// The loss of `logits` against class probabilities `targets` of the same shape
    /// (`[N, C]`, `[C]` or `[N, C, d1, ...]`; `ignore_index` does not apply; the mean
    /// divides by the number of samples, N·d1·…).
    ///
    /// # Panics
    ///
    /// If the logits are 0-d, `targets` has another shape, the weight is not `[C]` or ε
    /// is outside `[0, 1]`.
    #[track_caller]
    pub fn forward_probs(&self, logits: &Var<T>, targets: &Tensor<T>) -> Var<T> {
        let layout = ClassLayout::of("CrossEntropyLoss", &logits.shape());
        let targets = layout.prob_rows("CrossEntropyLoss", targets);
        let per_row = layout.rows_of(logits).cross_entropy(
            CrossEntropyTarget::Probs(&targets),
            self.weight.as_ref(),
            T::from_f64(self.label_smoothing),
        );
        match self.reduction {
            Reduction::None => layout.unflatten(per_row),
            reduction => super::reduce(per_row, reduction),
        }
    }
}
