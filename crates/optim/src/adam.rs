//! Adam and AdamW.
//!
//! PyTorch's `_single_tensor_adam`, per element, at step `t` (counted per parameter):
//!
//! ```text
//! g ← −g                                   if maximize
//! p ← p·(1 − lr·wd)                        if wd ≠ 0 and decoupled (AdamW)
//! g ← g + wd·p                             if wd ≠ 0 and not decoupled (Adam)
//! m ← lerp(m, g, 1 − β₁)                   exp_avg.lerp_(grad, 1 - beta1)
//! v ← v·β₂ + ((1 − β₂)·g)·g                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
//! v̂ ← max(v̂, v)                            if amsgrad (v̂ replaces v below)
//! denom ← sqrt(v) / sqrt(1 − β₂ᵗ) + ε
//! p ← p + ((−lr / (1 − β₁ᵗ))·m) / denom    param.addcdiv_(exp_avg, denom, value=-step_size)
//! ```
//!
//! The scalars `1 − β₁`, `1 − β₂`, `1 − β₁ᵗ`, `lr / (1 − β₁ᵗ)`, `sqrt(1 − β₂ᵗ)` and `1 − lr·wd`
//! are computed in `f64` (Python floats, `powf` for `βᵗ` like Python's `**`) and rounded to
//! the element type where they meet a tensor, so an `f32` run rounds exactly where PyTorch's
//! does. Each parameter is updated in one pass over its elements, in the order above.
//!
//! One known difference at the last bit: PyTorch's vectorized CPU `lerp` (used on whole
//! 2×SIMD-width chunks of a contiguous tensor) evaluates `a + w·(b − a)` as a fused
//! multiply-add, while its scalar tail and this crate round the product first. The `f64`
//! fixture is unaffected (small tensors take the scalar path); an `f32` run may differ by an
//! ulp per step in those elements.

use backprop_autograd::Var;
use backprop_tensor::ndarray::Zip;
use backprop_tensor::{Float, parallel_for_each, vectorized};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, lerp, maximum};
use crate::error::check_non_negative;
use crate::kernel::{chunk_len, dispatch_bools, lerp_fixed};
use crate::{AdamState, GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup};

/// Options of [`Adam`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Learning rate (default `1e-3`).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default `(0.9, 0.999)`).
    pub betas: (f64, f64),
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// The AMSGrad variant (default false).
    pub amsgrad: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
        }
    }
}

/// Options of [`AdamW`], with PyTorch's defaults (as [`AdamConfig`] but `weight_decay` is
/// `1e-2` and is applied to the parameter, not the gradient).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    /// Learning rate (default `1e-3`).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default `(0.9, 0.999)`).
    pub betas: (f64, f64),
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// Decoupled weight decay: `p ← p·(1 − lr·wd)` before each update (default `1e-2`).
    pub weight_decay: f64,
    /// The AMSGrad variant (default false).
    pub amsgrad: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
            maximize: false,
        }
    }
}

/// The options of either variant, plus which one it is.
#[derive(Clone, Copy)]
struct AdamOptions {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
}

impl AdamOptions {
    fn from_group(options: &GroupOptions) -> Option<Self> {
        match *options {
            GroupOptions::Adam(c) => Some(AdamOptions {
                lr: c.lr,
                betas: c.betas,
                eps: c.eps,
                weight_decay: c.weight_decay,
                amsgrad: c.amsgrad,
                maximize: c.maximize,
                decoupled: false,
            }),
            GroupOptions::AdamW(c) => Some(AdamOptions {
                lr: c.lr,
                betas: c.betas,
                eps: c.eps,
                weight_decay: c.weight_decay,
                amsgrad: c.amsgrad,
                maximize: c.maximize,
                decoupled: true,
            }),
            _ => None,
        }
    }
}

