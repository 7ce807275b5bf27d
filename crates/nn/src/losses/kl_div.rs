//! [`KLDivLoss`]: Kullback-Leibler divergence of a target distribution from log-probabilities.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::{Reduction, check_same_shape, reduce};

/// The pointwise Kullback-Leibler divergence between log-probabilities `input` (x) and a
/// target (PyTorch's `nn.KLDivLoss`):
///
/// - probabilities t (default): loss = t·ln t - t·x, with 0·ln 0 = 0 (`xlogy`);
/// - log-probabilities t ([`log_target`](KLDivLoss::log_target)): loss = eᵗ·(t - x).
///
/// The reduction is [`Reduction::Mean`] by default (the mean over every element, as
/// PyTorch's default `'mean'`); [`batch_mean`](KLDivLoss::batch_mean) divides the sum by
/// the batch size (the first extent), PyTorch's `'batchmean'`, which is the true KL
/// divergence per sample.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::KLDivLoss;
/// use backprop_tensor::Tensor;
/// let p = Tensor::from_vec(vec![0.5f64, 0.5, 1.0, 0.0], &[2, 2]).unwrap();
/// let q = Tensor::from_vec(vec![0.25f64, 0.75, 0.5, 0.5], &[2, 2]).unwrap();
/// let loss = KLDivLoss::new().batch_mean().forward(&Var::new(q.log()), &Var::new(p));
/// // KL(p₀ ‖ q₀) = ½ln 2 + ½ln(2/3), KL(p₁ ‖ q₁) = ln 2, averaged over the batch.
/// let want = (0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln() + 2f64.ln()) / 2.0;
/// assert!((loss.item() - want).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct KLDivLoss {
    reduction: Reduction,
    batch_mean: bool,
    log_target: bool,
}

impl KLDivLoss {
    /// The loss with probability targets and the (elementwise) mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// How the pointwise losses are combined (clears [`batch_mean`](Self::batch_mean)).
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self.batch_mean = false;
        self
    }

    /// PyTorch's `reduction='batchmean'`: the sum divided by the first extent of the input
    /// (the sum itself for a 0-d input).
    pub fn batch_mean(mut self) -> Self {
        self.batch_mean = true;
        self
    }

    /// Whether the target is given as log-probabilities (PyTorch's `log_target`).
    pub fn log_target(mut self, log_target: bool) -> Self {
        self.log_target = log_target;
        self
    }

    /// The loss of log-probabilities `input` against `target` (same shape). Gradients flow
    /// to both.
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("KLDivLoss", input, target);
        let loss = if self.log_target {
            target.exp().mul(&target.sub(input))
        } else {
            // xlogy(t, t): 0 where t = 0 (not 0·ln 0 = NaN).
            let t = target.data();
            let zero_t = t.eq_elem(&Tensor::scalar(T::zero()));
            drop(t);
            let t_ln_t =
                Var::where_cond(&zero_t, &Var::scalar(T::zero()), &target.mul(&target.log()));
            t_ln_t.sub(&target.mul(input))
        };
        if self.batch_mean {
            let shape = input.shape();
            return match shape.first() {
                Some(&n) => loss.sum().mul_scalar(T::one() / T::from_usize(n)),
                None => loss.sum(),
            };
        }
        reduce(loss, self.reduction)
    }
}
