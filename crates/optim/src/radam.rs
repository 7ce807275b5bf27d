//! RAdam: Adam with a rectified (variance-corrected) adaptive step.
//!
//! PyTorch's `_single_tensor_radam`, per element, at step `t` (counted per parameter), with
//! the length of the approximated simple moving average `ρ∞ = 2 / (1 − β₂) − 1` and
//! `ρₜ = ρ∞ − 2t·β₂ᵗ / (1 − β₂ᵗ)`:
//!
//! ```text
//! g ← −g                                   if maximize
//! p ← p·(1 − lr·wd)                        if wd ≠ 0 and decoupled_weight_decay
//! g ← g + wd·p                             if wd ≠ 0 and not decoupled
//! m ← lerp(m, g, 1 − β₁)                   exp_avg.lerp_(grad, 1 - beta1)
//! v ← v·β₂ + ((1 − β₂)·g)·g                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
//! x ← (m / (1 − β₁ᵗ))·lr
//! if ρₜ > 5:
//!     a ← (1 / (sqrt(v) + ε))·sqrt(1 − β₂ᵗ)     (1 - beta2**t)**0.5 / tensor = reciprocal·scalar
//!     r ← sqrt((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
//!     x ← (x·a)·r
//! p ← p − x
//! ```
//!
//! Until `ρₜ` exceeds 5 (the first five steps with the default β₂) the update is plain
//! momentum SGD with bias correction. The scalars are computed in `f64` (Python floats;
//! `powf` for Python's `**`, also for the square roots PyTorch writes as `** 0.5`) and rounded
//! to the element type where they meet a tensor.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, check_state_shape};
use crate::error::{check_betas, check_non_negative};
use crate::kernel::{dispatch_bools, lerp_fixed, zip4};
use crate::{GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup, RAdamState};

/// Options of [`RAdam`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RAdamConfig {
    /// Learning rate (default `1e-3`).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default `(0.9, 0.999)`).
    pub betas: (f64, f64),
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// Weight decay: an L2 penalty added to the gradient, or with `decoupled_weight_decay` a
    /// shrinking `p ← p·(1 − lr·wd)` of the parameter (default 0).
    pub weight_decay: f64,
    /// Apply the weight decay to the parameter, as AdamW does (RAdamW), instead of to the
    /// gradient (default false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for RAdamConfig {
    fn default() -> Self {
        RAdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::RAdam(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "RAdam",
            found: options.kind(),
        });
    };
    check_non_negative("RAdam", "lr", c.lr)?;
    check_non_negative("RAdam", "eps", c.eps)?;
    check_betas("RAdam", c.betas)?;
    check_non_negative("RAdam", "weight_decay", c.weight_decay)
}

/// The scalars of one RAdam step of one parameter, each rounded to the element type.
#[derive(Clone, Copy)]
struct RAdamScalars<T> {
    weight: T,
    one_minus_weight: T,
    beta2: T,
    one_minus_beta2: T,
    weight_decay: T,
    decay: T,
    eps: T,
    lr: T,
    bias_correction1: T,
    /// `sqrt(1 − β₂ᵗ)`.
    bias_correction2_sqrt: T,
    /// The rectification `r`.
    rect: T,
}

/// One RAdam step of one parameter, with the options and the branch on `ρₜ > 5` (`RECT`) as
/// constants.
#[inline(always)]
fn radam_tensor<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
    const RECT: bool,
>(
    s: &RAdamScalars<T>,
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    exp_avg: &mut Tensor<T>,
    exp_avg_sq: &mut Tensor<T>,
) {
    // The scalars as values, so the loop keeps them in registers.
    let s = *s;
    zip4(param, grad, exp_avg, exp_avg_sq, |p, g, m, v| {
        let mut g = if MAXIMIZE { -g } else { g };
        if DECOUPLED {
            *p *= s.decay;
        }
        if L2 {
            g += s.weight_decay * *p;
        }
        *m = lerp_fixed::<T, LOW>(*m, g, s.weight, s.one_minus_weight);
        *v = *v * s.beta2 + s.one_minus_beta2 * g * g;
        let mut x = *m / s.bias_correction1 * s.lr;
        if RECT {
            let adaptive = T::one() / (v.sqrt() + s.eps) * s.bias_correction2_sqrt;
            x = x * adaptive * s.rect;
        }
        *p -= x;
    });
}

