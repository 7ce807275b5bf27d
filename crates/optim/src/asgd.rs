//! ASGD: averaged stochastic gradient descent.
//!
//! PyTorch's `_single_tensor_asgd`, per element, at step `t` (counted per parameter), with the
//! per-parameter scalars η (step size) and μ (averaging coefficient) kept in the state:
//!
//! ```text
//! g ← −g                                 if maximize
//! g ← g + wd·p                           if wd ≠ 0
//! p ← p·(1 − λ·η)                        param.mul_(1 - lambd * eta)
//! p ← p + (−η)·g                         param.add_(grad, alpha=-eta)
//! ax ← ax + (p − ax)·μ                   if μ ≠ 1, else ax ← p
//! then, once per parameter:
//! η ← lr / (1 + λ·lr·t)^α
//! μ ← 1 / max(1, t − t0)
//! ```
//!
//! η starts at the group's `lr` and μ at 1, so the average `ax` just copies the parameter
//! until step `t0 + 1`. Like PyTorch, which keeps η and μ in its default dtype, η and μ are
//! kept in the element type: an `f32` run matches PyTorch's default (float32) and an `f64`
//! run matches PyTorch after `torch.set_default_dtype(torch.float64)`. The other scalars are
//! computed in `f64` and rounded to the element type where they meet a tensor.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, check_state_shape};
use crate::error::check_non_negative;
use crate::kernel::{dispatch_bools, zip3};
use crate::{AsgdState, GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup};

/// Options of [`Asgd`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AsgdConfig {
    /// Learning rate (default `1e-2`).
    pub lr: f64,
    /// Decay term λ (default `1e-4`).
    pub lambd: f64,
    /// Power α of the step-size schedule `η = lr / (1 + λ·lr·t)^α` (default 0.75).
    pub alpha: f64,
    /// The step after which averaging starts (default `1e6`).
    pub t0: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AsgdConfig {
    fn default() -> Self {
        AsgdConfig {
            lr: 1e-2,
            lambd: 1e-4,
            alpha: 0.75,
            t0: 1e6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::Asgd(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "ASGD",
            found: options.kind(),
        });
    };
    check_non_negative("ASGD", "lr", c.lr)?;
    check_non_negative("ASGD", "lambd", c.lambd)?;
    check_non_negative("ASGD", "alpha", c.alpha)?;
    check_non_negative("ASGD", "weight_decay", c.weight_decay)
}

/// The scalars of one ASGD step of one parameter, each in the element type.
#[derive(Clone, Copy)]
struct AsgdScalars<T> {
    weight_decay: T,
    /// `1 − λ·η`.
    decay: T,
    neg_eta: T,
    mu: T,
}

/// One ASGD step of one parameter; `AVERAGE` is `μ ≠ 1` (else `ax` copies the parameter).
#[inline(always)]
fn asgd_tensor<T: Float, const MAXIMIZE: bool, const L2: bool, const AVERAGE: bool>(
    s: &AsgdScalars<T>,
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    ax: &mut Tensor<T>,
) {
    // The scalars as values, so the loop keeps them in registers.
    let s = *s;
    zip3(param, grad, ax, |p, g, ax| {
        let mut g = if MAXIMIZE { -g } else { g };
        if L2 {
            g += s.weight_decay * *p;
        }
        *p *= s.decay;
        *p += s.neg_eta * g;
        if AVERAGE {
            *ax += (*p - *ax) * s.mu;
        } else {
            *ax = *p;
        }
    });
}

/// ASGD, like `torch.optim.ASGD`: SGD with a decaying step size that also keeps a running
/// average `ax` of the parameters (in its state) from step `t0` on.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Asgd, AsgdConfig, Optimizer, ParamState};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let config = AsgdConfig { lr: 0.1, ..Default::default() };
/// let mut opt = Asgd::new(vec![w.clone()], config).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![2.0], &[1]).unwrap()));
/// opt.step();
/// // The first step is SGD with step size lr, after shrinking p by 1 − λ·lr.
/// let want = 1.0 * (1.0 - 1e-4 * 0.1) - 0.1 * 2.0;
/// assert!((w.value().to_vec()[0] - want).abs() < 1e-12);
/// // Before t0 the average just follows the parameter.
/// let ParamState::Asgd(s) = &opt.state_dict().state[&0] else { unreachable!() };
/// assert_eq!(s.ax.to_vec(), w.value().to_vec());
/// ```
pub struct Asgd<T: Float = f32> {
    core: Core<T, AsgdState<T>>,
}

impl<T: Float> Asgd<T> {
    /// ASGD over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, lambd, alpha or weight decay;
    /// [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: AsgdConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "ASGD" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// ASGD over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](Asgd::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, AsgdConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::Asgd(c)))
            .collect();
        Ok(Asgd {
            core: Core::new("ASGD", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](Asgd::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: AsgdConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::Asgd(config))
    }
}

impl<T: Float> Optimizer<T> for Asgd<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::Asgd(c) = group.options else {
                panic!(
                    "ASGD.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let l2 = c.weight_decay != 0.0;
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("ASGD", gi, pi, param, grad);
                    let state = self.core.state.entry(p.id()).or_insert_with(|| AsgdState {
                        step: 0,
                        eta: T::from_f64(c.lr),
                        mu: T::one(),
                        ax: param.zeros_like(),
                    });
                    check_state_shape("ASGD", (gi, pi), param, "ax", &state.ax);
                    state.step += 1;
                    let eta = state.eta.as_f64();
                    let s = AsgdScalars {
                        weight_decay: T::from_f64(c.weight_decay),
                        decay: T::from_f64(1.0 - c.lambd * eta),
                        neg_eta: T::from_f64(-eta),
                        mu: state.mu,
                    };
                    let average = state.mu != T::one();
                    let ax = &mut state.ax;
                    dispatch_bools!(asgd_tensor::<_>(&s, param, grad, ax); c.maximize, l2, average);
                    let t = state.step as f64;
                    state.eta = T::from_f64(c.lr / (1.0 + c.lambd * c.lr * t).powf(c.alpha));
                    // Python's `max(1, t - t0)`: 1 unless `t − t0` is greater.
                    let after_t0 = t - c.t0;
                    state.mu = T::from_f64(1.0 / if after_t0 > 1.0 { after_t0 } else { 1.0 });
                });
            }
        }
    }

    fn param_groups(&self) -> &[ParamGroup<T>] {
        &self.core.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<T>] {
        &mut self.core.groups
    }

    fn state_dict(&self) -> OptimizerState<T> {
        self.core.state_dict()
    }

    fn load_state_dict(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        self.core.load_state_dict(state)
    }
}
