//! Step decay: [`StepLr`] (every `step_size` epochs) and [`MultiStepLr`] (at milestones).

use std::collections::BTreeMap;

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, group_lrs, init_base_lrs, update_lrs};
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
    last_epoch: u64,
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
        Ok(StepLr {
            step_size,
            gamma,
            last_epoch: 0,
            base_lrs,
            last_lr: group_lrs(optimizer),
        })
    }

    /// The base rates, PyTorch's `base_lrs`: each group's
    /// [`initial_lr`](crate::ParamGroup::initial_lr) (its rate when the first scheduler was
    /// attached to the optimizer).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }
}

impl LrScheduler for StepLr {
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.last_epoch += 1;
        let decay = self.last_epoch % self.step_size == 0;
        self.last_lr = update_lrs(optimizer, |_, lr| if decay { lr * self.gamma } else { lr });
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }
}

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
    last_epoch: u64,
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
            last_epoch: 0,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.last_lr = sched.apply_milestone(optimizer);
        sched
    }

    /// Decays the rates by `gamma^n` if the current epoch is listed `n` times, and returns
    /// the rates.
    fn apply_milestone<T: Float, O: Optimizer<T> + ?Sized>(&self, optimizer: &mut O) -> Vec<f64> {
        match self.milestones.get(&self.last_epoch) {
            Some(&count) => {
                let factor = self.gamma.powf(f64::from(count));
                update_lrs(optimizer, |_, lr| lr * factor)
            }
            None => group_lrs(optimizer),
        }
    }

    /// The base rates, PyTorch's `base_lrs`: each group's
    /// [`initial_lr`](crate::ParamGroup::initial_lr) (its rate when the first scheduler was
    /// attached to the optimizer).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }
}

impl LrScheduler for MultiStepLr {
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.last_epoch += 1;
        self.last_lr = self.apply_milestone(optimizer);
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }
}
