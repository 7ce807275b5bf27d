//! RMSprop, plain or centered, with optional momentum.
//!
//! PyTorch's `_single_tensor_rmsprop`, per element:
//!
//! ```text
//! g ← −g                               if maximize
//! g ← g + wd·p                         if wd ≠ 0
//! v ← v·α + ((1 − α)·g)·g              square_avg.mul_(alpha).addcmul_(grad, grad, 1 - alpha)
//! if centered:
//!     ḡ ← lerp(ḡ, g, 1 − α)            grad_avg.lerp_(grad, 1 - alpha)
//!     avg ← sqrt(v + (−1·ḡ)·ḡ) + ε
//! else:
//!     avg ← sqrt(v) + ε
//! if μ > 0:  b ← b·μ + g/avg;  p ← p + (−lr)·b
//! else:      p ← p + ((−lr)·g)/avg
//! ```

use backprop_autograd::Var;
use backprop_tensor::Float;
use backprop_tensor::ndarray::Zip;
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, lerp};
use crate::error::check_non_negative;
use crate::kernel::{dispatch_bools, lerp_fixed};
use crate::{GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup, RmsPropState};

/// Options of [`RmsProp`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RmsPropConfig {
    /// Learning rate (default `1e-2`).
    pub lr: f64,
    /// Smoothing constant α of the squared-gradient average (default 0.99).
    pub alpha: f64,
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Momentum factor μ (default 0).
    pub momentum: f64,
    /// Normalize by an estimate of the gradient's variance instead of its second moment
    /// (default false).
    pub centered: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::RmsProp(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "RMSprop",
            found: options.kind(),
        });
    };
    check_non_negative("RMSprop", "lr", c.lr)?;
    check_non_negative("RMSprop", "eps", c.eps)?;
    check_non_negative("RMSprop", "momentum", c.momentum)?;
    check_non_negative("RMSprop", "weight_decay", c.weight_decay)?;
    check_non_negative("RMSprop", "alpha", c.alpha)
}

/// The per-tensor scalars of one RMSprop step, each rounded to the element type.
struct RmsScalars<T> {
    alpha: T,
    one_minus_alpha: T,
    one_minus_one_minus_alpha: T,
    eps: T,
    weight_decay: T,
    momentum: T,
    neg_lr: T,
    minus_one: T,
}

/// One RMSprop step over contiguous buffers of equal length, with the operations of the
/// `update` closure in [`RmsProp::step`]. `ga` is used only when `CENTERED` and `b` only with
/// `MOMENTUM`; otherwise they may be empty.
#[inline(always)]
fn rmsprop_slices<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const CENTERED: bool,
    const MOMENTUM: bool,
    const LOW: bool,
>(
    s: &RmsScalars<T>,
    p: &mut [T],
    g: &[T],
    v: &mut [T],
    ga: &mut [T],
    b: &mut [T],
) {
    let n = p.len();
    let (g, v) = (&g[..n], &mut v[..n]);
    let ga = if CENTERED { &mut ga[..n] } else { ga };
    let b = if MOMENTUM { &mut b[..n] } else { b };
    for i in 0..n {
        let mut g = if MAXIMIZE { -g[i] } else { g[i] };
        if L2 {
            g += s.weight_decay * p[i];
        }
        v[i] = v[i] * s.alpha + s.one_minus_alpha * g * g;
        let avg = if CENTERED {
            ga[i] = lerp_fixed::<T, LOW>(ga[i], g, s.one_minus_alpha, s.one_minus_one_minus_alpha);
            (v[i] + s.minus_one * ga[i] * ga[i]).sqrt() + s.eps
        } else {
            v[i].sqrt() + s.eps
        };
        if MOMENTUM {
            b[i] = b[i] * s.momentum + T::one() * g / avg;
            p[i] += s.neg_lr * b[i];
        } else {
            p[i] += s.neg_lr * g / avg;
        }
    }
}

/// RMSprop, like `torch.optim.RMSprop`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Optimizer, RmsProp, RmsPropConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let mut opt = RmsProp::new(vec![w.clone()], RmsPropConfig::default()).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![2.0], &[1]).unwrap()));
/// opt.step();
/// // v = 0.01·g², so the step is lr·g/sqrt(v) = lr/sqrt(0.01) = 0.1.
/// assert!((w.value().to_vec()[0] - 0.9).abs() < 1e-6);
/// ```
pub struct RmsProp<T: Float = f32> {
    core: Core<T, RmsPropState<T>>,
}