fn validate_options(owner: &'static str, options: &GroupOptions) -> Result<(), OptimError> {
    let Some(c) = AdamOptions::from_group(options) else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: owner,
            found: options.kind(),
        });
    };
    check_non_negative(owner, "lr", c.lr)?;
    check_non_negative(owner, "eps", c.eps)?;
    for (option, beta) in [("betas[0]", c.betas.0), ("betas[1]", c.betas.1)] {
        if !(0.0..1.0).contains(&beta) {
            return Err(OptimError::InvalidOption {
                owner,
                option,
                value: beta.to_string(),
                reason: "must be in [0, 1)",
            });
        }
    }
    check_non_negative(owner, "weight_decay", c.weight_decay)
}

fn validate_adam(options: &GroupOptions) -> Result<(), OptimError> {
    validate_options("Adam", options)
}

fn validate_adamw(options: &GroupOptions) -> Result<(), OptimError> {
    validate_options("AdamW", options)
}

/// One step of Adam or AdamW over every group.
fn adam_step<T: Float>(core: &mut Core<T, AdamState<T>>) {
    let owner = core.owner;
    for (gi, group) in core.groups.iter().enumerate() {
        let Some(c) = AdamOptions::from_group(&group.options) else {
            panic!(
                "{owner}.step: group {gi} holds {} options",
                group.options.kind()
            );
        };
        let (beta1, beta2) = c.betas;
        let weight = T::from_f64(1.0 - beta1);
        let beta2_t = T::from_f64(beta2);
        let one_minus_beta2 = T::from_f64(1.0 - beta2);
        let weight_decay = T::from_f64(c.weight_decay);
        let decay = T::from_f64(1.0 - c.lr * c.weight_decay);
        let eps = T::from_f64(c.eps);
        let mut corrections: Option<(u64, f64, f64)> = None;
        for (pi, p) in group.params.iter().enumerate() {
            p.with_grad(|grad| {
                let Some(grad) = grad else { return };
                let mut param = p.data_mut();
                check_grad_shape(owner, gi, pi, &param, grad);
                let state = core.state.entry(p.id()).or_insert_with(|| AdamState {
                    step: 0,
                    exp_avg: param.zeros_like(),
                    exp_avg_sq: param.zeros_like(),
                    max_exp_avg_sq: None,
                });
                if c.amsgrad && state.max_exp_avg_sq.is_none() {
                    state.max_exp_avg_sq = Some(param.zeros_like());
                }
                state.step += 1;
                // Parameters of a group usually share their step count: compute the bias
                // corrections (two `powf`) once per count, not once per parameter.
                let (bias_correction1, bias_correction2) = match corrections {
                    Some((step, b1, b2)) if step == state.step => (b1, b2),
                    _ => {
                        let step = state.step as f64;
                        let b = (1.0 - beta1.powf(step), 1.0 - beta2.powf(step));
                        corrections = Some((state.step, b.0, b.1));
                        b
                    }
                };
                let neg_step_size = T::from_f64(-(c.lr / bias_correction1));
                let bias_correction2_sqrt = T::from_f64(bias_correction2.sqrt());

                // Everything before the denominator: maximize, weight decay, both moments.
                let moments = |p: &mut T, g: T, m: &mut T, v: &mut T| {
                    let mut g = if c.maximize { -g } else { g };
                    if c.weight_decay != 0.0 {
                        if c.decoupled {
                            *p *= decay;
                        } else {
                            g += weight_decay * *p;
                        }
                    }
                    *m = lerp(*m, g, weight);
                    *v = *v * beta2_t + one_minus_beta2 * g * g;
                };
                let update = |p: &mut T, m: T, v: T| {
                    let denom = v.sqrt() / bias_correction2_sqrt + eps;
                    *p += neg_step_size * m / denom;
                };
                let scalars = AdamScalars {
                    weight,
                    one_minus_weight: T::one() - weight,
                    beta2: beta2_t,
                    one_minus_beta2,
                    weight_decay,
                    decay,
                    eps,
                    neg_step_size,
                    bias_correction2_sqrt,
                };
                let l2 = c.weight_decay != 0.0 && !c.decoupled;
                let decoupled = c.weight_decay != 0.0 && c.decoupled;
                let low = weight.abs() < T::from_f64(0.5);
                let max_v = state.max_exp_avg_sq.as_mut().filter(|_| c.amsgrad);
                // The fast path: every buffer contiguous, one branch-free loop per tensor.
                if let (Some(p), Some(g), Some(m), Some(v)) = (
                    param.as_slice_mut(),
                    grad.as_slice(),
                    state.exp_avg.as_slice_mut(),
                    state.exp_avg_sq.as_slice_mut(),
                ) {
                    match max_v {
                        None => {
                            return dispatch_bools!(adam_slices::<_>(&scalars, p, g, m, v);
                                c.maximize, l2, decoupled, low);
                        }
                        Some(max_v) => {
                            if let Some(vmax) = max_v.as_slice_mut() {
                                return dispatch_bools!(
                                    amsgrad_slices::<_>(&scalars, p, g, m, v, vmax);
                                    c.maximize, l2, decoupled, low
                                );
                            }
                        }
                    }
                }
                // The general path, for any memory layout.
                match state.max_exp_avg_sq.as_mut().filter(|_| c.amsgrad) {
                    Some(max_v) => Zip::from(param.array_mut())
                        .and(grad.array())
                        .and(state.exp_avg.array_mut())
                        .and(state.exp_avg_sq.array_mut())
                        .and(max_v.array_mut())
                        .for_each(|p, &g, m, v, vmax| {
                            moments(p, g, m, v);
                            *vmax = maximum(*vmax, *v);
                            update(p, *m, *vmax);
                        }),
                    None => Zip::from(param.array_mut())
                        .and(grad.array())
                        .and(state.exp_avg.array_mut())
                        .and(state.exp_avg_sq.array_mut())
                        .for_each(|p, &g, m, v| {
                            moments(p, g, m, v);
                            update(p, *m, *v);
                        }),
                }
            });
        }
    }
}

