//! A scheduler option given once for all parameter groups or once per group.

use serde::{Deserialize, Serialize};

use crate::OptimError;

/// One value for every parameter group, or one value per group: PyTorch's options that take
/// "a float or a list" (`base_lr`, `max_lr`, `base_momentum`, ...).
///
/// Built with `.into()` from an `f64` (all groups) or from a `Vec<f64>`, slice or array (one
/// per group).
///
/// # Examples
///
/// ```
/// use backprop_optim::PerGroup;
///
/// assert_eq!(PerGroup::from(0.1), PerGroup::All(0.1));
/// assert_eq!(PerGroup::from([0.1, 0.2]), PerGroup::Each(vec![0.1, 0.2]));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PerGroup {
    /// The same value for every group.
    All(f64),
    /// One value per group, in the order of the groups.
    Each(Vec<f64>),
}

impl PerGroup {
    /// The value of each of `groups` groups, PyTorch's `_format_param`.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] when a list does not have one value per group.
    pub(crate) fn resolve(
        &self,
        owner: &'static str,
        option: &'static str,
        groups: usize,
    ) -> Result<Vec<f64>, OptimError> {
        match self {
            PerGroup::All(v) => Ok(vec![*v; groups]),
            PerGroup::Each(v) if v.len() == groups => Ok(v.clone()),
            PerGroup::Each(v) => Err(OptimError::InvalidOption {
                owner,
                option,
                value: format!("{} values for {groups} parameter groups", v.len()),
                reason: "must have the same length as optimizer.param_groups",
            }),
        }
    }
}

impl From<f64> for PerGroup {
    fn from(v: f64) -> Self {
        PerGroup::All(v)
    }
}

impl From<Vec<f64>> for PerGroup {
    fn from(v: Vec<f64>) -> Self {
        PerGroup::Each(v)
    }
}

impl From<&[f64]> for PerGroup {
    fn from(v: &[f64]) -> Self {
        PerGroup::Each(v.to_vec())
    }
}

impl<const N: usize> From<[f64; N]> for PerGroup {
    fn from(v: [f64; N]) -> Self {
        PerGroup::Each(v.to_vec())
    }
}
