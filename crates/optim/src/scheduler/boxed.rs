//! [`BoxedLrScheduler`]: a scheduler of any type behind one type.

use std::collections::BTreeMap;
use std::fmt;

use backprop_tensor::Float;

use super::LrScheduler;
use crate::{GroupState, OptimError, Optimizer, OptimizerState, ParamGroup};

/// A scheduler of any type, boxed, so that schedulers of different types can be listed
/// together in a [`SequentialLr`](super::SequentialLr) or
/// [`ChainedScheduler`](super::ChainedScheduler) (PyTorch's lists of schedulers). Build one
/// with [`LrScheduler::boxed`] or [`BoxedLrScheduler::new`].
///
/// [`LrScheduler`]'s methods are generic over the optimizer, so a trait object cannot call
/// them directly; the box hands the scheduler a copy of the groups' options and
/// `initial_lr`s (all that a scheduler reads or writes) and copies them back afterwards.
///
/// It is not serializable; a sequence whose schedulers all have one type
/// (`SequentialLr<CosineAnnealingLr>`, or an enum of your own implementing [`LrScheduler`])
/// is.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{BoxedLrScheduler, ExponentialLr, LinearLr, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let list: Vec<BoxedLrScheduler> = vec![
///     LinearLr::new(&mut opt, 0.5, 1.0, 2).unwrap().boxed(),
///     ExponentialLr::new(&mut opt, 0.5).boxed(),
/// ];
/// assert_eq!(list[1].last_epoch(), 0);
/// ```
pub struct BoxedLrScheduler(Box<dyn ErasedScheduler + Send>);

impl BoxedLrScheduler {
    /// Boxes `scheduler` (also [`LrScheduler::boxed`]).
    pub fn new<S: LrScheduler + Send + 'static>(scheduler: S) -> Self {
        BoxedLrScheduler(Box::new(scheduler))
    }
}

impl fmt::Debug for BoxedLrScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxedLrScheduler")
            .field("last_epoch", &self.0.last_epoch_dyn())
            .field("last_lr", &self.0.get_last_lr_dyn())
            .finish_non_exhaustive()
    }
}

impl LrScheduler for BoxedLrScheduler {
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        Detached::run(optimizer, |d| self.0.step_dyn(d));
    }

    fn get_last_lr(&self) -> &[f64] {
        self.0.get_last_lr_dyn()
    }

    fn last_epoch(&self) -> i64 {
        self.0.last_epoch_dyn()
    }

    fn jump_to<T: Float, O: Optimizer<T> + ?Sized>(&mut self, epoch: u64, optimizer: &mut O) {
        Detached::run(optimizer, |d| self.0.jump_to_dyn(epoch, d));
    }

    fn supports_jump_to(&self) -> bool {
        self.0.supports_jump_to_dyn()
    }

    fn initial_step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        Detached::run(optimizer, |d| self.0.initial_step_dyn(d));
    }

    fn undo(&mut self) {
        self.0.undo_dyn();
    }

    fn boxed(self) -> BoxedLrScheduler {
        self
    }
}

/// [`LrScheduler`] with the optimizer fixed to [`Detached`], so it can be a trait object.
trait ErasedScheduler {
    fn step_dyn(&mut self, groups: &mut Detached);
    fn jump_to_dyn(&mut self, epoch: u64, groups: &mut Detached);
    fn initial_step_dyn(&mut self, groups: &mut Detached);
    fn supports_jump_to_dyn(&self) -> bool;
    fn undo_dyn(&mut self);
    fn get_last_lr_dyn(&self) -> &[f64];
    fn last_epoch_dyn(&self) -> i64;
}

impl<S: LrScheduler> ErasedScheduler for S {
    fn step_dyn(&mut self, groups: &mut Detached) {
        self.step(groups);
    }

    fn jump_to_dyn(&mut self, epoch: u64, groups: &mut Detached) {
        self.jump_to(epoch, groups);
    }

    fn initial_step_dyn(&mut self, groups: &mut Detached) {
        self.initial_step(groups);
    }

    fn supports_jump_to_dyn(&self) -> bool {
        self.supports_jump_to()
    }

    fn undo_dyn(&mut self) {
        self.undo();
    }

    fn get_last_lr_dyn(&self) -> &[f64] {
        self.get_last_lr()
    }

    fn last_epoch_dyn(&self) -> i64 {
        self.last_epoch()
    }
}

/// The options and `initial_lr` of an optimizer's groups without their parameters: an
/// optimizer with nothing to update, standing in for the real one while a boxed scheduler
/// steps.
struct Detached {
    groups: Vec<ParamGroup<f64>>,
}

impl Detached {
    /// Copies the groups of `optimizer` out, runs `f` on them and copies them back.
    fn run<T: Float, O: Optimizer<T> + ?Sized>(optimizer: &mut O, f: impl FnOnce(&mut Detached)) {
        let mut detached = Detached {
            groups: optimizer
                .param_groups()
                .iter()
                .map(|g| ParamGroup {
                    params: Vec::new(),
                    options: g.options,
                    initial_lr: g.initial_lr,
                })
                .collect(),
        };
        f(&mut detached);
        for (g, d) in optimizer.param_groups_mut().iter_mut().zip(detached.groups) {
            g.options = d.options;
            g.initial_lr = d.initial_lr;
        }
    }
}

impl Optimizer<f64> for Detached {
    fn step(&mut self) {}

    fn param_groups(&self) -> &[ParamGroup<f64>] {
        &self.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<f64>] {
        &mut self.groups
    }

    fn state_dict(&self) -> OptimizerState<f64> {
        OptimizerState {
            optimizer: "detached parameter groups".to_string(),
            param_groups: self
                .groups
                .iter()
                .map(|g| GroupState {
                    options: g.options,
                    initial_lr: g.initial_lr,
                    params: Vec::new(),
                    param_shapes: Vec::new(),
                })
                .collect(),
            state: BTreeMap::new(),
        }
    }

    fn load_state_dict(&mut self, state: OptimizerState<f64>) -> Result<(), OptimError> {
        if state.param_groups.len() != self.groups.len() {
            return Err(OptimError::GroupCountMismatch {
                expected: self.groups.len(),
                found: state.param_groups.len(),
            });
        }
        for (g, s) in self.groups.iter_mut().zip(state.param_groups) {
            g.options = s.options;
            g.initial_lr = s.initial_lr;
        }
        Ok(())
    }
}
