//! Step decay: [`StepLr`] (every `step_size` epochs) and [`MultiStepLr`] (at milestones).

use std::collections::BTreeMap;

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, Rule, epoch_i64, init_base_lrs};
use crate::{OptimError, Optimizer};

/// Multiplies the learning rate by `gamma` every `step_size` epochs, like
/// `torch.optim.lr_scheduler.StepLR`: `lr(epoch) = base_lr · gamma^⌊epoch / step_size⌋`.
///
/// # Examples
///
/// See the [module docs](crate::scheduler).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepLr {
    step_size: u64,
    gamma: f64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl StepLr {
    /// A step schedule for `optimizer` (PyTorch's default `gamma` is 0.1).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] when `step_size` is 0.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        step_size: u64,
        gamma: f64,
    ) -> Result<Self, OptimError> {
        if step_size == 0 {
            return Err(OptimError::InvalidOption {
                owner: "StepLR",
                option: "step_size",
                value: "0".to_string(),
                reason: "must be at least 1",
            });
        }
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = StepLr {
            step_size,
            gamma,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        Ok(sched)
    }

    /// PyTorch's `get_lr` (decay at every non-zero multiple of `step_size`) and
    /// `_get_closed_form_lr` (`base_lr · gamma^⌊epoch / step_size⌋`).
    fn rate(&self, rule: Rule, _group: usize, base_lr: f64, lr: f64) -> f64 {
        let (e, size) = (self.last_epoch, epoch_i64(self.step_size));
        match rule {
            Rule::ClosedForm => base_lr * self.gamma.powf(e.div_euclid(size) as f64),
            Rule::Initial | Rule::Recursive => {
                if e == 0 || e.rem_euclid(size) != 0 {
                    lr
                } else {
                    lr * self.gamma
                }
            }
        }
    }

    /// The base rates, PyTorch's `base_lrs`: each group's
    /// [`initial_lr`](crate::ParamGroup::initial_lr) (its rate when the first scheduler was
    /// attached to the optimizer).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }
}

chainable_scheduler!(StepLr);

/// Multiplies the learning rate by `gamma` at each milestone epoch, like
/// `torch.optim.lr_scheduler.MultiStepLR`:
/// `lr(epoch) = base_lr · gamma^(number of milestones ≤ epoch)`. A milestone listed twice
/// decays twice.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{LrScheduler, MultiStepLr, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let mut sched = MultiStepLr::new(&mut opt, &[1, 3], 0.5);
/// let lrs: Vec<f64> = (0..4).map(|_| { let lr = opt.lr(); sched.step(&mut opt); lr }).collect();
/// assert_eq!(lrs, vec![1.0, 0.5, 0.5, 0.25]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiStepLr {
    /// Milestone epoch -> how many times it was listed.
    milestones: BTreeMap<u64, i32>,
    gamma: f64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl MultiStepLr {
    /// A milestone schedule for `optimizer` (PyTorch's default `gamma` is 0.1). Building it
    /// is epoch 0, so a milestone 0 decays the rates at once, as in PyTorch.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        milestones: &[u64],
        gamma: f64,
    ) -> Self {
        let mut counts = BTreeMap::new();
        for &m in milestones {
            *counts.entry(m).or_insert(0) += 1;
        }
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = MultiStepLr {
            milestones: counts,
            gamma,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        sched
    }

    /// PyTorch's `get_lr` (decay by `gamma^n` at an epoch listed `n` times) and
    /// `_get_closed_form_lr` (`base_lr · gamma^(milestones ≤ epoch)`).
    fn rate(&self, rule: Rule, _group: usize, base_lr: f64, lr: f64) -> f64 {
        let e = self.last_epoch;
        match rule {
            Rule::ClosedForm => {
                let passed: i32 = self
                    .milestones
                    .iter()
                    .filter(|&(&m, _)| i128::from(m) <= i128::from(e))
                    .map(|(_, &count)| count)
                    .sum();
                base_lr * self.gamma.powf(f64::from(passed))
            }
            Rule::Initial | Rule::Recursive => {
                match u64::try_from(e).ok().and_then(|e| self.milestones.get(&e)) {
                    Some(&count) => lr * self.gamma.powf(f64::from(count)),
                    None => lr,
                }
            }
        }
    }

    /// The base rates, PyTorch's `base_lrs`: each group's
    /// [`initial_lr`](crate::ParamGroup::initial_lr) (its rate when the first scheduler was
    /// attached to the optimizer).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }
}

chainable_scheduler!(MultiStepLr);
