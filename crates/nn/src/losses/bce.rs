//! Binary cross-entropy: [`BCELoss`] from probabilities, [`BCEWithLogitsLoss`] from logits.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::{Reduction, check_same_shape, reduce};

/// Binary cross-entropy between logits x and targets y in [0, 1] (PyTorch's
/// `nn.BCEWithLogitsLoss`), with an optional `weight` (broadcast to the input) and a
/// `pos_weight` p per class (broadcast along the last axis):
///
/// loss = weight · [(1 - y)·x + (1 + (p - 1)·y) · softplus(-x)],
///
/// where softplus(-x) = ln(1 + e^{-|x|}) + max(-x, 0) = -ln σ(x) is evaluated without
/// overflow, so loss and gradient stay finite for any x. (This is PyTorch's stable form;
/// at exactly x = 0 the derivative here is the true one, -½·(1 + (p-1)y) + (1 - y).)
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::BCEWithLogitsLoss;
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.0f64, 1e4], &[2]).unwrap());
/// let y = Var::new(Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap());
/// let loss = BCEWithLogitsLoss::new().reduction(backprop_nn::Reduction::Sum).forward(&x, &y);
/// assert!((loss.item() - 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct BCEWithLogitsLoss<T: Float = f32> {
    weight: Option<Tensor<T>>,
    pos_weight: Option<Tensor<T>>,
    reduction: Reduction,
}

impl<T: Float> Default for BCEWithLogitsLoss<T> {
    fn default() -> Self {
        BCEWithLogitsLoss {
            weight: None,
            pos_weight: None,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> BCEWithLogitsLoss<T> {
    /// The loss with no weights and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// A weight for each element, broadcast to the input's shape.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// A weight for the positive part of each class (the last axis), to trade recall for
    /// precision: p > 1 raises recall.
    pub fn pos_weight(mut self, pos_weight: Tensor<T>) -> Self {
        self.pos_weight = Some(pos_weight);
        self
    }

    /// How the per-element losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of logits `input` against targets `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ or a weight does not broadcast to the input.
    #[track_caller]
    pub fn forward(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("BCEWithLogitsLoss", input, target);
        let one_minus_y = target.neg().add_scalar(T::one());
        let softplus_neg = input.neg().softplus();
        let log_part = match &self.pos_weight {
            // 1 + (p - 1)·y
            Some(p) => {
                let pm1 = Var::new(p.add_scalar(-T::one()));
                softplus_neg.mul(&target.mul(&pm1).add_scalar(T::one()))
            }
            None => softplus_neg,
        };
        let mut loss = one_minus_y.mul(input).add(&log_part);
        if let Some(w) = &self.weight {
            loss = loss.mul(&Var::new(w.clone()));
        }
        reduce(loss, self.reduction)
    }
}

/// Binary cross-entropy between probabilities x in [0, 1] and targets y (PyTorch's
/// `nn.BCELoss`), with an optional `weight` broadcast to the input:
///
/// loss = -weight · [y·max(ln x, -100) + (1 - y)·max(ln(1 - x), -100)].
///
/// The logs are clamped at -100 as in PyTorch, so x = 0 or 1 gives a finite loss, and the
/// gradient is PyTorch's `(x - y) / max(x(1 - x), 1e-12)` (see
/// [`Var::binary_cross_entropy`]). Prefer [`BCEWithLogitsLoss`] on logits: it is exact
/// where a sigmoid followed by this loss saturates.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{BCELoss, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.5f64, 0.0], &[2]).unwrap());
/// let y = Var::new(Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap());
/// let loss = BCELoss::new().reduction(Reduction::Sum).forward(&x, &y);
/// assert!((loss.item() - (2f64.ln() + 100.0)).abs() < 1e-12); // ln 0 is clamped at -100
/// ```
#[derive(Debug, Clone)]
pub struct BCELoss<T: Float = f32> {
    weight: Option<Tensor<T>>,
    reduction: Reduction,
}

impl<T: Float> Default for BCELoss<T> {
    fn default() -> Self {
        BCELoss {
            weight: None,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> BCELoss<T> {
    /// The loss with no weight and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// A weight for each element, broadcast to the input's shape.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// How the per-element losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of probabilities `input` against targets `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ, an input is outside `[0, 1]`, or the weight does not
    /// broadcast to the input.
    #[track_caller]
    pub fn forward(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("BCELoss", input, target);
        let mut loss = input.binary_cross_entropy(target);
        if let Some(w) = &self.weight {
            let w = w.broadcast_to(&input.shape());
            loss = loss.mul(&Var::new(w));
        }
        reduce(loss, self.reduction)
    }
}
