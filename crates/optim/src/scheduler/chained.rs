//! [`ChainedScheduler`]: several schedulers stepped together.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{BoxedLrScheduler, LrScheduler, group_lrs};
use crate::{OptimError, Optimizer};

/// Steps all its schedulers, in order, at every step, like
/// `torch.optim.lr_scheduler.ChainedScheduler`: with chainable schedulers (those that update
/// the current rate, such as [`ConstantLr`](crate::ConstantLr) and
/// [`ExponentialLr`](crate::ExponentialLr)) their factors multiply.
///
/// The same is obtained by stepping the schedulers one after the other by hand; this only
/// bundles them. To list schedulers of different types, box them ([`LrScheduler::boxed`]).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{ChainedScheduler, ConstantLr, ExponentialLr, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let warm = ConstantLr::new(&mut opt, 0.5, 2).unwrap().boxed();
/// let decay = ExponentialLr::new(&mut opt, 0.5).boxed();
/// let mut sched = ChainedScheduler::new(&opt, vec![warm, decay]).unwrap();
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..3 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// assert_eq!(lrs, vec![0.5, 0.25, 0.25, 0.125]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainedScheduler<S = BoxedLrScheduler> {
    schedulers: Vec<S>,
    steps: i64,
    last_lr: Vec<f64>,
}

impl<S: LrScheduler> ChainedScheduler<S> {
    /// Chains `schedulers` (built on `optimizer`); the rates are left as they are.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] (PyTorch's `ValueError`s) when `schedulers` is empty or
    /// when a scheduler has a different number of groups than the optimizer (our stand-in
    /// for PyTorch's "belong to the same optimizer" check).
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &O,
        schedulers: Vec<S>,
    ) -> Result<Self, OptimError> {
        if schedulers.is_empty() {
            return Err(OptimError::InvalidOption {
                owner: "ChainedScheduler",
                option: "schedulers",
                value: "[]".to_string(),
                reason: "expects at least one scheduler to be chained",
            });
        }
        let groups = optimizer.param_groups().len();
        if let Some((i, s)) = schedulers
            .iter()
            .enumerate()
            .find(|(_, s)| s.get_last_lr().len() != groups)
        {
            return Err(OptimError::InvalidOption {
                owner: "ChainedScheduler",
                option: "schedulers",
                value: format!(
                    "scheduler {i} with {} parameter groups, the optimizer has {groups}",
                    s.get_last_lr().len()
                ),
                reason: "expects all schedulers to belong to the same optimizer",
            });
        }
        Ok(ChainedScheduler {
            schedulers,
            steps: 0,
            last_lr: group_lrs(optimizer),
        })
    }

    /// The schedulers, in order.
    pub fn schedulers(&self) -> &[S] {
        &self.schedulers
    }
}

impl<S: LrScheduler> LrScheduler for ChainedScheduler<S> {
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        for s in &mut self.schedulers {
            s.step(optimizer);
        }
        self.steps += 1;
        self.last_lr = group_lrs(optimizer);
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    /// The number of steps taken since it was built (PyTorch's `ChainedScheduler` keeps no
    /// `last_epoch` of its own; each scheduler held has its own).
    fn last_epoch(&self) -> i64 {
        self.steps
    }

    /// # Panics
    ///
    /// Always: a chain has no rule for a given epoch (PyTorch raises
    /// `NotImplementedError`).
    #[track_caller]
    fn jump_to<T: Float, O: Optimizer<T> + ?Sized>(&mut self, epoch: u64, _optimizer: &mut O) {
        panic!("ChainedScheduler has no closed form: it cannot jump to epoch {epoch}");
    }

    fn supports_jump_to(&self) -> bool {
        false
    }

    /// PyTorch's inherited `_initial_step()`: an ordinary [`step`](LrScheduler::step), which
    /// steps every scheduler held in its ordinary (not initial) mode.
    fn initial_step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.step(optimizer);
    }

    /// Passes the undo on to every scheduler held.
    fn undo(&mut self) {
        for s in &mut self.schedulers {
            s.undo();
        }
    }
}