impl<T: Float> RmsProp<T> {
    /// RMSprop over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, alpha, eps, momentum or weight decay;
    /// [`OptimError::EmptyParameters`] for no parameters; [`OptimError::DuplicateParameter`]
    /// when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: RmsPropConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "RMSprop" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// RMSprop over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](RmsProp::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, RmsPropConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::RmsProp(c)))
            .collect();
        Ok(RmsProp {
            core: Core::new("RMSprop", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](RmsProp::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: RmsPropConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::RmsProp(config))
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::RmsProp(c) = group.options else {
                panic!(
                    "RMSprop.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let alpha = T::from_f64(c.alpha);
            let one_minus_alpha = T::from_f64(1.0 - c.alpha);
            let eps = T::from_f64(c.eps);
            let weight_decay = T::from_f64(c.weight_decay);
            let momentum = T::from_f64(c.momentum);
            let neg_lr = T::from_f64(-c.lr);
            let minus_one = -T::one();
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("RMSprop", gi, pi, param, grad);
                    let state = self
                        .core
                        .state
                        .entry(p.id())
                        .or_insert_with(|| RmsPropState {
                            step: 0,
                            square_avg: param.zeros_like(),
                            momentum_buffer: None,
                            grad_avg: None,
                        });
                    if c.momentum > 0.0 && state.momentum_buffer.is_none() {
                        state.momentum_buffer = Some(param.zeros_like());
                    }
                    if c.centered && state.grad_avg.is_none() {
                        state.grad_avg = Some(param.zeros_like());
                    }
                    state.step += 1;
                    if let Some(v) = state.square_avg.as_slice_mut() {
                        let scalars = RmsScalars {
                            alpha,
                            one_minus_alpha,
                            one_minus_one_minus_alpha: T::one() - one_minus_alpha,
                            eps,
                            weight_decay,
                            momentum,
                            neg_lr,
                            minus_one,
                        };
                        let (l2, low) = (
                            c.weight_decay != 0.0,
                            one_minus_alpha.abs() < T::from_f64(0.5),
                        );
                        let ga = state.grad_avg.as_mut().filter(|_| c.centered);
                        let b = state.momentum_buffer.as_mut().filter(|_| c.momentum > 0.0);
                        // Absent buffers become empty slices that the loop never touches.
                        let ga = ga.map_or(Some(&mut [][..]), |t| t.as_slice_mut());
                        let b = b.map_or(Some(&mut [][..]), |t| t.as_slice_mut());
                        if let (Some(p), Some(g), Some(ga), Some(b)) =
                            (param.as_slice_mut(), grad.as_slice(), ga, b)
                        {
                            return dispatch_bools!(
                                rmsprop_slices::<_>(&scalars, p, g, v, ga, b);
                                c.maximize, l2, c.centered, c.momentum > 0.0, low
                            );
                        }
                    }
                    // Each combination of optional buffers gets its own loop; an absent buffer
                    // is replaced by a scratch value that the update does not use.
                    let mut unused_b = T::zero();
                    let mut unused_ga = T::zero();
                    let buf = state.momentum_buffer.as_mut().filter(|_| c.momentum > 0.0);
                    let grad_avg = state.grad_avg.as_mut().filter(|_| c.centered);
                    let update = |p: &mut T, g: T, v: &mut T, ga: &mut T, b: &mut T| {
                        let mut g = if c.maximize { -g } else { g };
                        if c.weight_decay != 0.0 {
                            g += weight_decay * *p;
                        }
                        *v = *v * alpha + one_minus_alpha * g * g;
                        let avg = if c.centered {
                            *ga = lerp(*ga, g, one_minus_alpha);
                            (*v + minus_one * *ga * *ga).sqrt() + eps
                        } else {
                            v.sqrt() + eps
                        };
                        if c.momentum > 0.0 {
                            *b = *b * momentum + T::one() * g / avg;
                            *p += neg_lr * *b;
                        } else {
                            *p += neg_lr * g / avg;
                        }
                    };
                    match (buf, grad_avg) {
                        (Some(b), Some(ga)) => Zip::from(param.array_mut())
                            .and(grad.array())
                            .and(state.square_avg.array_mut())
                            .and(ga.array_mut())
                            .and(b.array_mut())
                            .for_each(|p, &g, v, ga, b| update(p, g, v, ga, b)),
                        (Some(b), None) => Zip::from(param.array_mut())
                            .and(grad.array())
                            .and(state.square_avg.array_mut())
                            .and(b.array_mut())
                            .for_each(|p, &g, v, b| update(p, g, v, &mut unused_ga, b)),
                        (None, Some(ga)) => Zip::from(param.array_mut())
                            .and(grad.array())
                            .and(state.square_avg.array_mut())
                            .and(ga.array_mut())
                            .for_each(|p, &g, v, ga| update(p, g, v, ga, &mut unused_b)),
                        (None, None) => Zip::from(param.array_mut())
                            .and(grad.array())
                            .and(state.square_avg.array_mut())
                            .for_each(|p, &g, v| update(p, g, v, &mut unused_ga, &mut unused_b)),
                    }
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
