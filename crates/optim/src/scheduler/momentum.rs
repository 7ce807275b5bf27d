//! The momentum (SGD's and RMSprop's `momentum`, Adam's `β₁`) that [`CyclicLr`] and
//! [`OneCycleLr`] cycle against the learning rate.
//!
//! [`CyclicLr`]: super::CyclicLr
//! [`OneCycleLr`]: super::OneCycleLr

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::PerGroup;
use crate::{GroupOptions, OptimError, Optimizer};

/// The momentum bounds of each group and which option carries the momentum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CycledMomentum {
    /// PyTorch's `use_beta1`: the optimizer has `betas` (Adam, AdamW, NAdam, RAdam,
    /// Adamax), whose first entry is cycled, rather than `momentum` (SGD, RMSprop).
    pub(crate) use_beta1: bool,
    /// Lower bound of each group's momentum (`base_momentum`).
    pub(crate) base: Vec<f64>,
    /// Upper bound of each group's momentum (`max_momentum`).
    pub(crate) max: Vec<f64>,
}

impl CycledMomentum {
    /// Checks that the optimizer has a momentum, as PyTorch does (`"momentum"` or `"betas"`
    /// in `optimizer.defaults`), and resolves the per-group bounds.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] naming `cycle_momentum` for an optimizer without
    /// momentum (Adagrad, Adadelta, Rprop, ASGD), or naming the bound whose list does not have one value per group.
    pub(crate) fn new<T: Float, O: Optimizer<T> + ?Sized>(
        owner: &'static str,
        optimizer: &O,
        base: &PerGroup,
        max: &PerGroup,
    ) -> Result<Self, OptimError> {
        let groups = optimizer.param_groups();
        let use_beta1 = groups
            .first()
            .and_then(|g| uses_beta1(&g.options))
            .ok_or_else(|| OptimError::InvalidOption {
                owner,
                option: "cycle_momentum",
                value: format!(
                    "true for {}",
                    groups.first().map_or("an empty optimizer", |g| g.options.kind())
                ),
                reason: "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
            })?;
        Ok(CycledMomentum {
            use_beta1,
            base: base.resolve(owner, "base_momentum", groups.len())?,
            max: max.resolve(owner, "max_momentum", groups.len())?,
        })
    }
}

/// `Some(true)` when the options carry `betas`, `Some(false)` when they carry `momentum`,
/// `None` when they have neither.
fn uses_beta1(options: &GroupOptions) -> Option<bool> {
    match options {
        GroupOptions::Sgd(_) | GroupOptions::RmsProp(_) => Some(false),
        GroupOptions::Adam(_)
        | GroupOptions::AdamW(_)
        | GroupOptions::NAdam(_)
        | GroupOptions::RAdam(_)
        | GroupOptions::Adamax(_) => Some(true),
        GroupOptions::Adagrad(_)
        | GroupOptions::Adadelta(_)
        | GroupOptions::Rprop(_)
        | GroupOptions::Asgd(_)
        | GroupOptions::Lbfgs(_) => None,
    }
}

/// Writes `momentum` into the options: `momentum`, or the first of `betas`
/// (`group["betas"] = (momentum, *group["betas"][1:])`).
pub(crate) fn set_momentum(options: &mut GroupOptions, momentum: f64) {
    match options {
        GroupOptions::Sgd(c) => c.momentum = momentum,
        GroupOptions::RmsProp(c) => c.momentum = momentum,
        GroupOptions::Adam(c) => c.betas.0 = momentum,
        GroupOptions::AdamW(c) => c.betas.0 = momentum,
        GroupOptions::NAdam(c) => c.betas.0 = momentum,
        GroupOptions::RAdam(c) => c.betas.0 = momentum,
        GroupOptions::Adamax(c) => c.betas.0 = momentum,
        GroupOptions::Adagrad(_)
        | GroupOptions::Adadelta(_)
        | GroupOptions::Rprop(_)
        | GroupOptions::Asgd(_)
        | GroupOptions::Lbfgs(_) => {}
    }
}

/// Writes each group's momentum (groups beyond `momenta` are left alone).
pub(crate) fn set_momenta<T: Float, O: Optimizer<T> + ?Sized>(optimizer: &mut O, momenta: &[f64]) {
    for (g, &m) in optimizer.param_groups_mut().iter_mut().zip(momenta) {
        set_momentum(&mut g.options, m);
    }
}
