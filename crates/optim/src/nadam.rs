//! NAdam: Adam with Nesterov momentum.
//!
//! PyTorch's `_single_tensor_nadam`, per element, at step `t` (counted per parameter), with the
//! momentum coefficients `μₜ = β₁·(1 − ½·0.96^(t·ψ))` (ψ the momentum decay) and their running
//! product `Π` (the state `mu_product`):
//!
//! ```text
//! g ← −g                                       if maximize
//! p ← p·(1 − lr·wd)                            if wd ≠ 0 and decoupled_weight_decay
//! g ← g + wd·p                                 if wd ≠ 0 and not decoupled
//! Π ← Π·μₜ                                     mu_product *= mu (once per parameter)
//! m ← lerp(m, g, 1 − β₁)                       exp_avg.lerp_(grad, 1 - beta1)
//! v ← v·β₂ + ((1 − β₂)·g)·g                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
//! denom ← sqrt(v / (1 − β₂ᵗ)) + ε
//! p ← p + ((−lr·(1 − μₜ) / (1 − Π))·g) / denom
//! p ← p + ((−lr·μₜ₊₁ / (1 − Π·μₜ₊₁))·m) / denom
//! ```
//!
//! The scalars are computed in `f64` (Python floats; `powf` for Python's `**`) and rounded to
//! the element type where they meet a tensor. `Π` is kept in the element type, as PyTorch
//! keeps it in its default dtype: an `f32` run matches PyTorch's default (float32) and an
//! `f64` run matches PyTorch after `torch.set_default_dtype(torch.float64)`.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, check_state_shape};
use crate::error::{check_betas, check_non_negative};
use crate::kernel::{dispatch_bools, lerp_fixed, zip4};
use crate::{GroupOptions, NAdamState, OptimError, Optimizer, OptimizerState, ParamGroup};

/// Options of [`NAdam`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NAdamConfig {
    /// Learning rate (default `2e-3`).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default `(0.9, 0.999)`).
    pub betas: (f64, f64),
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// Weight decay: an L2 penalty added to the gradient, or with `decoupled_weight_decay` a
    /// shrinking `p ← p·(1 − lr·wd)` of the parameter (default 0).
    pub weight_decay: f64,
    /// Momentum decay ψ of the schedule `μₜ = β₁·(1 − ½·0.96^(t·ψ))` (default `4e-3`).
    pub momentum_decay: f64,
    /// Apply the weight decay to the parameter, as AdamW does (NAdamW), instead of to the
    /// gradient (default false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for NAdamConfig {
    fn default() -> Self {
        NAdamConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::NAdam(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "NAdam",
            found: options.kind(),
        });
    };
    check_non_negative("NAdam", "lr", c.lr)?;
    check_non_negative("NAdam", "eps", c.eps)?;
    check_betas("NAdam", c.betas)?;
    check_non_negative("NAdam", "weight_decay", c.weight_decay)?;
    check_non_negative("NAdam", "momentum_decay", c.momentum_decay)
}

/// The scalars of one NAdam step of one parameter, each rounded to the element type.
#[derive(Clone, Copy)]
struct NAdamScalars<T> {
    weight: T,
    one_minus_weight: T,
    beta2: T,
    one_minus_beta2: T,
    weight_decay: T,
    decay: T,
    eps: T,
    bias_correction2: T,
    /// `−lr·(1 − μₜ) / (1 − Π)`.
    grad_coef: T,
    /// `−lr·μₜ₊₁ / (1 − Π·μₜ₊₁)`.
    avg_coef: T,
}

/// One NAdam step of one parameter, with the options as constants (`LOW` is
/// `|1 − β₁| < 0.5`, which of `lerp`'s formulas applies).
#[inline(always)]
fn nadam_tensor<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
>(
    s: &NAdamScalars<T>,
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
        let denom = (*v / s.bias_correction2).sqrt() + s.eps;
        *p += s.grad_coef * g / denom;
        *p += s.avg_coef * *m / denom;
    });
}

