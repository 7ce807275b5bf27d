//! Adamax: Adam with the infinity norm in place of the second moment.
//!
//! PyTorch's `_single_tensor_adamax`, per element, at step `t` (counted per parameter):
//!
//! ```text
//! g ← −g                                 if maximize
//! g ← g + wd·p                           if wd ≠ 0
//! m ← lerp(m, g, 1 − β₁)                 exp_avg.lerp_(grad, 1 - beta1)
//! u ← max(u·β₂, |g| + ε)                 torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))
//! p ← p + ((−lr / (1 − β₁ᵗ))·m) / u      param.addcdiv_(exp_avg, exp_inf, value=-clr)
//! ```
//!
//! `max` is `torch.maximum`, which passes a NaN on. The scalars are computed in `f64` and
//! rounded to the element type where they meet a tensor.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, check_state_shape, maximum};
use crate::error::{check_betas, check_non_negative};
use crate::kernel::{dispatch_bools, lerp_fixed, zip4};
use crate::{AdamaxState, GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup};

/// Options of [`Adamax`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamaxConfig {
    /// Learning rate (default `2e-3`).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the first moment and of the infinity norm (default
    /// `(0.9, 0.999)`).
    pub betas: (f64, f64),
    /// Added to `|g|` in the infinity norm (default `1e-8`).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        AdamaxConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::Adamax(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "Adamax",
            found: options.kind(),
        });
    };
    check_non_negative("Adamax", "lr", c.lr)?;
    check_non_negative("Adamax", "eps", c.eps)?;
    check_betas("Adamax", c.betas)?;
    check_non_negative("Adamax", "weight_decay", c.weight_decay)
}

/// The scalars of one Adamax step of one parameter, each rounded to the element type.
#[derive(Clone, Copy)]
struct AdamaxScalars<T> {
    weight: T,
    one_minus_weight: T,
    beta2: T,
    weight_decay: T,
    eps: T,
    /// `−lr / (1 − β₁ᵗ)`.
    neg_clr: T,
}

/// One Adamax step of one parameter, with the options as constants.
#[inline(always)]
fn adamax_tensor<T: Float, const MAXIMIZE: bool, const L2: bool, const LOW: bool>(
    s: &AdamaxScalars<T>,
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    exp_avg: &mut Tensor<T>,
    exp_inf: &mut Tensor<T>,
) {
    // The scalars as values, so the loop keeps them in registers.
    let s = *s;
    zip4(param, grad, exp_avg, exp_inf, |p, g, m, u| {
        let mut g = if MAXIMIZE { -g } else { g };
        if L2 {
            g += s.weight_decay * *p;
        }
        *m = lerp_fixed::<T, LOW>(*m, g, s.weight, s.one_minus_weight);
        *u = maximum(*u * s.beta2, g.abs() + s.eps);
        *p += s.neg_clr * *m / *u;
    });
}

/// Adamax, like `torch.optim.Adamax`: Adam with the second moment replaced by an
/// exponentially weighted infinity norm of the gradients.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Adamax, AdamaxConfig, Optimizer};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let mut opt = Adamax::new(vec![w.clone()], AdamaxConfig { lr: 0.1, ..Default::default() }).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![-3.0], &[1]).unwrap()));
/// opt.step();
/// // First step: m/(1 − β₁) = g and u = |g| + ε, so p moves by lr against the gradient.
/// assert!((w.value().to_vec()[0] - 1.1).abs() < 1e-8);
/// ```
pub struct Adamax<T: Float = f32> {
    core: Core<T, AdamaxState<T>>,
}

impl<T: Float> Adamax<T> {
    /// Adamax over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, eps or weight decay or a beta outside
    /// `[0, 1)`; [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: AdamaxConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "Adamax" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// Adamax over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](Adamax::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, AdamaxConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::Adamax(c)))
            .collect();
        Ok(Adamax {
            core: Core::new("Adamax", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](Adamax::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: AdamaxConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::Adamax(config))
    }
}

impl<T: Float> Optimizer<T> for Adamax<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::Adamax(c) = group.options else {
                panic!(
                    "Adamax.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let (beta1, beta2) = c.betas;
            let weight = T::from_f64(1.0 - beta1);
            let mut s = AdamaxScalars {
                weight,
                one_minus_weight: T::one() - weight,
                beta2: T::from_f64(beta2),
                weight_decay: T::from_f64(c.weight_decay),
                eps: T::from_f64(c.eps),
                neg_clr: T::zero(),
            };
            let l2 = c.weight_decay != 0.0;
            let low = weight.abs() < T::from_f64(0.5);
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("Adamax", gi, pi, param, grad);
                    let state = self
                        .core
                        .state
                        .entry(p.id())
                        .or_insert_with(|| AdamaxState {
                            step: 0,
                            exp_avg: param.zeros_like(),
                            exp_inf: param.zeros_like(),
                        });
                    check_state_shape("Adamax", (gi, pi), param, "exp_avg", &state.exp_avg);
                    check_state_shape("Adamax", (gi, pi), param, "exp_inf", &state.exp_inf);
                    state.step += 1;
                    let clr = c.lr / (1.0 - beta1.powf(state.step as f64));
                    s.neg_clr = T::from_f64(-clr);
                    let (m, u) = (&mut state.exp_avg, &mut state.exp_inf);
                    dispatch_bools!(adamax_tensor::<_>(&s, param, grad, m, u); c.maximize, l2, low);
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
