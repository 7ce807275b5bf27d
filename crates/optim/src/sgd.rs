//! Stochastic gradient descent with momentum, Nesterov momentum and weight decay.
//!
//! PyTorch's `_single_tensor_sgd`, per element, with `g` the gradient:
//!
//! ```text
//! g ← −g                         if maximize
//! g ← g + wd·p                   if wd ≠ 0
//! b ← g (first step)  or  b ← b·μ + (1 − τ)·g     if μ ≠ 0
//! g ← g + μ·b  (nesterov)  or  g ← b               if μ ≠ 0
//! p ← p + (−lr)·g
//! ```
//!
//! The momentum buffer starts as a copy of the first gradient, so dampening `τ` only applies
//! from the second step on. Scalars (`1 − τ`, `−lr`) are computed in `f64` and rounded to the
//! element type where they meet the tensors, as PyTorch does with its Python floats.

use backprop_autograd::Var;
use backprop_tensor::Float;
use backprop_tensor::ndarray::Zip;
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape};
use crate::error::check_non_negative;
use crate::kernel::dispatch_bools;
use crate::{GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup, SgdState};

/// Options of [`Sgd`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Learning rate (default `1e-3`).
    pub lr: f64,
    /// Momentum factor μ (default 0).
    pub momentum: f64,
    /// Dampening τ of the momentum (default 0).
    pub dampening: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Nesterov momentum (default false); needs `momentum > 0` and `dampening == 0`.
    pub nesterov: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::Sgd(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "SGD",
            found: options.kind(),
        });
    };
    check_non_negative("SGD", "lr", c.lr)?;
    check_non_negative("SGD", "momentum", c.momentum)?;
    check_non_negative("SGD", "weight_decay", c.weight_decay)?;
    if c.nesterov && (c.momentum <= 0.0 || c.dampening != 0.0) {
        return Err(OptimError::InvalidOption {
            owner: "SGD",
            option: "nesterov",
            value: format!("true (momentum {}, dampening {})", c.momentum, c.dampening),
            reason: "Nesterov momentum requires a momentum and zero dampening",
        });
    }
    Ok(())
}

/// `g` after maximize and weight decay (the `direction` closure of [`Sgd::step`]).
#[inline(always)]
fn direction<T: Float, const MAXIMIZE: bool, const L2: bool>(weight_decay: T, g: T, p: T) -> T {
    let g = if MAXIMIZE { -g } else { g };
    if L2 { g + weight_decay * p } else { g }
}

/// One step without momentum over contiguous buffers of equal length.
#[inline(always)]
fn sgd_slices<T: Float, const MAXIMIZE: bool, const L2: bool>(
    neg_lr: T,
    weight_decay: T,
    p: &mut [T],
    g: &[T],
) {
    let g = &g[..p.len()];
    for (p, &g) in p.iter_mut().zip(g) {
        *p = *p + neg_lr * direction::<T, MAXIMIZE, L2>(weight_decay, g, *p);
    }
}

/// The per-tensor scalars of a momentum step, each rounded to the element type.
struct MomentumScalars<T> {
    neg_lr: T,
    weight_decay: T,
    momentum: T,
    one_minus_dampening: T,
}

/// One step with momentum over contiguous buffers of equal length; `FIRST` copies the
/// gradient into the buffer instead of averaging.
#[inline(always)]
fn momentum_slices<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const FIRST: bool,
    const NESTEROV: bool,
>(
    s: &MomentumScalars<T>,
    p: &mut [T],
    g: &[T],
    b: &mut [T],
) {
    let n = p.len();
    let (g, b) = (&g[..n], &mut b[..n]);
    for i in 0..n {
        let g = direction::<T, MAXIMIZE, L2>(s.weight_decay, g[i], p[i]);
        b[i] = if FIRST {
            g
        } else {
            b[i] * s.momentum + s.one_minus_dampening * g
        };
        let d = if NESTEROV {
            g + s.momentum * b[i]
        } else {
            b[i]
        };
        p[i] += s.neg_lr * d;
    }
}

/// Stochastic gradient descent, like `torch.optim.SGD`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let mut opt = Sgd::new(vec![w.clone()], SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![2.0], &[1]).unwrap()));
/// opt.step();
/// assert_eq!(w.value().to_vec(), vec![1.0 - 0.1 * 2.0]);
/// ```
pub struct Sgd<T: Float = f32> {
    core: Core<T, SgdState<T>>,
}

impl<T: Float> Sgd<T> {
    /// SGD over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, momentum or weight decay, or Nesterov
    /// without momentum or with dampening; [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: SgdConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "SGD" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// SGD over several groups, each with its own options (PyTorch's list of dicts; use
    /// struct update syntax, `SgdConfig { lr: 1e-3, ..base }`, for per-group overrides).
    ///
    /// # Errors
    ///
    /// As [`new`](Sgd::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, SgdConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::Sgd(c)))
            .collect();
        Ok(Sgd {
            core: Core::new("SGD", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](Sgd::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: SgdConfig,
    ) -> Result<(), OptimError> {
        self.core.add_param_group(params, GroupOptions::Sgd(config))
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::Sgd(c) = group.options else {
                panic!(
                    "SGD.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let neg_lr = T::from_f64(-c.lr);
            let weight_decay = T::from_f64(c.weight_decay);
            let momentum = T::from_f64(c.momentum);
            let one_minus_dampening = T::from_f64(1.0 - c.dampening);
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("SGD", gi, pi, param, grad);
                    // The effective gradient before momentum: maximize, then weight decay.
                    let direction = |g: T, p: T| {
                        let g = if c.maximize { -g } else { g };
                        if c.weight_decay != 0.0 {
                            g + weight_decay * p
                        } else {
                            g
                        }
                    };
                    let l2 = c.weight_decay != 0.0;
                    if c.momentum == 0.0 {
                        if let (Some(p), Some(g)) = (param.as_slice_mut(), grad.as_slice()) {
                            let (neg_lr, wd) = (neg_lr, weight_decay);
                            return dispatch_bools!(sgd_slices::<_>(neg_lr, wd, p, g); c.maximize, l2);
                        }
                        Zip::from(param.array_mut())
                            .and(grad.array())
                            .for_each(|p, &g| *p = *p + neg_lr * direction(g, *p));
                        return;
                    }
                    // Like PyTorch, state exists only with momentum.
                    let state = self.core.state.entry(p.id()).or_insert(SgdState {
                        momentum_buffer: None,
                    });
                    let first = state.momentum_buffer.is_none();
                    let buf = state
                        .momentum_buffer
                        .get_or_insert_with(|| grad.zeros_like());
                    if let (Some(p), Some(g), Some(b)) =
                        (param.as_slice_mut(), grad.as_slice(), buf.as_slice_mut())
                    {
                        let s = MomentumScalars {
                            neg_lr,
                            weight_decay,
                            momentum,
                            one_minus_dampening,
                        };
                        return dispatch_bools!(momentum_slices::<_>(&s, p, g, b);
                            c.maximize, l2, first, c.nesterov);
                    }
                    Zip::from(param.array_mut())
                        .and(grad.array())
                        .and(buf.array_mut())
                        .for_each(|p, &g, b| {
                            let g = direction(g, *p);
                            *b = if first {
                                g
                            } else {
                                *b * momentum + one_minus_dampening * g
                            };
                            let d = if c.nesterov { g + momentum * *b } else { *b };
                            *p += neg_lr * d;
                        });
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
