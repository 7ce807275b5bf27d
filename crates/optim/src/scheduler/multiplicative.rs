//! [`MultiplicativeLr`]: the rate multiplied by a function of the epoch at every step.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::lambda::{factor, lambdas_per_group};
use super::{LrLambda, LrScheduler, Rule, init_base_lrs};
use crate::{OptimError, Optimizer};

/// Multiplies each group's rate by a function of the epoch at every step, like
/// `torch.optim.lr_scheduler.MultiplicativeLR`:
///
/// `lr(epoch) = lr(epoch − 1) · lr_lambda(epoch)`, so
/// `lr(epoch) = base_lr · ∏_{k=1..epoch} lr_lambda(k)`.
///
/// Building the scheduler leaves the rates as they are. It is chainable. As in PyTorch,
/// a [`jump_to`](LrScheduler::jump_to) (which `SequentialLr` does at a milestone, with epoch
/// 0) multiplies the current rate by `lr_lambda(epoch)`: there is no closed form.
///
/// Serializing it saves everything but the functions; restore with
/// [`load_state_dict`](MultiplicativeLr::load_state_dict).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{LrScheduler, MultiplicativeLr, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let mut sched = MultiplicativeLr::new(&mut opt, |_| 0.5);
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..3 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// assert_eq!(lrs, vec![1.0, 0.5, 0.25, 0.125]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiplicativeLr {
    #[serde(skip)]
    lr_lambdas: Vec<LrLambda>,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl MultiplicativeLr {
    /// A schedule with the same function for every group; the rates are unchanged until the
    /// first step.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        lr_lambda: impl Fn(i64) -> f64 + Send + Sync + 'static,
    ) -> Self {
        let f = LrLambda::new(lr_lambda);
        let groups = optimizer.param_groups().len();
        Self::build(optimizer, vec![f; groups])
    }

    /// A schedule with one function per group, in the order of the groups.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] naming `lr_lambda` when there is not one function per
    /// group.
    pub fn per_group<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        lr_lambdas: Vec<LrLambda>,
    ) -> Result<Self, OptimError> {
        let groups = optimizer.param_groups().len();
        let lr_lambdas = lambdas_per_group("MultiplicativeLR", lr_lambdas, groups)?;
        Ok(Self::build(optimizer, lr_lambdas))
    }

    fn build<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        lr_lambdas: Vec<LrLambda>,
    ) -> Self {
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = MultiplicativeLr {
            lr_lambdas,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        sched
    }

    /// Takes over the epoch and rates of `saved` and keeps this scheduler's functions, like
    /// PyTorch's `load_state_dict` (see [`LambdaLr::load_state_dict`](crate::LambdaLr::load_state_dict)).
    pub fn load_state_dict(&mut self, saved: MultiplicativeLr) {
        self.last_epoch = saved.last_epoch;
        self.base_lrs = saved.base_lrs;
        self.last_lr = saved.last_lr;
    }

    /// The base rates, PyTorch's `base_lrs` (see [`LinearLr::base_lrs`](crate::LinearLr::base_lrs)).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    /// PyTorch's `get_lr`: the current rate times `lr_lambda(epoch)`, except in the initial
    /// step.
    fn rate(&self, rule: Rule, i: usize, _base_lr: f64, lr: f64) -> f64 {
        match rule {
            Rule::Initial => lr,
            Rule::Recursive | Rule::ClosedForm => {
                lr * factor("MultiplicativeLR", &self.lr_lambdas, i, self.last_epoch)
            }
        }
    }
}

chainable_scheduler!(MultiplicativeLr);
