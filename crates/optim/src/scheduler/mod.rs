//! Learning-rate schedulers, like `torch.optim.lr_scheduler`.
//!
//! | PyTorch | here | chainable |
//! |---|---|---|
//! | `StepLR`, `MultiStepLR` | [`StepLr`], [`MultiStepLr`] | yes |
//! | `ExponentialLR`, `CosineAnnealingLR`, `PolynomialLR` | [`ExponentialLr`], [`CosineAnnealingLr`], [`PolynomialLr`] | yes |
//! | `LinearLR`, `ConstantLR` | [`LinearLr`], [`ConstantLr`] | yes |
//! | `LambdaLR`, `MultiplicativeLR` | [`LambdaLr`], [`MultiplicativeLr`] | no, yes |
//! | `CyclicLR`, `OneCycleLR` | [`CyclicLr`], [`OneCycleLr`] (they cycle the momentum too) | no |
//! | `CosineAnnealingWarmRestarts` | [`CosineAnnealingWarmRestarts`] | no |
//! | `SequentialLR`, `ChainedScheduler` | [`SequentialLr`], [`ChainedScheduler`] (of [`BoxedLrScheduler`]s) | |
//! | `ReduceLROnPlateau` | [`ReduceLrOnPlateau`] | |
//!
//! A scheduler reads the learning rates of an optimizer's groups when it is built (its base
//! rates, PyTorch's `base_lrs`; the first scheduler attached records them in each group's
//! [`initial_lr`](crate::ParamGroup::initial_lr) and later ones reuse them, as in PyTorch)
//! and, at each [`step`](LrScheduler::step), writes new rates into the groups. Each follows
//! PyTorch's code path by path: the chainable ones its recursive `get_lr`, which updates the
//! group's *current* rate, so that two schedulers on one optimizer compose as they do in
//! PyTorch; the others (which overwrite the rate from their base rates) its closed forms.
//! Rates match PyTorch's to the last bit (`tests/scheduler_fixture.rs` replays PyTorch
//! 2.15's); the docs of each give the closed form it equals.
//!
//! Building a scheduler counts as its first step (epoch 0), as in PyTorch: for
//! [`LinearLr`] this already scales the rates by `start_factor`.
//!
//! Schedulers hold no reference to the optimizer (pass it to `step`), so their whole state
//! derives serde's traits: serialize the scheduler to checkpoint it. The functions of
//! [`LambdaLr`], [`MultiplicativeLr`] and a custom [`CyclicLr`] scale are not saved (nor are
//! they by PyTorch): load the saved state into a scheduler built with them
//! (`load_state_dict`).
//!
//! ```
//! use backprop_autograd::Var;
//! use backprop_optim::{LrScheduler, Optimizer, Sgd, SgdConfig, StepLr};
//! use backprop_tensor::Tensor;
//!
//! let w = Var::parameter(Tensor::<f32>::zeros(&[3]));
//! let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
//! let mut sched = StepLr::new(&mut opt, 2, 0.5).unwrap();
//! let mut lrs = vec![];
//! for _epoch in 0..5 {
//!     lrs.push(opt.lr());
//!     opt.step();
//!     sched.step(&mut opt);
//! }
//! assert_eq!(lrs, vec![1.0, 1.0, 0.5, 0.5, 0.25]);
//! ```

/// Implements [`LrScheduler`] for a chainable scheduler: a struct with fields
/// `last_epoch: i64`, `base_lrs: Vec<f64>` and `last_lr: Vec<f64>` and a method
/// `fn rate(&self, rule: Rule, group: usize, base_lr: f64, lr: f64) -> f64` giving a group's
/// new rate from its base and current rates at `self.last_epoch`.
macro_rules! chainable_scheduler {
    ($t:ty) => {
        impl $crate::scheduler::LrScheduler for $t {
            fn step<T: backprop_tensor::Float, O: $crate::Optimizer<T> + ?Sized>(
                &mut self,
                optimizer: &mut O,
            ) {
                self.last_epoch += 1;
                self.last_lr =
                    $crate::scheduler::apply_rule(optimizer, &self.base_lrs, |i, b, lr| {
                        self.rate($crate::scheduler::Rule::Recursive, i, b, lr)
                    });
            }

            fn get_last_lr(&self) -> &[f64] {
                &self.last_lr
            }

            fn last_epoch(&self) -> i64 {
                self.last_epoch
            }

            fn jump_to<T: backprop_tensor::Float, O: $crate::Optimizer<T> + ?Sized>(
                &mut self,
                epoch: u64,
                optimizer: &mut O,
            ) {
                self.last_epoch = $crate::scheduler::epoch_i64(epoch);
                self.last_lr =
                    $crate::scheduler::apply_rule(optimizer, &self.base_lrs, |i, b, lr| {
                        self.rate($crate::scheduler::Rule::ClosedForm, i, b, lr)
                    });
            }

            fn initial_step<T: backprop_tensor::Float, O: $crate::Optimizer<T> + ?Sized>(
                &mut self,
                optimizer: &mut O,
            ) {
                self.last_epoch += 1;
                self.last_lr =
                    $crate::scheduler::apply_rule(optimizer, &self.base_lrs, |i, b, lr| {
                        self.rate($crate::scheduler::Rule::Initial, i, b, lr)
                    });
            }

            fn undo(&mut self) {
                self.last_epoch -= 1;
            }
        }
    };
}

