//! Adagrad.
//!
//! PyTorch's `_single_tensor_adagrad`, per element, at step `t` (counted per parameter):
//!
//! ```text
//! g ← −g                             if maximize
//! g ← g + wd·p                       if wd ≠ 0
//! clr ← lr / (1 + (t − 1)·lr_decay)  (f64)
//! s ← s + (1·g)·g                    state_sum.addcmul_(grad, grad, value=1)
//! p ← p + ((−clr)·g) / (sqrt(s) + ε)
//! ```
//!
//! The sum starts at `initial_accumulator_value`; like PyTorch, every parameter's state is
//! created when the optimizer (or its group) is built.

use backprop_autograd::Var;
use backprop_tensor::ndarray::Zip;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape};
use crate::error::check_non_negative;
use crate::kernel::dispatch_bools;
use crate::{AdagradState, GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup};

/// Options of [`Adagrad`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdagradConfig {
    /// Learning rate (default `1e-2`).
    pub lr: f64,
    /// Learning-rate decay: step `t` uses `lr / (1 + (t − 1)·lr_decay)` (default 0).
    pub lr_decay: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Starting value of the sum of squared gradients (default 0). Each group uses its own
    /// value; PyTorch (2.x) reads the constructor's value for every group and ignores one given
    /// in a group's dict, so the two agree with one group or equal values.
    pub initial_accumulator_value: f64,
    /// Added to the denominator (default `1e-10`).
    pub eps: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::Adagrad(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "Adagrad",
            found: options.kind(),
        });
    };
    check_non_negative("Adagrad", "lr", c.lr)?;
    check_non_negative("Adagrad", "lr_decay", c.lr_decay)?;
    check_non_negative("Adagrad", "weight_decay", c.weight_decay)?;
    check_non_negative(
        "Adagrad",
        "initial_accumulator_value",
        c.initial_accumulator_value,
    )?;
    check_non_negative("Adagrad", "eps", c.eps)
}

/// One Adagrad step over contiguous buffers of equal length, with the operations of the
/// general loop in [`Adagrad::step`].
#[inline(always)]
fn adagrad_slices<T: Float, const MAXIMIZE: bool, const L2: bool>(
    neg_clr: T,
    weight_decay: T,
    eps: T,
    p: &mut [T],
    g: &[T],
    s: &mut [T],
) {
    let n = p.len();
    let (g, s) = (&g[..n], &mut s[..n]);
    for i in 0..n {
        let mut g = if MAXIMIZE { -g[i] } else { g[i] };
        if L2 {
            g += weight_decay * p[i];
        }
        s[i] += T::one() * g * g;
        p[i] += neg_clr * g / (s[i].sqrt() + eps);
    }
}

/// Adagrad, like `torch.optim.Adagrad`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Adagrad, AdagradConfig, Optimizer};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
/// let mut opt = Adagrad::new(vec![w.clone()], AdagradConfig { lr: 0.5, ..Default::default() }).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![4.0], &[1]).unwrap()));
/// opt.step();
/// // The first step is lr·g/sqrt(g²) = lr.
/// assert!((w.value().to_vec()[0] - 0.5).abs() < 1e-9);
/// ```
pub struct Adagrad<T: Float = f32> {
    core: Core<T, AdagradState<T>>,
}

impl<T: Float> Adagrad<T> {
    /// Adagrad over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr, lr_decay, weight decay, initial
    /// accumulator value or eps; [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: AdagradConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "Adagrad" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// Adagrad over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](Adagrad::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, AdagradConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::Adagrad(c)))
            .collect();
        let mut opt = Adagrad {
            core: Core::new("Adagrad", groups, validate)?,
        };
        for gi in 0..opt.core.groups.len() {
            opt.init_group_state(gi);
        }
        Ok(opt)
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](Adagrad::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: AdagradConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::Adagrad(config))?;
        self.init_group_state(self.core.groups.len() - 1);
        Ok(())
    }

    fn init_group_state(&mut self, gi: usize) {
        let group = &self.core.groups[gi];
        let GroupOptions::Adagrad(c) = group.options else {
            return;
        };
        for p in &group.params {
            let sum = Tensor::full(&p.shape(), T::from_f64(c.initial_accumulator_value));
            self.core
                .state
                .insert(p.id(), AdagradState { step: 0, sum });
        }
    }
}

impl<T: Float> Optimizer<T> for Adagrad<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::Adagrad(c) = group.options else {
                panic!(
                    "Adagrad.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let weight_decay = T::from_f64(c.weight_decay);
            let eps = T::from_f64(c.eps);
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("Adagrad", gi, pi, param, grad);
                    // A parameter added to a group after construction gets its state here.
                    let state = self
                        .core
                        .state
                        .entry(p.id())
                        .or_insert_with(|| AdagradState {
                            step: 0,
                            sum: Tensor::full(
                                param.shape(),
                                T::from_f64(c.initial_accumulator_value),
                            ),
                        });
                    state.step += 1;
                    let clr = c.lr / (1.0 + (state.step as f64 - 1.0) * c.lr_decay);
                    let neg_clr = T::from_f64(-clr);
                    if let (Some(p), Some(g), Some(s)) = (
                        param.as_slice_mut(),
                        grad.as_slice(),
                        state.sum.as_slice_mut(),
                    ) {
                        let l2 = c.weight_decay != 0.0;
                        return dispatch_bools!(adagrad_slices::<_>(neg_clr, weight_decay, eps, p, g, s);
                            c.maximize, l2);
                    }
                    Zip::from(param.array_mut())
                        .and(grad.array())
                        .and(state.sum.array_mut())
                        .for_each(|p, &g, s| {
                            let mut g = if c.maximize { -g } else { g };
                            if c.weight_decay != 0.0 {
                                g += weight_decay * *p;
                            }
                            *s += T::one() * g * g;
                            *p += neg_clr * g / (s.sqrt() + eps);
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
