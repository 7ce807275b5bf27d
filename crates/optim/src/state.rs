//! The serializable state of an optimizer ([`OptimizerState`]) and its per-parameter parts.

use std::collections::BTreeMap;

use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::GroupOptions;

/// A snapshot of an optimizer, laid out like PyTorch's `optimizer.state_dict()`:
/// `param_groups` hold each group's options and the indices of its parameters (numbered
/// across groups in order), and `state` maps a parameter index to that parameter's buffers.
///
/// It derives serde's traits, so it can be written with any serde format (JSON, bincode) and
/// loaded back with [`Optimizer::load_state_dict`](crate::Optimizer::load_state_dict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct OptimizerState<T: Float> {
    /// The optimizer that saved the state, as PyTorch names it (`"SGD"`, `"Adam"`, `"AdamW"`,
    /// `"RMSprop"`, `"Adagrad"`, `"NAdam"`, `"RAdam"`, `"Adamax"`, `"Adadelta"`, `"Rprop"`, `"ASGD"`,
    /// `"LBFGS"`).
    pub optimizer: String,
    /// The groups, in order.
    pub param_groups: Vec<GroupState>,
    /// Per-parameter state by parameter index; parameters that never had a gradient have none.
    pub state: BTreeMap<usize, ParamState<T>>,
}

/// One saved parameter group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    /// The group's options.
    pub options: GroupOptions,
    /// The group's [`initial_lr`](crate::ParamGroup::initial_lr), restored on load (absent
    /// in states saved before it existed).
    #[serde(default)]
    pub initial_lr: Option<f64>,
    /// The indices of the group's parameters (keys of [`OptimizerState::state`]).
    pub params: Vec<usize>,
    /// The shape of each parameter, checked on load.
    pub param_shapes: Vec<Vec<usize>>,
}

/// The state one optimizer keeps for one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ParamState<T: Float> {
    /// State of [`Sgd`](crate::Sgd).
    Sgd(SgdState<T>),
    /// State of [`Adam`](crate::Adam) and [`AdamW`](crate::AdamW).
    Adam(AdamState<T>),
    /// State of [`RmsProp`](crate::RmsProp).
    RmsProp(RmsPropState<T>),
    /// State of [`Adagrad`](crate::Adagrad).
    Adagrad(AdagradState<T>),
    /// State of [`NAdam`](crate::NAdam).
    NAdam(NAdamState<T>),
    /// State of [`RAdam`](crate::RAdam).
    RAdam(RAdamState<T>),
    /// State of [`Adamax`](crate::Adamax).
    Adamax(AdamaxState<T>),
    /// State of [`Adadelta`](crate::Adadelta).
    Adadelta(AdadeltaState<T>),
    /// State of [`Rprop`](crate::Rprop).
    Rprop(RpropState<T>),
    /// State of [`Asgd`](crate::Asgd).
    Asgd(AsgdState<T>),
    /// State of [`Lbfgs`](crate::Lbfgs), kept (as PyTorch keeps it) under the first parameter.
    Lbfgs(LbfgsState<T>),
}

