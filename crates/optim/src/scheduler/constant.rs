//! A constant factor on the learning rate for the first epochs.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, Rule, init_base_lrs};
use crate::{OptimError, Optimizer};

/// Multiplies the learning rate by `factor` until epoch `total_iters`, then restores it,
/// like `torch.optim.lr_scheduler.ConstantLR`:
///
/// `lr(epoch) = base_lr · factor` for `epoch < total_iters`, `base_lr` from then on.
///
/// PyTorch's recursive form is followed: building the scheduler multiplies the rates by
/// `factor`, and the step that reaches `total_iters` multiplies them by `1 / factor`.
/// PyTorch's defaults are `factor = 1/3`, `total_iters = 5`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{ConstantLr, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
/// let mut sched = ConstantLr::new(&mut opt, 0.5, 2).unwrap();
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..3 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// assert_eq!(lrs, vec![0.05, 0.05, 0.1, 0.1]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstantLr {
    factor: f64,
    total_iters: u64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl ConstantLr {
    /// A constant-factor schedule; sets the groups' rates to `factor` times their current
    /// value.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] unless `0 < factor ≤ 1` (PyTorch accepts 0 and then
    /// divides by it at `total_iters`).
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        factor: f64,
        total_iters: u64,
    ) -> Result<Self, OptimError> {
        if !(factor > 0.0 && factor <= 1.0) {
            return Err(OptimError::InvalidOption {
                owner: "ConstantLR",
                option: "factor",
                value: factor.to_string(),
                reason: "must be greater than 0 and less or equal to 1",
            });
        }
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = ConstantLr {
            factor,
            total_iters,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        Ok(sched)
    }

    /// The base rates, PyTorch's `base_lrs` (see [`LinearLr::base_lrs`](crate::LinearLr::base_lrs)).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    /// PyTorch's `get_lr` (`· factor` at epoch 0, `· 1/factor` at `total_iters`) and
    /// `_get_closed_form_lr` (`base_lr · (factor + [epoch ≥ total_iters]·(1 − factor))`).
    fn rate(&self, rule: Rule, _group: usize, base_lr: f64, lr: f64) -> f64 {
        let (e, total, factor) = (self.last_epoch, i128::from(self.total_iters), self.factor);
        match rule {
            Rule::ClosedForm => {
                let restored = if i128::from(e) >= total {
                    1.0 - factor
                } else {
                    0.0
                };
                base_lr * (factor + restored)
            }
            Rule::Initial | Rule::Recursive => {
                if e == 0 {
                    lr * factor
                } else if i128::from(e) != total {
                    lr
                } else {
                    lr * (1.0 / factor)
                }
            }
        }
    }
}

chainable_scheduler!(ConstantLr);
