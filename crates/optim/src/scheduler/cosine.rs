//! Cosine annealing.

use std::f64::consts::PI;

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, Rule, init_base_lrs};
use crate::{OptimError, Optimizer};

/// Anneals the learning rate from its base value to `eta_min` along half a cosine over
/// `t_max` epochs, then back up over the next `t_max` (the curve is periodic), like
/// `torch.optim.lr_scheduler.CosineAnnealingLR`:
///
/// `lr(epoch) = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / t_max)) / 2`.
///
/// PyTorch's recursive form is followed, which equals the closed form up to rounding:
/// `lr ← (1 + cos(π·e/T)) / (1 + cos(π·(e−1)/T)) · (lr − eta_min) + eta_min`, and at the
/// bottom of each period (`(e − 1 − T) mod 2T = 0`)
/// `lr ← lr + (base_lr − eta_min)·(1 − cos(π/T))/2`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{CosineAnnealingLr, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let mut sched = CosineAnnealingLr::new(&mut opt, 4, 0.0).unwrap();
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert!((opt.lr() - 0.5).abs() < 1e-12); // half way down
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealingLr {
    t_max: u64,
    eta_min: f64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl CosineAnnealingLr {
    /// A cosine schedule with half-period `t_max` epochs and floor `eta_min` (PyTorch's
    /// default is 0).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] when `t_max` is 0.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        t_max: u64,
        eta_min: f64,
    ) -> Result<Self, OptimError> {
        if t_max == 0 {
            return Err(OptimError::InvalidOption {
                owner: "CosineAnnealingLR",
                option: "T_max",
                value: "0".to_string(),
                reason: "must be at least 1",
            });
        }
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = CosineAnnealingLr {
            t_max,
            eta_min,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        Ok(sched)
    }

    /// The base rates, PyTorch's `base_lrs`: each group's
    /// [`initial_lr`](crate::ParamGroup::initial_lr) (its rate when the first scheduler was
    /// attached to the optimizer).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    /// PyTorch's `get_lr` (the recursive form above; nothing in the initial step) and
    /// `_get_closed_form_lr` (the closed form).
    fn rate(&self, rule: Rule, _group: usize, base_lr: f64, lr: f64) -> f64 {
        let e = self.last_epoch as f64;
        let t_max = self.t_max as f64;
        let eta_min = self.eta_min;
        match rule {
            Rule::Initial => lr,
            Rule::ClosedForm => {
                eta_min + (base_lr - eta_min) * (1.0 + (PI * e / t_max).cos()) / 2.0
            }
            Rule::Recursive => {
                // Python's `%` is non-negative for a positive divisor, like `rem_euclid`.
                let at_bottom = (i128::from(self.last_epoch) - 1 - i128::from(self.t_max))
                    .rem_euclid(2 * i128::from(self.t_max))
                    == 0;
                if at_bottom {
                    lr + (base_lr - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0
                } else {
                    (1.0 + (PI * e / t_max).cos()) / (1.0 + (PI * (e - 1.0) / t_max).cos())
                        * (lr - eta_min)
                        + eta_min
                }
            }
        }
    }
}

chainable_scheduler!(CosineAnnealingLr);