impl<T: Float> ParamState<T> {
    /// Which optimizer's state this is.
    pub fn kind(&self) -> &'static str {
        match self {
            ParamState::Sgd(_) => "SGD",
            ParamState::Adam(_) => "Adam",
            ParamState::RmsProp(_) => "RMSprop",
            ParamState::Adagrad(_) => "Adagrad",
            ParamState::NAdam(_) => "NAdam",
            ParamState::RAdam(_) => "RAdam",
            ParamState::Adamax(_) => "Adamax",
            ParamState::Adadelta(_) => "Adadelta",
            ParamState::Rprop(_) => "Rprop",
            ParamState::Asgd(_) => "ASGD",
            ParamState::Lbfgs(_) => "LBFGS",
        }
    }

    /// Every tensor buffer with its PyTorch name; each has the shape of its parameter.
    /// L-BFGS has none: its vectors span all parameters (see [`LbfgsState`]).
    pub fn buffers(&self) -> Vec<(&'static str, &Tensor<T>)> {
        let mut out = Vec::new();
        match self {
            ParamState::Sgd(s) => {
                if let Some(b) = &s.momentum_buffer {
                    out.push(("momentum_buffer", b));
                }
            }
            ParamState::Adam(s) => {
                out.push(("exp_avg", &s.exp_avg));
                out.push(("exp_avg_sq", &s.exp_avg_sq));
                if let Some(b) = &s.max_exp_avg_sq {
                    out.push(("max_exp_avg_sq", b));
                }
            }
            ParamState::RmsProp(s) => {
                out.push(("square_avg", &s.square_avg));
                if let Some(b) = &s.momentum_buffer {
                    out.push(("momentum_buffer", b));
                }
                if let Some(b) = &s.grad_avg {
                    out.push(("grad_avg", b));
                }
            }
            ParamState::Adagrad(s) => out.push(("sum", &s.sum)),
            ParamState::NAdam(s) => {
                out.push(("exp_avg", &s.exp_avg));
                out.push(("exp_avg_sq", &s.exp_avg_sq));
            }
            ParamState::RAdam(s) => {
                out.push(("exp_avg", &s.exp_avg));
                out.push(("exp_avg_sq", &s.exp_avg_sq));
            }
            ParamState::Adamax(s) => {
                out.push(("exp_avg", &s.exp_avg));
                out.push(("exp_inf", &s.exp_inf));
            }
            ParamState::Adadelta(s) => {
                out.push(("square_avg", &s.square_avg));
                out.push(("acc_delta", &s.acc_delta));
            }
            ParamState::Rprop(s) => {
                out.push(("prev", &s.prev));
                out.push(("step_size", &s.step_size));
            }
            ParamState::Asgd(s) => out.push(("ax", &s.ax)),
            ParamState::Lbfgs(_) => {}
        }
        out
    }
}

/// Per-parameter state of SGD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SgdState<T: Float> {
    /// The momentum buffer `b` (`None` without momentum, or before the first step).
    pub momentum_buffer: Option<Tensor<T>>,
}

/// Per-parameter state of Adam and AdamW.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdamState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// First moment `m`.
    pub exp_avg: Tensor<T>,
    /// Second moment `v`.
    pub exp_avg_sq: Tensor<T>,
    /// Running maximum of `v` (AMSGrad only).
    pub max_exp_avg_sq: Option<Tensor<T>>,
}

/// Per-parameter state of RMSprop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RmsPropState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// Running average of the squared gradient `v`.
    pub square_avg: Tensor<T>,
    /// Momentum buffer `b` (only with `momentum > 0`).
    pub momentum_buffer: Option<Tensor<T>>,
    /// Running average of the gradient `g_ave` (only when `centered`).
    pub grad_avg: Option<Tensor<T>>,
}

/// Per-parameter state of Adagrad.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdagradState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// Sum of squared gradients (starts at `initial_accumulator_value`).
    pub sum: Tensor<T>,
}

/// Per-parameter state of NAdam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NAdamState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// The product `μ₁·μ₂·…·μₜ` of the momentum coefficients so far (starts at 1). Kept in the
    /// element type, as PyTorch keeps it in its default dtype (float32 unless
    /// `torch.set_default_dtype(torch.float64)`).
    pub mu_product: T,
    /// First moment `m`.
    pub exp_avg: Tensor<T>,
    /// Second moment `v`.
    pub exp_avg_sq: Tensor<T>,
}

/// Per-parameter state of RAdam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RAdamState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// First moment `m`.
    pub exp_avg: Tensor<T>,
    /// Second moment `v`.
    pub exp_avg_sq: Tensor<T>,
}

/// Per-parameter state of Adamax.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdamaxState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// First moment `m`.
    pub exp_avg: Tensor<T>,
    /// Exponentially weighted infinity norm `u`.
    pub exp_inf: Tensor<T>,
}

/// Per-parameter state of Adadelta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdadeltaState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// Running average of the squared gradient `v`.
    pub square_avg: Tensor<T>,
    /// Running average of the squared update `u`.
    pub acc_delta: Tensor<T>,
}

/// Per-parameter state of Rprop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RpropState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// The gradient of the previous step, zeroed where its sign flipped.
    pub prev: Tensor<T>,
    /// Each element's step size (starts at the group's `lr` when the state is made).
    pub step_size: Tensor<T>,
}