/// The per-tensor scalars of one Adam step, each rounded to the element type.
struct AdamScalars<T> {
    weight: T,
    one_minus_weight: T,
    beta2: T,
    one_minus_beta2: T,
    weight_decay: T,
    decay: T,
    eps: T,
    neg_step_size: T,
    bias_correction2_sqrt: T,
}

/// Maximize, weight decay and both moments of one element (the `moments` closure of
/// [`adam_step`] with its options as constants); returns the possibly decayed parameter.
#[inline(always)]
fn adam_moments<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
>(
    s: &AdamScalars<T>,
    p: T,
    g: T,
    m: &mut T,
    v: &mut T,
) -> T {
    let mut p = p;
    let mut g = if MAXIMIZE { -g } else { g };
    if DECOUPLED {
        p *= s.decay;
    }
    if L2 {
        g += s.weight_decay * p;
    }
    *m = lerp_fixed::<T, LOW>(*m, g, s.weight, s.one_minus_weight);
    *v = *v * s.beta2 + s.one_minus_beta2 * g * g;
    p
}

/// `p + (−step_size·m) / (sqrt(v) / sqrt(1 − β₂ᵗ) + ε)`, as the `update` closure of
/// [`adam_step`].
#[inline(always)]
fn adam_update<T: Float>(s: &AdamScalars<T>, p: T, m: T, v: T) -> T {
    let denom = v.sqrt() / s.bias_correction2_sqrt + s.eps;
    p + s.neg_step_size * m / denom
}

/// One Adam step over contiguous buffers of equal length; a large parameter is split into
/// one chunk per thread (each element's update is independent, so the result is the same).
#[inline(always)]
fn adam_slices<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
>(
    s: &AdamScalars<T>,
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
) {
    match chunk_len(p.len()) {
        Some(c) => {
            let chunks = p
                .chunks_mut(c)
                .zip(g.chunks(c))
                .zip(m.chunks_mut(c).zip(v.chunks_mut(c)))
                .collect();
            // Each pool thread picks the AVX2 loop again (the caller's choice does not
            // travel with the closure).
            parallel_for_each(chunks, |((p, g), (m, v))| {
                vectorized(
                    #[inline(always)]
                    || adam_serial::<T, MAXIMIZE, L2, DECOUPLED, LOW>(s, p, g, m, v),
                )
            });
        }
        None => adam_serial::<T, MAXIMIZE, L2, DECOUPLED, LOW>(s, p, g, m, v),
    }
}