mod boxed;
mod chained;
mod constant;
mod cosine;
mod cyclic;
mod exponential;
mod lambda;
mod linear;
mod momentum;
mod multiplicative;
mod one_cycle;
mod per_group;
mod plateau;
mod polynomial;
mod sequential;
mod step;
mod warm_restarts;

pub use boxed::BoxedLrScheduler;
pub use chained::ChainedScheduler;
pub use constant::ConstantLr;
pub use cosine::CosineAnnealingLr;
pub use cyclic::{CyclicLr, CyclicLrConfig, CyclicMode, ScaleMode};
pub use exponential::ExponentialLr;
pub use lambda::{LambdaLr, LrLambda};
pub use linear::LinearLr;
pub use multiplicative::MultiplicativeLr;
pub use one_cycle::{AnnealStrategy, OneCycleLr, OneCycleLrConfig};
pub use per_group::PerGroup;
pub use plateau::{PlateauConfig, PlateauMode, ReduceLrOnPlateau, ThresholdMode};
pub use polynomial::PolynomialLr;
pub use sequential::SequentialLr;
pub use step::{MultiStepLr, StepLr};
pub use warm_restarts::CosineAnnealingWarmRestarts;

use backprop_tensor::Float;

use crate::Optimizer;

/// A learning-rate schedule stepped once per epoch (or per iteration) after
/// [`Optimizer::step`].
///
/// [`step`](LrScheduler::step), [`get_last_lr`](LrScheduler::get_last_lr) and
/// [`last_epoch`](LrScheduler::last_epoch) are all a training loop needs. The other methods
/// are PyTorch's internal steps that [`SequentialLr`] drives its schedulers with
/// (`_update_lr(epoch)`, `_initial_step()` and `recursive_undo`); implement them too when
/// writing a scheduler of your own, so that it can be sequenced.
///
/// [`ReduceLrOnPlateau`] does not implement it: its step needs the metric.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{LrScheduler, Optimizer, Sgd, SgdConfig, StepLr};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let mut sched = StepLr::new(&mut opt, 2, 0.5).unwrap();
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert_eq!((sched.last_epoch(), sched.get_last_lr()), (2, &[0.5][..]));
/// // PyTorch's deprecated `step(epoch)`: the closed form at epoch 5.
/// sched.jump_to(5, &mut opt);
/// assert_eq!(opt.lr(), 0.25);
/// ```
pub trait LrScheduler {
    /// Advances to the next epoch and writes that epoch's learning rates into the
    /// optimizer's groups.
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O);

    /// The learning rates (one per group) set by the latest step or by construction.
    fn get_last_lr(&self) -> &[f64];

    /// The epoch reached, PyTorch's `last_epoch`: 0 after construction, then one more per
    /// [`step`](LrScheduler::step). A scheduler held by a [`SequentialLr`] that has not been
    /// reached yet reads −1, as in PyTorch.
    fn last_epoch(&self) -> i64;

    /// Sets the epoch to `epoch` and writes that epoch's rates, PyTorch's
    /// `_update_lr(epoch)`: what its deprecated `step(epoch)` does, and what `SequentialLR`
    /// does with epoch 0 when it reaches a scheduler's milestone. Schedulers with a closed
    /// form (`_get_closed_form_lr`) compute it from their base rates; the others evaluate
    /// their usual rule at that epoch. ([`CosineAnnealingWarmRestarts`] keeps its position in
    /// the cycle here, as PyTorch's `_update_lr` does; its own `step(epoch)` is
    /// [`CosineAnnealingWarmRestarts::step_at`].)
    ///
    /// # Panics
    ///
    /// For [`ChainedScheduler`] and [`SequentialLr`], which have no per-epoch rule (PyTorch
    /// raises `NotImplementedError`; see
    /// [`supports_jump_to`](LrScheduler::supports_jump_to)), and for [`OneCycleLr`] beyond its
    /// total steps.
    fn jump_to<T: Float, O: Optimizer<T> + ?Sized>(&mut self, epoch: u64, optimizer: &mut O);

    /// Whether [`jump_to`](LrScheduler::jump_to) is supported: false for the schedulers that
    /// only hold others ([`ChainedScheduler`], [`SequentialLr`]).
    fn supports_jump_to(&self) -> bool {
        true
    }

    /// Steps once the way construction does, PyTorch's `_initial_step()`: the epoch advances
    /// by one and the rates are computed in PyTorch's "initial" mode, in which, for example,
    /// [`ExponentialLr`] leaves them unchanged. [`SequentialLr`] calls it on the scheduler
    /// that starts the sequence after [`undo`](LrScheduler::undo).
    fn initial_step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O);

    /// Moves the epoch back by one without touching the rates: PyTorch's
    /// `scheduler.last_epoch -= 1`, which `SequentialLR.recursive_undo` applies to every
    /// scheduler it holds (a scheduler holding others passes it on to each of them).
    fn undo(&mut self);

    /// Boxes the scheduler, so that schedulers of different types can be listed together
    /// in a [`SequentialLr`] or [`ChainedScheduler`].
    fn boxed(self) -> BoxedLrScheduler
    where
        Self: Sized + Send + 'static,
    {
        BoxedLrScheduler::new(self)
    }
}

