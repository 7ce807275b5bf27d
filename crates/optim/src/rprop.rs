//! Rprop: resilient backpropagation, per-element step sizes driven by the gradient's sign.
//!
//! PyTorch's `_single_tensor_rprop`, per element, with `prev` the previous (possibly zeroed)
//! gradient and `s` the element's step size:
//!
//! ```text
//! g ← −g                                   if maximize
//! f ← sign(g·prev)                         +1, −1, or 0 (also for NaN)
//! f ← η₊ if f > 0;  f ← η₋ if f < 0;  f ← 1 if f = 0     (in this order)
//! s ← min(max(s·f, step_min), step_max)    step_size.mul_(sign).clamp_(min, max)
//! g ← 0                                    where f = η₋ (the sign flipped: no move now)
//! p ← p + ((−1)·sign(g))·s                 param.addcmul_(grad.sign(), step_size, value=-1)
//! prev ← g
//! ```
//!
//! The step sizes start at the group's `lr` when a parameter's state is made (its first step
//! with a gradient); later changes of `lr`, by hand or by a scheduler, do not affect them, as
//! in PyTorch. The factors and bounds are rounded to the element type, and the comparison
//! `f = η₋` is made after that rounding, like PyTorch's `sign.eq(etaminus)`.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::core::{Core, check_grad_shape, check_state_shape};
use crate::error::{check_non_negative, invalid};
use crate::kernel::{dispatch_bools, zip4};
use crate::{GroupOptions, OptimError, Optimizer, OptimizerState, ParamGroup, RpropState};

/// Options of [`Rprop`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RpropConfig {
    /// Learning rate: the initial step size of every element (default `1e-2`).
    pub lr: f64,
    /// Multiplicative factors (η₋, η₊) of the step size when the gradient's sign flips or
    /// stays (default `(0.5, 1.2)`); `0 < η₋ < 1 < η₊`.
    pub etas: (f64, f64),
    /// Bounds (min, max) of the step sizes (default `(1e-6, 50)`).
    pub step_sizes: (f64, f64),
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for RpropConfig {
    fn default() -> Self {
        RpropConfig {
            lr: 1e-2,
            etas: (0.5, 1.2),
            step_sizes: (1e-6, 50.0),
            maximize: false,
        }
    }
}

fn validate(options: &GroupOptions) -> Result<(), OptimError> {
    let GroupOptions::Rprop(c) = options else {
        return Err(OptimError::OptionsMismatch {
            group: 0,
            expected: "Rprop",
            found: options.kind(),
        });
    };
    check_non_negative("Rprop", "lr", c.lr)?;
    // PyTorch's `0.0 < etas[0] < 1.0 < etas[1]`.
    let (eta_minus, eta_plus) = c.etas;
    // Written so that NaN fails both checks.
    let minus_inside = 0.0 < eta_minus && eta_minus < 1.0;
    if !minus_inside {
        return Err(invalid("Rprop", "etas[0]", eta_minus, "must be in (0, 1)"));
    }
    if eta_plus > 1.0 {
        Ok(())
    } else {
        Err(invalid("Rprop", "etas[1]", eta_plus, "must be > 1"))
    }
}

/// The scalars of one Rprop step, each rounded to the element type.
#[derive(Clone, Copy)]
struct RpropScalars<T> {
    eta_minus: T,
    eta_plus: T,
    /// The factor where the sign flipped: `η₋`, or 1 when `η₋` rounds to 0 in the element
    /// type (PyTorch's third assignment, `sign[sign.eq(0)] = 1`, then catches it).
    flipped: T,
    step_min: T,
    step_max: T,
}

/// `torch.sign` of a float: `(0 < x) − (x < 0)`, so `+0` for both zeros and for NaN.
#[inline(always)]
fn sign<T: Float>(x: T) -> T {
    let positive = if x > T::zero() { T::one() } else { T::zero() };
    if x < T::zero() { -T::one() } else { positive }
}