/// [`adam_slices`] on the calling thread.
#[inline(always)]
fn adam_serial<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
>(
    s: &AdamScalars<T>,
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let pi =
            adam_moments::<T, MAXIMIZE, L2, DECOUPLED, LOW>(s, p[i], g[i], &mut m[i], &mut v[i]);
        p[i] = adam_update(s, pi, m[i], v[i]);
    }
}

/// One AMSGrad step over contiguous buffers of equal length.
#[inline(always)]
fn amsgrad_slices<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
>(
    s: &AdamScalars<T>,
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    vmax: &mut [T],
) {
    match chunk_len(p.len()) {
        Some(c) => {
            let chunks = p
                .chunks_mut(c)
                .zip(g.chunks(c))
                .zip(m.chunks_mut(c).zip(v.chunks_mut(c).zip(vmax.chunks_mut(c))))
                .collect();
            parallel_for_each(chunks, |((p, g), (m, (v, vmax)))| {
                vectorized(
                    #[inline(always)]
                    || amsgrad_serial::<T, MAXIMIZE, L2, DECOUPLED, LOW>(s, p, g, m, v, vmax),
                )
            });
        }
        None => amsgrad_serial::<T, MAXIMIZE, L2, DECOUPLED, LOW>(s, p, g, m, v, vmax),
    }
}

/// [`amsgrad_slices`] on the calling thread.
#[inline(always)]
fn amsgrad_serial<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
>(
    s: &AdamScalars<T>,
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    vmax: &mut [T],
) {
    let n = p.len();
    let (g, m, v, vmax) = (&g[..n], &mut m[..n], &mut v[..n], &mut vmax[..n]);
    for i in 0..n {
        let pi =
            adam_moments::<T, MAXIMIZE, L2, DECOUPLED, LOW>(s, p[i], g[i], &mut m[i], &mut v[i]);
        vmax[i] = maximum(vmax[i], v[i]);
        p[i] = adam_update(s, pi, m[i], vmax[i]);
    }
}