/// NAdam, like `torch.optim.NAdam`: Adam whose momentum looks one step ahead (Nesterov),
/// with a decaying momentum schedule.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{NAdam, NAdamConfig, Optimizer};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let config = NAdamConfig { lr: 0.1, ..Default::default() };
/// let mut opt = NAdam::new(vec![w.clone()], config).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![3.0], &[1]).unwrap()));
/// opt.step();
/// // On the first step m = 0.1·g and sqrt(v̂) = |g|, so the move is
/// // lr·(1 + 0.1·μ₂ / (1 − μ₁μ₂)), with μₜ = 0.9·(1 − 0.5·0.96^(0.004·t)).
/// let mu = |t: f64| 0.9 * (1.0 - 0.5 * 0.96f64.powf(0.004 * t));
/// let step = 0.1 * (1.0 + 0.1 * mu(2.0) / (1.0 - mu(1.0) * mu(2.0)));
/// assert!((w.value().to_vec()[0] - (1.0 - step)).abs() < 1e-8);
/// ```
pub struct NAdam<T: Float = f32> {
    core: Core<T, NAdamState<T>>,
}

impl<T: Float> NAdam<T> {
    /// NAdam over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, eps, weight decay or momentum decay
    /// or a beta outside `[0, 1)`; [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: NAdamConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "NAdam" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// NAdam over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](NAdam::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, NAdamConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::NAdam(c)))
            .collect();
        Ok(NAdam {
            core: Core::new("NAdam", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](NAdam::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: NAdamConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::NAdam(config))
    }
}

impl<T: Float> Optimizer<T> for NAdam<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::NAdam(c) = group.options else {
                panic!(
                    "NAdam.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let (beta1, beta2) = c.betas;
            let weight = T::from_f64(1.0 - beta1);
            let mut s = NAdamScalars {
                weight,
                one_minus_weight: T::one() - weight,
                beta2: T::from_f64(beta2),
                one_minus_beta2: T::from_f64(1.0 - beta2),
                weight_decay: T::from_f64(c.weight_decay),
                decay: T::from_f64(1.0 - c.lr * c.weight_decay),
                eps: T::from_f64(c.eps),
                bias_correction2: T::one(),
                grad_coef: T::zero(),
                avg_coef: T::zero(),
            };
            let decoupled = c.weight_decay != 0.0 && c.decoupled_weight_decay;
            let l2 = c.weight_decay != 0.0 && !c.decoupled_weight_decay;
            let low = weight.abs() < T::from_f64(0.5);
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("NAdam", gi, pi, param, grad);
                    let state = self.core.state.entry(p.id()).or_insert_with(|| NAdamState {
                        step: 0,
                        mu_product: T::one(),
                        exp_avg: param.zeros_like(),
                        exp_avg_sq: param.zeros_like(),
                    });
                    check_state_shape("NAdam", (gi, pi), param, "exp_avg", &state.exp_avg);
                    check_state_shape("NAdam", (gi, pi), param, "exp_avg_sq", &state.exp_avg_sq);
                    state.step += 1;
                    let t = state.step as f64;
                    let mu = beta1 * (1.0 - 0.5 * 0.96f64.powf(t * c.momentum_decay));
                    let mu_next = beta1 * (1.0 - 0.5 * 0.96f64.powf((t + 1.0) * c.momentum_decay));
                    state.mu_product *= T::from_f64(mu);
                    let mu_product = state.mu_product.as_f64();
                    let mu_product_next = mu_product * mu_next;
                    s.bias_correction2 = T::from_f64(1.0 - beta2.powf(t));
                    s.grad_coef = T::from_f64(-c.lr * (1.0 - mu) / (1.0 - mu_product));
                    s.avg_coef = T::from_f64(-c.lr * mu_next / (1.0 - mu_product_next));
                    let (m, v) = (&mut state.exp_avg, &mut state.exp_avg_sq);
                    dispatch_bools!(nadam_tensor::<_>(&s, param, grad, m, v);
                        c.maximize, l2, decoupled, low);
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
