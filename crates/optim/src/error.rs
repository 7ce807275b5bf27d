//! Errors from building optimizers and schedulers and from loading their saved state.

/// An error from a constructor given invalid hyperparameters, from
/// [`Optimizer::load_state_dict`](crate::Optimizer::load_state_dict) given a state that does
/// not fit the optimizer's parameters, or from
/// [`clip_grad_norm_checked`](crate::clip_grad_norm_checked) given non-finite gradients.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    /// A hyperparameter is out of its valid range (PyTorch raises `ValueError` for these).
    #[error("{owner}: invalid {option} = {value}: {reason}")]
    InvalidOption {
        /// The optimizer or scheduler being built (`"Adam"`, `"LinearLR"`, ...).
        owner: &'static str,
        /// The option's name, as in PyTorch (`"lr"`, `"betas[0]"`, `"nesterov"`, ...).
        option: &'static str,
        /// The rejected value, printed.
        value: String,
        /// What the option must satisfy.
        reason: &'static str,
    },
    /// The optimizer was given no parameters at all.
    #[error("{owner}: optimizer got an empty parameter list")]
    EmptyParameters {
        /// The optimizer being built.
        owner: &'static str,
    },
    /// The optimizer takes exactly one parameter group (PyTorch's L-BFGS raises `ValueError`
    /// for per-parameter options).
    #[error(
        "{owner}: doesn't support per-parameter options (parameter groups): got {found} groups, expected 1"
    )]
    SingleGroupOnly {
        /// The optimizer being built.
        owner: &'static str,
        /// The number of groups given.
        found: usize,
    },
    /// Saved L-BFGS state does not fit the optimizer's parameters: a flat vector whose length
    /// is not the total number of parameter elements, history lists of different lengths, or
    /// a part missing after the first iteration.
    #[error("load_state_dict: LBFGS state `{field}`: {reason}")]
    InvalidLbfgsState {
        /// The state entry (`"d"`, `"old_dirs"`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The same parameter was given twice (in one group or in two groups).
    #[error("{owner}: parameter {param} of group {group} appears more than once in the optimizer")]
    DuplicateParameter {
        /// The optimizer being built.
        owner: &'static str,
        /// The group index of the second occurrence.
        group: usize,
        /// The index of the second occurrence within its group.
        param: usize,
    },
    /// The saved state belongs to another kind of optimizer.
    #[error("load_state_dict: state was saved by {found}, cannot load it into {expected}")]
    WrongOptimizer {
        /// The optimizer loading the state.
        expected: String,
        /// The optimizer that saved it.
        found: String,
    },
    /// The saved state has a different number of parameter groups.
    #[error(
        "load_state_dict: saved state has {found} parameter groups, the optimizer has {expected}"
    )]
    GroupCountMismatch {
        /// Groups in the optimizer.
        expected: usize,
        /// Groups in the saved state.
        found: usize,
    },
    /// A saved group has a different number of parameters.
    #[error(
        "load_state_dict: saved group {group} has {found} parameters, the optimizer's group has {expected}"
    )]
    ParamCountMismatch {
        /// The group index.
        group: usize,
        /// Parameters in the optimizer's group.
        expected: usize,
        /// Parameters in the saved group.
        found: usize,
    },
    /// A saved group's options belong to another kind of optimizer.
    #[error(
        "load_state_dict: saved group {group} has options of {found}, expected options of {expected}"
    )]
    OptionsMismatch {
        /// The group index.
        group: usize,
        /// The optimizer loading the state.
        expected: &'static str,
        /// The kind of options found.
        found: &'static str,
    },
    /// A saved tensor (the parameter's recorded shape or one of its buffers) does not have the
    /// shape of the parameter it belongs to.
    #[error(
        "load_state_dict: group {group}, param {param}: saved `{buffer}` has shape {found:?}, the parameter has shape {expected:?}"
    )]
    ShapeMismatch {
        /// The group index.
        group: usize,
        /// The parameter index within the group.
        param: usize,
        /// Which saved tensor (`"param"` for the recorded parameter shape, else the buffer name).
        buffer: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The saved shape.
        found: Vec<usize>,
    },
    /// The saved per-parameter state refers to a parameter index that no saved group lists.
    #[error(
        "load_state_dict: saved state refers to parameter index {index}, which no saved group lists"
    )]
    UnknownParameter {
        /// The global parameter index.
        index: usize,
    },
    /// The saved per-parameter state was produced by another kind of optimizer.
    #[error(
        "load_state_dict: group {group}, param {param}: saved state is {found} state, expected {expected} state"
    )]
    StateKindMismatch {
        /// The group index.
        group: usize,
        /// The parameter index within the group.
        param: usize,
        /// The optimizer loading the state.
        expected: &'static str,
        /// The kind of state found.
        found: &'static str,
    },
    /// [`clip_grad_norm_checked`](crate::clip_grad_norm_checked) found a NaN or infinite total
    /// norm (PyTorch's `error_if_nonfinite=True` raises there); no gradient was changed.
    #[error(
        "clip_grad_norm: the total norm of order {norm_type} of the gradients is non-finite ({total}), so it cannot be clipped"
    )]
    NonFiniteNorm {
        /// The order of the norm.
        norm_type: f64,
        /// The total norm found (NaN or ±∞).
        total: f64,
    },
}

/// An [`OptimError::InvalidOption`] for `value`.
pub(crate) fn invalid(
    owner: &'static str,
    option: &'static str,
    value: f64,
    reason: &'static str,
) -> OptimError {
    OptimError::InvalidOption {
        owner,
        option,
        value: value.to_string(),
        reason,
    }
}

/// Checks `value >= 0` (false for NaN), the most common hyperparameter constraint.
pub(crate) fn check_non_negative(
    owner: &'static str,
    option: &'static str,
    value: f64,
) -> Result<(), OptimError> {
    if value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(owner, option, value, "must be >= 0"))
    }
}

/// Checks `lo <= value < hi`, or `lo <= value <= hi` when `closed` (false for NaN); `reason`
/// states the range as the error will print it.
pub(crate) fn check_range(
    owner: &'static str,
    option: &'static str,
    value: f64,
    (lo, hi, closed): (f64, f64, bool),
    reason: &'static str,
) -> Result<(), OptimError> {
    let inside = lo <= value && (value < hi || (closed && value == hi));
    if inside {
        Ok(())
    } else {
        Err(invalid(owner, option, value, reason))
    }
}

/// Checks both decay rates of an Adam-style `betas` pair: each in `[0, 1)`.
pub(crate) fn check_betas(owner: &'static str, betas: (f64, f64)) -> Result<(), OptimError> {
    let unit = (0.0, 1.0, false);
    check_range(owner, "betas[0]", betas.0, unit, "must be in [0, 1)")?;
    check_range(owner, "betas[1]", betas.1, unit, "must be in [0, 1)")
}
