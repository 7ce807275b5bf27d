//! Adadelta.
//!
//! PyTorch's `_single_tensor_adadelta`, per element:
//!
//! ```text
//! g ← −g                                 if maximize
//! g ← g + wd·p                           if wd ≠ 0
//! v ← v·ρ + ((1 − ρ)·g)·g                square_avg.mul_(rho).addcmul_(grad, grad, 1 - rho)
//! δ ← (sqrt(u + ε) / sqrt(v + ε))·g      acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
//! u ← u·ρ + ((1 − ρ)·δ)·δ                acc_delta.mul_(rho).addcmul_(delta, delta, 1 - rho)
//! p ← p + (−lr)·δ                        param.add_(delta, alpha=-lr)
//! ```
//!
//! The scalars are computed in `f64` and rounded to the element type where they meet a
//! tensor.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, check_state_shape};
use crate::error::{check_non_negative, check_range};
use crate::kernel::{dispatch_bools, zip4};
use crate::{AdadeltaState, GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup};

/// Options of [`Adadelta`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdadeltaConfig {
    /// Learning rate: the factor applied to the update δ (default `1.0`).
    pub lr: f64,
    /// Decay rate ρ of both running averages (default 0.9).
    pub rho: f64,
    /// Added inside both square roots (default `1e-6`).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        AdadeltaConfig {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::Adadelta(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "Adadelta",
            found: options.kind(),
        });
    };
    check_non_negative("Adadelta", "lr", c.lr)?;
    check_range(
        "Adadelta",
        "rho",
        c.rho,
        (0.0, 1.0, true),
        "must be in [0, 1]",
    )?;
    check_non_negative("Adadelta", "eps", c.eps)?;
    check_non_negative("Adadelta", "weight_decay", c.weight_decay)
}

/// The scalars of one Adadelta step, each rounded to the element type.
#[derive(Clone, Copy)]
struct AdadeltaScalars<T> {
    rho: T,
    one_minus_rho: T,
    eps: T,
    weight_decay: T,
    neg_lr: T,
}

/// One Adadelta step of one parameter, with the options as constants.
#[inline(always)]
fn adadelta_tensor<T: Float, const MAXIMIZE: bool, const L2: bool>(
    s: &AdadeltaScalars<T>,
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    square_avg: &mut Tensor<T>,
    acc_delta: &mut Tensor<T>,
) {
    // The scalars as values, so the loop keeps them in registers.
    let s = *s;
    zip4(param, grad, square_avg, acc_delta, |p, g, v, u| {
        let mut g = if MAXIMIZE { -g } else { g };
        if L2 {
            g += s.weight_decay * *p;
        }
        *v = *v * s.rho + s.one_minus_rho * g * g;
        let std = (*v + s.eps).sqrt();
        let delta = (*u + s.eps).sqrt() / std * g;
        *u = *u * s.rho + s.one_minus_rho * delta * delta;
        *p += s.neg_lr * delta;
    });
}

/// Adadelta, like `torch.optim.Adadelta`: steps scaled by the ratio of the running RMS of
/// past updates to the running RMS of the gradients.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Adadelta, AdadeltaConfig, Optimizer};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let mut opt = Adadelta::new(vec![w.clone()], AdadeltaConfig::default()).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![2.0], &[1]).unwrap()));
/// opt.step();
/// // First step: v = 0.1·g², u = 0, so δ = sqrt(ε) / sqrt(0.1·g² + ε)·g.
/// let delta = 1e-6f64.sqrt() / (0.1 * 4.0 + 1e-6f64).sqrt() * 2.0;
/// assert!((w.value().to_vec()[0] - (1.0 - delta)).abs() < 1e-12);
/// ```
pub struct Adadelta<T: Float = f32> {
    core: Core<T, AdadeltaState<T>>,
}

impl<T: Float> Adadelta<T> {
    /// Adadelta over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, eps or weight decay or a rho outside
    /// `[0, 1]`; [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: AdadeltaConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "Adadelta" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// Adadelta over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](Adadelta::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, AdadeltaConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::Adadelta(c)))
            .collect();
        Ok(Adadelta {
            core: Core::new("Adadelta", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](Adadelta::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: AdadeltaConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::Adadelta(config))
    }
}

impl<T: Float> Optimizer<T> for Adadelta<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::Adadelta(c) = group.options else {
                panic!(
                    "Adadelta.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let s = AdadeltaScalars {
                rho: T::from_f64(c.rho),
                one_minus_rho: T::from_f64(1.0 - c.rho),
                eps: T::from_f64(c.eps),
                weight_decay: T::from_f64(c.weight_decay),
                neg_lr: T::from_f64(-c.lr),
            };
            let l2 = c.weight_decay != 0.0;
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("Adadelta", gi, pi, param, grad);
                    let state = self
                        .core
                        .state
                        .entry(p.id())
                        .or_insert_with(|| AdadeltaState {
                            step: 0,
                            square_avg: param.zeros_like(),
                            acc_delta: param.zeros_like(),
                        });
                    let place = (gi, pi);
                    check_state_shape("Adadelta", place, param, "square_avg", &state.square_avg);
                    check_state_shape("Adadelta", place, param, "acc_delta", &state.acc_delta);
                    state.step += 1;
                    let (v, u) = (&mut state.square_avg, &mut state.acc_delta);
                    dispatch_bools!(adadelta_tensor::<_>(&s, param, grad, v, u); c.maximize, l2);
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