macro_rules! adam_variant {
    ($name:ident, $config:ident, $variant:ident, $owner:expr, $validate:ident, $doc:expr, $example_lr:expr) => {
        #[doc = $doc]
        ///
        /// # Examples
        ///
        /// ```
        /// use backprop_autograd::Var;
        #[doc = concat!("use backprop_optim::{", stringify!($name), ", ", stringify!($config), ", Optimizer};")]
        /// use backprop_tensor::Tensor;
        ///
        /// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
        #[doc = concat!("let mut opt = ", stringify!($name), "::new(vec![w.clone()], ", stringify!($config), " { lr: ", $example_lr, ", ..Default::default() }).unwrap();")]
        /// w.set_grad(Some(Tensor::from_vec(vec![3.0], &[1]).unwrap()));
        /// opt.step();
        /// // The first Adam step moves each element by about lr, whatever the gradient's size.
        /// assert!((w.value().to_vec()[0] - 0.9).abs() < 2e-3);
        /// ```
        pub struct $name<T: Float = f32> {
            core: Core<T, AdamState<T>>,
        }

        impl<T: Float> $name<T> {
            /// The optimizer over one group of parameters.
            ///
            /// # Errors
            ///
            /// [`OptimError::InvalidOption`] for a negative lr, eps or weight decay or a beta
            /// outside `[0, 1)`; [`OptimError::EmptyParameters`] for no parameters;
            /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
            pub fn new(params: Vec<Var<T>>, config: $config) -> Result<Self, OptimError> {
                if params.is_empty() {
                    return Err(OptimError::EmptyParameters { owner: $owner });
                }
                Self::with_groups(vec![(params, config)])
            }

            /// The optimizer over several groups, each with its own options.
            ///
            /// # Errors
            ///
            /// As [`new`](Self::new), for any group.
            pub fn with_groups(groups: Vec<(Vec<Var<T>>, $config)>) -> Result<Self, OptimError> {
                let groups = groups
                    .into_iter()
                    .map(|(p, c)| (p, GroupOptions::$variant(c)))
                    .collect();
                Ok($name {
                    core: Core::new($owner, groups, $validate)?,
                })
            }

            /// Adds a group, like `optimizer.add_param_group`.
            ///
            /// # Errors
            ///
            /// As [`new`](Self::new).
            pub fn add_param_group(&mut self, params: Vec<Var<T>>, config: $config) -> Result<(), OptimError> {
                self.core.add_param_group(params, GroupOptions::$variant(config))
            }
        }

        impl<T: Float> Optimizer<T> for $name<T> {
            fn step(&mut self) {
                adam_step(&mut self.core);
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
    };
}

adam_variant!(
    Adam,
    AdamConfig,
    Adam,
    "Adam",
    validate_adam,
    "Adam, like `torch.optim.Adam`: per-element step sizes from running averages of the \
     gradient and its square, with bias correction.",
    "0.1"
);

adam_variant!(
    AdamW,
    AdamWConfig,
    AdamW,
    "AdamW",
    validate_adamw,
    "AdamW, like `torch.optim.AdamW`: Adam with decoupled weight decay, \
     `p ← p·(1 − lr·wd)` before each Adam update.",
    "0.1"
);

#[cfg(test)]
mod tests {
    use super::*;
    use backprop_tensor::Tensor;

    /// One f32 step rounds like PyTorch: every scalar is an f64 rounded once to f32, and each
    /// tensor op rounds its result to f32 in the documented order.
    #[test]
    fn f32_step_rounds_like_pytorch_ops() {
        let (p0, g) = (0.731_f32, -0.0123_f32);
        let w = Var::parameter(Tensor::from_vec(vec![p0], &[1]).unwrap());
        w.set_grad(Some(Tensor::from_vec(vec![g], &[1]).unwrap()));
        let mut opt = Adam::new(
            vec![w.clone()],
            AdamConfig {
                lr: 0.01,
                ..Default::default()
            },
        )
        .unwrap();
        opt.step();
        // exp_avg.lerp_(grad, 0.1) from 0; exp_avg_sq.mul_(0.999).addcmul_(grad, grad, 0.001).
        let m = 0.0f32 + (1.0f64 - 0.9) as f32 * (g - 0.0);
        let v = 0.0f32 * 0.999f64 as f32 + (1.0f64 - 0.999) as f32 * g * g;
        let denom = v.sqrt() / (1.0f64 - 0.999).sqrt() as f32 + 1e-8f64 as f32;
        let step_size = 0.01f64 / (1.0 - 0.9);
        let want = p0 + (-step_size) as f32 * m / denom;
        assert_eq!(w.value().to_vec(), vec![want]);
    }

    /// The bias corrections are cached by step count within a group; parameters at different
    /// counts (one skipped a step without a gradient) must each use their own.
    #[test]
    fn parameters_at_different_step_counts_use_their_own_bias_correction() {
        let make = |v: f32| Var::parameter(Tensor::from_vec(vec![v, -v], &[2]).unwrap());
        let (a, b) = (make(0.5), make(1.5));
        let (a_alone, b_alone) = (make(0.5), make(1.5));
        let config = AdamConfig {
            lr: 0.1,
            ..Default::default()
        };
        let mut together = Adam::new(vec![a.clone(), b.clone()], config).unwrap();
        let mut only_a = Adam::new(vec![a_alone.clone()], config).unwrap();
        let mut only_b = Adam::new(vec![b_alone.clone()], config).unwrap();
        for step in 0..4 {
            let g = Tensor::from_vec(vec![0.3f32 + step as f32, -0.7], &[2]).unwrap();
            for p in [&a, &a_alone] {
                p.set_grad(Some(g.clone()));
            }
            // `b` has no gradient at the first step, so it stays one step behind `a`.
            for p in [&b, &b_alone] {
                p.set_grad((step > 0).then(|| g.clone()));
            }
            together.step();
            only_a.step();
            only_b.step();
            assert_eq!(a.value().to_vec(), a_alone.value().to_vec());
            assert_eq!(b.value().to_vec(), b_alone.value().to_vec());
        }
        assert_ne!(b.value().to_vec(), vec![1.5, -1.5]);
    }
}
