//! Exponential decay.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, Rule, init_base_lrs};
use crate::Optimizer;

/// Multiplies the learning rate by `gamma` every epoch, like
/// `torch.optim.lr_scheduler.ExponentialLR`: `lr(epoch) = base_lr · gamma^epoch`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{ExponentialLr, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let mut sched = ExponentialLr::new(&mut opt, 0.5);
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert_eq!(sched.get_last_lr(), &[0.25]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExponentialLr {
    gamma: f64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl ExponentialLr {
    /// An exponential schedule for `optimizer`.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(optimizer: &mut O, gamma: f64) -> Self {
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = ExponentialLr {
            gamma,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        sched
    }

    /// PyTorch's `get_lr` (`lr · gamma`, nothing in the initial step) and
    /// `_get_closed_form_lr` (`base_lr · gamma^epoch`).
    fn rate(&self, rule: Rule, _group: usize, base_lr: f64, lr: f64) -> f64 {
        match rule {
            Rule::Initial => lr,
            Rule::Recursive => lr * self.gamma,
            Rule::ClosedForm => base_lr * self.gamma.powf(self.last_epoch as f64),
        }
    }

    /// The base rates, PyTorch's `base_lrs`: each group's
    /// [`initial_lr`](crate::ParamGroup::initial_lr) (its rate when the first scheduler was
    /// attached to the optimizer).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }
}

chainable_scheduler!(ExponentialLr);
