//! [`SequentialLr`]: schedulers taking turns at milestone epochs.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{BoxedLrScheduler, LrScheduler, bisect_right, epoch_i64};
use crate::{OptimError, Optimizer};

/// Runs its schedulers one after the other, switching at milestone epochs, like
/// `torch.optim.lr_scheduler.SequentialLR`: scheduler `i` drives the rates from milestone
/// `i − 1` (epoch 0 for the first) until milestone `i`.
///
/// PyTorch's procedure is followed step for step, quirks included:
///
/// - Building it resets every group's rate to its `initial_lr`, moves every scheduler back
///   one epoch ([`undo`](LrScheduler::undo); the later ones read `last_epoch() == −1` until
///   they are reached) and redoes the construction step of the scheduler that starts
///   ([`initial_step`](LrScheduler::initial_step)).
/// - At a milestone the next scheduler restarts at epoch 0 through
///   [`jump_to(0)`](LrScheduler::jump_to): its closed form from its base rates (so a
///   [`LinearLr`](crate::LinearLr) warm-up followed by a
///   [`CosineAnnealingLr`](crate::CosineAnnealingLr) restarts the cosine from the full base
///   rate), or, for a scheduler without one, its usual rule at epoch 0
///   ([`MultiplicativeLr`](crate::MultiplicativeLr) multiplies the current rate by
///   `lr_lambda(0)`). Between milestones the current scheduler takes ordinary steps.
///
/// The schedulers are built on the optimizer first, as in PyTorch. To list schedulers of
/// different types, box them ([`LrScheduler::boxed`]); a sequence of one type
/// (`SequentialLr<StepLr>`) derives serde's traits.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{ConstantLr, ExponentialLr, LrScheduler, Optimizer, SequentialLr, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// // A tenth of the rate for 2 epochs, then a decay by half per epoch from the full rate.
/// let warm = ConstantLr::new(&mut opt, 0.1, 2).unwrap().boxed();
/// let decay = ExponentialLr::new(&mut opt, 0.5).boxed();
/// let mut sched = SequentialLr::new(&mut opt, vec![warm, decay], &[2]).unwrap();
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..4 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// assert_eq!(lrs, vec![0.1, 0.1, 1.0, 0.5, 0.25]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialLr<S = BoxedLrScheduler> {
    schedulers: Vec<S>,
    milestones: Vec<u64>,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl<S: LrScheduler> SequentialLr<S> {
    /// A sequence of `schedulers` (built on `optimizer`) switching at `milestones` (one
    /// fewer than schedulers; PyTorch expects them increasing but does not check, and
    /// neither does this: Python's `bisect_right` is reproduced).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] (PyTorch's `ValueError`s) when `schedulers` is empty,
    /// when a scheduler has a different number of groups than the optimizer (our stand-in
    /// for PyTorch's "belong to the same optimizer" check), or when the number of milestones
    /// is not one less than the number of schedulers; also when a milestone would hand over
    /// to a [`ChainedScheduler`](crate::ChainedScheduler) or a nested `SequentialLr`, which
    /// have no epoch-0 rule (PyTorch raises `NotImplementedError` when the milestone is
    /// reached).
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        mut schedulers: Vec<S>,
        milestones: &[u64],
    ) -> Result<Self, OptimError> {
        let invalid = |option, value: String, reason| OptimError::InvalidOption {
            owner: "SequentialLR",
            option,
            value,
            reason,
        };
        if schedulers.is_empty() {
            return Err(invalid(
                "schedulers",
                "[]".to_string(),
                "expects at least one scheduler",
            ));
        }
        let groups = optimizer.param_groups().len();
        if let Some((i, s)) = schedulers
            .iter()
            .enumerate()
            .find(|(_, s)| s.get_last_lr().len() != groups)
        {
            return Err(invalid(
                "schedulers",
                format!(
                    "scheduler {i} with {} parameter groups, the optimizer has {groups}",
                    s.get_last_lr().len()
                ),
                "expects all schedulers to belong to the same optimizer",
            ));
        }
        if milestones.len() + 1 != schedulers.len() {
            return Err(invalid(
                "milestones",
                format!(
                    "{} milestones for {} schedulers",
                    milestones.len(),
                    schedulers.len()
                ),
                "expects number of schedulers provided to be one more than the number of milestone points",
            ));
        }
        for (i, s) in schedulers.iter().enumerate().skip(1) {
            let m = epoch_i64(milestones[i - 1]);
            if !s.supports_jump_to() && m >= 1 && bisect_right(milestones, m) == i {
                return Err(invalid(
                    "schedulers",
                    format!("scheduler {i}, reached at milestone {m}, holds other schedulers"),
                    "a scheduler reached at a milestone restarts from epoch 0, which a chained or sequential scheduler cannot do",
                ));
            }
        }

        for g in optimizer.param_groups_mut() {
            if let Some(initial) = g.initial_lr {
                g.options.set_lr(initial);
            }
        }
        for s in &mut schedulers {
            s.undo();
        }
        let first = bisect_right(milestones, 0);
        schedulers[first].initial_step(optimizer);
        let last_lr = schedulers[first].get_last_lr().to_vec();
        Ok(SequentialLr {
            schedulers,
            milestones: milestones.to_vec(),
            last_epoch: 0,
            last_lr,
        })
    }

    /// The schedulers, in order.
    pub fn schedulers(&self) -> &[S] {
        &self.schedulers
    }

    /// The milestones.
    pub fn milestones(&self) -> &[u64] {
        &self.milestones
    }
}

impl<S: LrScheduler> LrScheduler for SequentialLr<S> {
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.last_epoch += 1;
        let i = bisect_right(&self.milestones, self.last_epoch);
        let sched = &mut self.schedulers[i];
        if i > 0 && epoch_i64(self.milestones[i - 1]) == self.last_epoch {
            sched.jump_to(0, optimizer);
        } else {
            sched.step(optimizer);
        }
        self.last_lr = sched.get_last_lr().to_vec();
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    /// # Panics
    ///
    /// Always: a sequence has no rule for a given epoch (PyTorch raises
    /// `NotImplementedError`).
    #[track_caller]
    fn jump_to<T: Float, O: Optimizer<T> + ?Sized>(&mut self, epoch: u64, _optimizer: &mut O) {
        panic!("SequentialLR has no closed form: it cannot jump to epoch {epoch}");
    }

    fn supports_jump_to(&self) -> bool {
        false
    }

    /// PyTorch's inherited `_initial_step()`: an ordinary [`step`](LrScheduler::step).
    fn initial_step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.step(optimizer);
    }

    /// Passes the undo on to every scheduler held (PyTorch's `recursive_undo` leaves the
    /// sequence's own epoch alone).
    fn undo(&mut self) {
        for s in &mut self.schedulers {
            s.undo();
        }
    }
}
