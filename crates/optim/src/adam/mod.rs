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
//! Two known differences at the last bit: PyTorch's CPU kernels built for AVX2 evaluate
//! `lerp`, `addcmul` and `add(alpha=)` with fused multiply-adds (PyTorch 2.15 does so for every
//! element, older versions only on whole SIMD chunks), while this crate rounds each product
//! first; and PyTorch's CPU square root (MKL's vector math in its x86-64 builds) is not
//! correctly rounded, while this crate's is. An element may differ by an ulp per step; 20-step
//! `f64` trajectories agree to about 1e-12 relative.

mod slot;
mod update;

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use self::slot::AdamSlot;
use self::update::{AdamScalars, adam_general, adam_slices};
use crate::core::{Core, StateMap, check_grad_shape};
use crate::error::check_non_negative;
use crate::kernel::dispatch_bools;
use crate::{GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup};

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
fn adam_step<T: Float>(core: &mut Core<T, AdamSlot<T>>) {
    let Core {
        owner,
        groups,
        state,
        ..
    } = core;
    for (gi, group) in groups.iter().enumerate() {
        let Some(c) = AdamOptions::from_group(&group.options) else {
            panic!(
                "{owner}.step: group {gi} holds {} options",
                group.options.kind()
            );
        };
        let mut step = GroupStep::new(c);
        for (pi, p) in group.params.iter().enumerate() {
            let id = p.id();
            p.with_grad_and_data_mut(|grad, param| {
                step.update(owner, (gi, pi), id, grad, param, state);
            });
        }
    }
}

/// One step of one group: its options, and the scalars of the update computed once for the
/// group rather than once per parameter.
struct GroupStep<T> {
    options: AdamOptions,
    /// The scalars; the bias-correction ones are those of step count `corrected_for`.
    scalars: AdamScalars<T>,
    /// The step count the bias corrections in `scalars` belong to (0: none computed yet).
    /// Parameters of a group usually share their count, so the two `powf` run once per
    /// group; a parameter that skipped a step gets its own.
    corrected_for: u64,
    /// `|1 − β₁| < 0.5`: which of `lerp`'s two formulas applies.
    low: bool,
}

impl<T: Float> GroupStep<T> {
    fn new(c: AdamOptions) -> Self {
        let weight = T::from_f64(1.0 - c.betas.0);
        GroupStep {
            options: c,
            scalars: AdamScalars {
                weight,
                one_minus_weight: T::one() - weight,
                beta2: T::from_f64(c.betas.1),
                one_minus_beta2: T::from_f64(1.0 - c.betas.1),
                weight_decay: T::from_f64(c.weight_decay),
                decay: T::from_f64(1.0 - c.lr * c.weight_decay),
                eps: T::from_f64(c.eps),
                neg_step_size: T::zero(),
                bias_correction2_sqrt: T::one(),
            },
            corrected_for: 0,
            low: weight.abs() < T::from_f64(0.5),
        }
    }

    /// Sets the bias-correction scalars for step count `step` (at least 1).
    fn correct_for(&mut self, step: u64) {
        if step == self.corrected_for {
            return;
        }
        let c = &self.options;
        let (beta1, beta2) = c.betas;
        let t = step as f64;
        let bias_correction1 = 1.0 - beta1.powf(t);
        let bias_correction2 = 1.0 - beta2.powf(t);
        self.scalars.neg_step_size = T::from_f64(-(c.lr / bias_correction1));
        self.scalars.bias_correction2_sqrt = T::from_f64(bias_correction2.sqrt());
        self.corrected_for = step;
    }

    /// Updates the value `param` of the parameter with id `id` (at `place`, group and index,
    /// for messages) from `grad`.
    fn update(
        &mut self,
        owner: &str,
        place: (usize, usize),
        id: u64,
        grad: &Tensor<T>,
        param: &mut Tensor<T>,
        state: &mut StateMap<AdamSlot<T>>,
    ) {
        check_grad_shape(owner, place.0, place.1, param, grad);
        let slot = state
            .entry(id)
            .or_insert_with(|| AdamSlot::zeros(param.shape()));
        let c = self.options;
        if c.amsgrad && slot.max_exp_avg_sq.is_none() {
            slot.max_exp_avg_sq = Some(vec![T::zero(); slot.len()]);
        }
        slot.step += 1;
        self.correct_for(slot.step);
        let s = &self.scalars;
        let l2 = c.weight_decay != 0.0 && !c.decoupled;
        let decoupled = c.weight_decay != 0.0 && c.decoupled;
        // The fast path: parameter and gradient contiguous (the state always is).
        if let (Some(p), Some(g)) = (param.as_slice_mut(), grad.as_slice()) {
            if slot.len() != p.len() {
                state_len_mismatch(owner, place, slot.len(), grad.shape());
            }
            let (m, v) = (&mut slot.exp_avg[..], &mut slot.exp_avg_sq[..]);
            match slot.max_exp_avg_sq.as_deref_mut().filter(|_| c.amsgrad) {
                None => dispatch_bools!(adam_slices::<_>(s, p, g, m, v, None);
                    c.maximize, l2, decoupled, self.low, false),
                Some(vmax) => dispatch_bools!(adam_slices::<_>(s, p, g, m, v, Some(vmax));
                    c.maximize, l2, decoupled, self.low, true),
            }
            return;
        }
        if slot.len() != param.numel() {
            state_len_mismatch(owner, place, slot.len(), grad.shape());
        }
        adam_general(&c, s, param, grad, slot);
    }
}

/// Panics: the state of a parameter no longer fits it (its value was replaced by one of
/// another size).
#[cold]
#[track_caller]
fn state_len_mismatch(owner: &str, place: (usize, usize), len: usize, shape: &[usize]) -> ! {
    panic!(
        "{owner}.step: group {}, param {}: the state has {len} elements but the parameter has shape {shape:?}",
        place.0, place.1
    )
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
            core: Core<T, AdamSlot<T>>,
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
