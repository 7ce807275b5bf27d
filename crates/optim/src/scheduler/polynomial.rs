//! Polynomial decay of the learning rate to 0.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, Rule, init_base_lrs};
use crate::{OptimError, Optimizer};

/// Decays the learning rate to 0 over `total_iters` epochs along a polynomial of degree
/// `power`, then keeps it at 0, like `torch.optim.lr_scheduler.PolynomialLR`:
///
/// `lr(epoch) = base_lr · (1 − min(epoch, total_iters) / total_iters)^power`.
///
/// PyTorch's recursive form is followed (equal up to rounding):
/// `lr ← lr · ((1 − epoch/total_iters) / (1 − (epoch − 1)/total_iters))^power` for
/// `1 ≤ epoch ≤ total_iters`. Building the scheduler leaves the rates as they are.
/// PyTorch's defaults are `total_iters = 5`, `power = 1`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{LrScheduler, Optimizer, PolynomialLr, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let mut sched = PolynomialLr::new(&mut opt, 4, 2.0).unwrap();
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..5 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// assert_eq!(lrs, vec![1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolynomialLr {
    total_iters: u64,
    power: f64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl PolynomialLr {
    /// A polynomial decay over `total_iters` epochs; the rates are unchanged until the
    /// first step.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] when `total_iters` is 0 (PyTorch would divide by it)
    /// or `power` is not finite.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        total_iters: u64,
        power: f64,
    ) -> Result<Self, OptimError> {
        if total_iters == 0 {
            return Err(OptimError::InvalidOption {
                owner: "PolynomialLR",
                option: "total_iters",
                value: total_iters.to_string(),
                reason: "must be at least 1",
            });
        }
        if !power.is_finite() {
            return Err(OptimError::InvalidOption {
                owner: "PolynomialLR",
                option: "power",
                value: power.to_string(),
                reason: "must be finite",
            });
        }
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = PolynomialLr {
            total_iters,
            power,
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

    /// PyTorch's `get_lr` (the recursive form above; nothing in the initial step) and
    /// `_get_closed_form_lr` (the closed form).
    fn rate(&self, rule: Rule, _group: usize, base_lr: f64, lr: f64) -> f64 {
        let e = self.last_epoch;
        let total = self.total_iters as f64;
        match rule {
            Rule::ClosedForm => {
                let reached = i128::from(e).min(i128::from(self.total_iters)) as f64;
                base_lr * (1.0 - reached / total).powf(self.power)
            }
            Rule::Initial => lr,
            Rule::Recursive if i128::from(e) > i128::from(self.total_iters) => lr,
            Rule::Recursive => {
                let e = e as f64;
                lr * ((1.0 - e / total) / (1.0 - (e - 1.0) / total)).powf(self.power)
            }
        }
    }
}

chainable_scheduler!(PolynomialLr);
