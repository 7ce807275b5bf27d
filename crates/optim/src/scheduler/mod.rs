//! Learning-rate schedulers, like `torch.optim.lr_scheduler`.
//!
//! A scheduler reads the learning rates of an optimizer's groups when it is built (its base
//! rates, PyTorch's `base_lrs`; the first scheduler attached records them in each group's
//! [`initial_lr`](crate::ParamGroup::initial_lr) and later ones reuse them, as in PyTorch) and, at each [`step`](LrScheduler::step), writes new rates into
//! the groups. Each follows PyTorch's recursive ("chainable") `get_lr`, which updates the
//! group's *current* rate, so values match PyTorch's to the last bit and two schedulers on one
//! optimizer compose as they do in PyTorch; the docs of each give the closed form it equals.
//!
//! Building a scheduler counts as its first step (epoch 0), as in PyTorch: for
//! [`LinearLr`] this already scales the rates by `start_factor`.
//!
//! Schedulers hold no reference to the optimizer (pass it to `step`), so their whole state
//! derives serde's traits: serialize the scheduler to checkpoint it.
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

mod constant;
mod cosine;
mod exponential;
mod linear;
mod plateau;
mod polynomial;
mod step;

pub use constant::ConstantLr;
pub use cosine::CosineAnnealingLr;
pub use exponential::ExponentialLr;
pub use linear::LinearLr;
pub use plateau::{PlateauConfig, PlateauMode, ReduceLrOnPlateau, ThresholdMode};
pub use polynomial::PolynomialLr;
pub use step::{MultiStepLr, StepLr};

use backprop_tensor::Float;

use crate::Optimizer;

/// A learning-rate schedule stepped once per epoch (or per iteration) after
/// [`Optimizer::step`].
///
/// [`ReduceLrOnPlateau`] does not implement it: its step needs the metric.
pub trait LrScheduler {
    /// Advances to the next epoch and writes that epoch's learning rates into the
    /// optimizer's groups.
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O);

    /// The learning rates (one per group) set by the latest step or by construction.
    fn get_last_lr(&self) -> &[f64];

    /// The epoch reached: 0 after construction, then one more per [`step`](LrScheduler::step).
    fn last_epoch(&self) -> u64;
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

/// The base rate of group `i`; a group added after the scheduler was built uses its own
/// current rate.
pub(crate) fn base_lr(base_lrs: &[f64], i: usize, current: f64) -> f64 {
    base_lrs.get(i).copied().unwrap_or(current)
}