/// One Rprop step of one parameter. Every choice is a select rather than a branch, so the
/// loop vectorizes and random signs cost no mispredictions.
#[inline(always)]
fn rprop_tensor<T: Float, const MAXIMIZE: bool>(
    s: &RpropScalars<T>,
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    prev: &mut Tensor<T>,
    step_size: &mut Tensor<T>,
) {
    // The scalars as values, so the loop keeps them in registers.
    let s = *s;
    zip4(param, grad, prev, step_size, |p, g, prev, step| {
        let g = if MAXIMIZE { -g } else { g };
        // PyTorch's masked assignments on sign(g·prev): η₊ where positive, η₋ where
        // negative, 1 where zero (or NaN).
        let product = g * *prev;
        let f = if product < T::zero() {
            s.flipped
        } else {
            T::one()
        };
        let f = if product > T::zero() { s.eta_plus } else { f };
        // `clamp_(min, max)`: a NaN stays NaN.
        let x = *step * f;
        let x = if x < s.step_min { s.step_min } else { x };
        *step = if x > s.step_max { s.step_max } else { x };
        // `grad[sign.eq(etaminus)] = 0`, comparing after the rounding to the element type.
        let g = if f == s.eta_minus { T::zero() } else { g };
        *p += -T::one() * sign(g) * *step;
        *prev = g;
    });
}

/// Rprop, like `torch.optim.Rprop`: each element moves by its own step size in the direction
/// opposite to its gradient's sign; the step size grows while the sign holds and shrinks when
/// it flips. Meant for full-batch training.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Optimizer, Rprop, RpropConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap());
/// let mut opt = Rprop::new(vec![w.clone()], RpropConfig { lr: 0.1, ..Default::default() }).unwrap();
/// for _ in 0..2 {
///     w.set_grad(Some(Tensor::from_vec(vec![5.0, -0.001], &[2]).unwrap()));
///     opt.step();
/// }
/// // Only the signs count: lr on the first step, lr·η₊ on the second.
/// let moved = 0.1 + 0.1 * 1.2;
/// let got = w.value().to_vec();
/// assert!((got[0] - (1.0 - moved)).abs() < 1e-12 && (got[1] - (1.0 + moved)).abs() < 1e-12);
/// ```
pub struct Rprop<T: Float = f32> {
    core: Core<T, RpropState<T>>,
}

impl<T: Float> Rprop<T> {
    /// Rprop over one group of parameters.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative lr or etas outside `0 < η₋ < 1 < η₊`;
    /// [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: RpropConfig) -> Result<Self, OptimError> {
        if params.is_empty() {
            return Err(OptimError::EmptyParameters { owner: "Rprop" });
        }
        Self::with_groups(vec![(params, config)])
    }

    /// Rprop over several groups, each with its own options.
    ///
    /// # Errors
    ///
    /// As [`new`](Rprop::new), for any group.
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, RpropConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| (p, GroupOptions::Rprop(c)))
            .collect();
        Ok(Rprop {
            core: Core::new("Rprop", groups, validate)?,
        })
    }

    /// Adds a group, like `optimizer.add_param_group`.
    ///
    /// # Errors
    ///
    /// As [`new`](Rprop::new).
    pub fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        config: RpropConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_param_group(params, GroupOptions::Rprop(config))
    }
}

impl<T: Float> Optimizer<T> for Rprop<T> {
    fn step(&mut self) {
        for (gi, group) in self.core.groups.iter().enumerate() {
            let GroupOptions::Rprop(c) = group.options else {
                panic!(
                    "Rprop.step: group {gi} holds {} options",
                    group.options.kind()
                );
            };
            let eta_minus = T::from_f64(c.etas.0);
            let s = RpropScalars {
                eta_minus,
                flipped: if eta_minus == T::zero() {
                    T::one()
                } else {
                    eta_minus
                },
                eta_plus: T::from_f64(c.etas.1),
                step_min: T::from_f64(c.step_sizes.0),
                step_max: T::from_f64(c.step_sizes.1),
            };
            for (pi, p) in group.params.iter().enumerate() {
                p.with_grad_and_data_mut(|grad, param| {
                    check_grad_shape("Rprop", gi, pi, param, grad);
                    let state = self.core.state.entry(p.id()).or_insert_with(|| RpropState {
                        step: 0,
                        prev: param.zeros_like(),
                        step_size: Tensor::full(param.shape(), T::from_f64(c.lr)),
                    });
                    check_state_shape("Rprop", (gi, pi), param, "prev", &state.prev);
                    check_state_shape("Rprop", (gi, pi), param, "step_size", &state.step_size);
                    state.step += 1;
                    let (prev, step) = (&mut state.prev, &mut state.step_size);
                    dispatch_bools!(rprop_tensor::<_>(&s, param, grad, prev, step); c.maximize);
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