/// RAdam, like `torch.optim.RAdam`: Adam whose adaptive step is switched on, and scaled by a
/// rectification term, only once the variance of the adaptive rate is tractable.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Optimizer, RAdam, RAdamConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let mut opt = RAdam::new(vec![w.clone()], RAdamConfig { lr: 0.1, ..Default::default() }).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![3.0], &[1]).unwrap()));
/// opt.step();
/// // The first steps are bias-corrected momentum SGD: m/(1 − β₁) = g, so p ← p − lr·g.
/// assert!((w.value().to_vec()[0] - (1.0 - 0.1 * 3.0)).abs() < 1e-12);
/// ```
pub struct RAdam<T: Float = f32> {
    core: Core<T, RAdamState<T>>,
}

impl<T: Float> RAdam<T> {
    /// RAdam over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, eps or weight decay or a beta outside
    /// `[0, 1)`; [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: RAdamConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "RAdam" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// RAdam over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](RAdam::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, RAdamConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::RAdam(c)))
            .collect();
        Ok(RAdam {
            core: Core::new("RAdam", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](RAdam::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: RAdamConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::RAdam(config))
    }
}

impl<T: Float> Optimizer<T> for RAdam<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::RAdam(c) = group.options else {
                panic!(
                    "RAdam.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let (beta1, beta2) = c.betas;
            let weight = T::from_f64(1.0 - beta1);
            let mut s = RAdamScalars {
                weight,
                one_minus_weight: T::one() - weight,
                beta2: T::from_f64(beta2),
                one_minus_beta2: T::from_f64(1.0 - beta2),
                weight_decay: T::from_f64(c.weight_decay),
                decay: T::from_f64(1.0 - c.lr * c.weight_decay),
                eps: T::from_f64(c.eps),
                lr: T::from_f64(c.lr),
                bias_correction1: T::one(),
                bias_correction2_sqrt: T::one(),
                rect: T::one(),
            };
            let decoupled = c.weight_decay != 0.0 && c.decoupled_weight_decay;
            let l2 = c.weight_decay != 0.0 && !c.decoupled_weight_decay;
            let low = weight.abs() < T::from_f64(0.5);
            let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("RAdam", gi, pi, param, grad);
                    let state = self.core.state.entry(p.id()).or_insert_with(|| RAdamState {
                        step: 0,
                        exp_avg: param.zeros_like(),
                        exp_avg_sq: param.zeros_like(),
                    });
                    check_state_shape("RAdam", (gi, pi), param, "exp_avg", &state.exp_avg);
                    check_state_shape("RAdam", (gi, pi), param, "exp_avg_sq", &state.exp_avg_sq);
                    state.step += 1;
                    let t = state.step as f64;
                    let bias_correction1 = 1.0 - beta1.powf(t);
                    let bias_correction2 = 1.0 - beta2.powf(t);
                    let rho_t = rho_inf - 2.0 * t * beta2.powf(t) / bias_correction2;
                    let rect = rho_t > 5.0;
                    s.bias_correction1 = T::from_f64(bias_correction1);
                    if rect {
                        s.bias_correction2_sqrt = T::from_f64(bias_correction2.powf(0.5));
                        let r = (rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t);
                        s.rect = T::from_f64(r.powf(0.5));
                    }
                    let (m, v) = (&mut state.exp_avg, &mut state.exp_avg_sq);
                    dispatch_bools!(radam_tensor::<_>(&s, param, grad, m, v);
                        c.maximize, l2, decoupled, low, rect);
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