/// Per-parameter state of ASGD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AsgdState<T: Float> {
    /// Steps taken with a gradient.
    pub step: u64,
    /// The step size η of the next step (starts at the group's `lr`). Kept in the element
    /// type, as PyTorch keeps it in its default dtype.
    pub eta: T,
    /// The averaging coefficient μ of the next step (starts at 1), in the element type.
    pub mu: T,
    /// The averaged parameter `ax`.
    pub ax: Tensor<T>,
}

/// The state of L-BFGS, PyTorch's `optimizer.state[params[0]]`: one set for all parameters,
/// whose vectors are the parameters (and their gradients) flattened and concatenated in order.
///
/// Scalars that PyTorch keeps as Python floats are `f64`; those it keeps as tensors of the
/// parameters' dtype are `T`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct LbfgsState<T: Float> {
    /// Closure evaluations over all steps.
    pub func_evals: u64,
    /// Iterations over all steps.
    pub n_iter: u64,
    /// The last search direction `d` (`None` before the first iteration).
    pub d: Option<Vec<T>>,
    /// The last step size `t` along `d` (`None` before the first iteration).
    pub t: Option<f64>,
    /// The gradient differences `y` in the history, oldest first.
    pub old_dirs: Vec<Vec<T>>,
    /// The steps `s` in the history, oldest first.
    pub old_stps: Vec<Vec<T>>,
    /// `1 / (y·s)` of each history entry.
    pub ro: Vec<T>,
    /// The scale `y·s / y·y` of the initial inverse Hessian (`None` before the first
    /// iteration; 1 until the history gets its first entry).
    pub h_diag: Option<T>,
    /// The flat gradient at the start of the last iteration.
    pub prev_flat_grad: Option<Vec<T>>,
    /// The loss at the start of the last iteration.
    pub prev_loss: Option<f64>,
    /// The two-loop recursion's coefficients `α`, `history_size` of them, made on the first
    /// iteration that uses the history (PyTorch's `[None] * history_size`; entries not yet
    /// written are 0). Scratch space, kept because PyTorch keeps it.
    pub al: Option<Vec<T>>,
}

impl<T: Float> Default for LbfgsState<T> {
    fn default() -> Self {
        LbfgsState {
            func_evals: 0,
            n_iter: 0,
            d: None,
            t: None,
            old_dirs: Vec::new(),
            old_stps: Vec::new(),
            ro: Vec::new(),
            h_diag: None,
            prev_flat_grad: None,
            prev_loss: None,
            al: None,
        }
    }
}

/// Conversion between an optimizer's own state type and [`ParamState`].
pub(crate) trait StateKind<T: Float>: Sized + Clone {
    /// Wraps the state for saving.
    fn into_param_state(self) -> ParamState<T>;
    /// Unwraps saved state; the error is the kind found when it belongs to another optimizer.
    fn from_param_state(state: ParamState<T>) -> Result<Self, &'static str>;
    /// The kind expected by [`from_param_state`](StateKind::from_param_state).
    const KIND: &'static str;
}

macro_rules! state_kind {
    ($ty:ident, $variant:ident, $name:expr) => {
        impl<T: Float> StateKind<T> for $ty<T> {
            const KIND: &'static str = $name;
            fn into_param_state(self) -> ParamState<T> {
                ParamState::$variant(self)
            }
            fn from_param_state(state: ParamState<T>) -> Result<Self, &'static str> {
                match state {
                    ParamState::$variant(s) => Ok(s),
                    other => Err(other.kind()),
                }
            }
        }
    };
}

state_kind!(SgdState, Sgd, "SGD");
state_kind!(RmsPropState, RmsProp, "RMSprop");
state_kind!(AdagradState, Adagrad, "Adagrad");
state_kind!(NAdamState, NAdam, "NAdam");
state_kind!(RAdamState, RAdam, "RAdam");
state_kind!(AdamaxState, Adamax, "Adamax");
state_kind!(AdadeltaState, Adadelta, "Adadelta");
state_kind!(RpropState, Rprop, "Rprop");
state_kind!(AsgdState, Asgd, "ASGD");
state_kind!(LbfgsState, Lbfgs, "LBFGS");