/// Which of PyTorch's code paths computes a chainable scheduler's new rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// `get_lr()` inside `_initial_step()`, with `_is_initial` set: the construction step.
    Initial,
    /// `get_lr()` from `step()`: the recursive ("chainable") form.
    Recursive,
    /// `_get_closed_form_lr()`, from `_update_lr(epoch)`.
    ClosedForm,
}

/// An epoch given as `u64`, as PyTorch's (unbounded) `int`; saturates past `i64::MAX`.
pub(crate) fn epoch_i64(epoch: u64) -> i64 {
    i64::try_from(epoch).unwrap_or(i64::MAX)
}

/// The current learning rate of every group.
pub(crate) fn group_lrs<T: Float, O: Optimizer<T> + ?Sized>(optimizer: &O) -> Vec<f64> {
    optimizer
        .param_groups()
        .iter()
        .map(|g| g.options.lr())
        .collect()
}

/// The base rates of a new scheduler, PyTorch's `base_lrs`: each group's `initial_lr`, which
/// the first scheduler attached to the optimizer sets to the group's rate at that moment
/// (`group.setdefault("initial_lr", group["lr"])`).
pub(crate) fn init_base_lrs<T: Float, O: Optimizer<T> + ?Sized>(optimizer: &mut O) -> Vec<f64> {
    optimizer
        .param_groups_mut()
        .iter_mut()
        .map(|g| *g.initial_lr.get_or_insert(g.options.lr()))
        .collect()
}

/// Replaces each group's rate with `f(group index, current rate)` and returns the new rates.
pub(crate) fn update_lrs<T: Float, O: Optimizer<T> + ?Sized>(
    optimizer: &mut O,
    mut f: impl FnMut(usize, f64) -> f64,
) -> Vec<f64> {
    optimizer
        .param_groups_mut()
        .iter_mut()
        .enumerate()
        .map(|(i, g)| {
            let lr = f(i, g.options.lr());
            g.options.set_lr(lr);
            lr
        })
        .collect()
}

/// Replaces each group's rate with `f(group index, base rate, current rate)` and returns the
/// new rates.
pub(crate) fn apply_rule<T: Float, O: Optimizer<T> + ?Sized>(
    optimizer: &mut O,
    base_lrs: &[f64],
    f: impl Fn(usize, f64, f64) -> f64,
) -> Vec<f64> {
    update_lrs(optimizer, |i, lr| f(i, base_lr(base_lrs, i, lr), lr))
}

/// The base rate of group `i`; a group added after the scheduler was built uses its own
/// current rate.
pub(crate) fn base_lr(base_lrs: &[f64], i: usize, current: f64) -> f64 {
    base_lrs.get(i).copied().unwrap_or(current)
}

/// Python's `bisect.bisect_right(a, x)`, binary search included, so that an unsorted list
/// gives the same index as in PyTorch.
pub(crate) fn bisect_right(a: &[u64], x: i64) -> usize {
    let (mut lo, mut hi) = (0, a.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if i128::from(x) < i128::from(a[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}
