//! The options of [`Lbfgs`](super::Lbfgs), with PyTorch's defaults and validation.

use serde::{Deserialize, Serialize};

use crate::error::{check_non_negative, invalid};
use crate::{GroupOptions, OptimError};

/// The line search of [`Lbfgs`](crate::Lbfgs) (PyTorch's `line_search_fn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LineSearch {
    /// A fixed step `t = lr` (after the first iteration's `min(1, 1/‖g‖₁)·lr`).
    #[default]
    None,
    /// A line search satisfying the strong Wolfe conditions (`"strong_wolfe"`).
    StrongWolfe,
}

/// Options of [`Lbfgs`](crate::Lbfgs), with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LbfgsConfig {
    /// Learning rate: the step along each direction, or the line search's first trial
    /// (default 1).
    pub lr: f64,
    /// Iterations per [`step_with`](crate::Lbfgs::step_with) (default 20).
    pub max_iter: usize,
    /// Closure calls per step (default `None`: `max_iter * 5 / 4`, rounded down, filled in by
    /// the constructor as PyTorch does).
    pub max_eval: Option<usize>,
    /// Stop when every gradient element is at most this in absolute value (default `1e-7`).
    pub tolerance_grad: f64,
    /// Stop when the loss, the step or the directional derivative changes less than this
    /// (default `1e-9`).
    pub tolerance_change: f64,
    /// How many past steps approximate the inverse Hessian (default 100).
    pub history_size: usize,
    /// The line search (default [`LineSearch::None`]).
    pub line_search: LineSearch,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            lr: 1.0,
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search: LineSearch::None,
            maximize: false,
        }
    }
}

impl LbfgsConfig {
    /// `max_eval`, or PyTorch's default `max_iter * 5 // 4` when unset.
    pub fn resolved_max_eval(&self) -> usize {
        self.max_eval.unwrap_or(self.max_iter * 5 / 4)
    }
}

pub(super) fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::Lbfgs(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "LBFGS",
            found: options.kind(),
        });
    };
    check_non_negative("LBFGS", "lr", c.lr)?;
    // PyTorch accepts 0 and then fails with an IndexError (popping an empty history) on the
    // first update of the history.
    if c.history_size == 0 {
        return Err(invalid("LBFGS", "history_size", 0.0, "must be >= 1"));
    }
    Ok(())
}
