//! L-BFGS: a quasi-Newton method that builds its step from the last few gradient changes.
//!
//! PyTorch's `torch.optim.LBFGS.step(closure)`, operation by operation. With `g` the flat
//! gradient (all parameters' gradients concatenated) and the history of steps `sᵢ` and
//! gradient changes `yᵢ` (at most `history_size`, oldest dropped first), one step runs up to
//! `max_iter` iterations of:
//!
//! ```text
//! first iteration ever:  d = −g,  H = 1,  t = min(1, 1/‖g‖₁)·lr
//! later ones:            y = g − g_prev,  s = t·d
//!                        if y·s > 1e-10: push (y, s), ρ = 1/(y·s), H = y·s / y·y
//!                        q = −g;  for i newest..oldest: αᵢ = ρᵢ·sᵢ·q,  q −= αᵢ·yᵢ
//!                        d = H·q; for i oldest..newest: βᵢ = ρᵢ·yᵢ·d,  d += (αᵢ − βᵢ)·sᵢ
//!                        t = lr
//! stop if g·d > −tolerance_change
//! x ← x + t·d, with t from the strong-Wolfe line search when it is on
//! ```
//!
//! and stops early when `max_eval` closure calls are spent, when `max|g| ≤ tolerance_grad`,
//! when `max|t·d| ≤ tolerance_change` or when the loss changed by less than
//! `tolerance_change`. Without line search the closure is not called after the last
//! iteration. The history, `d`, `t` and the counters carry over to the next step.
//!
//! Scalars are what PyTorch makes them: the loss is a Python float (`f64`); dot products,
//! `ρ`, `α`, `β` and `H` are 0-dim tensors of the parameters' dtype; `t` is either. Vectors
//! are updated in the element type with one rounding per operation, as PyTorch's kernels for
//! `ATEN_CPU_CAPABILITY=default` do (its AVX2 kernels fuse `x + α·y` into one rounding). Dot
//! products keep one partial sum per lane of a 16-byte vector (2 in `f64`, 4 in `f32`),
//! folded in halves: the order of PyTorch's CPU `dot` (MKL) for `f64` vectors of up to 8
//! elements and `f32` ones of 2, 4, 5 or 8. MKL orders other lengths otherwise, and there the
//! last bit of a dot product may differ.

mod config;
mod flat;
mod line_search;
mod scalar;

use backprop_autograd::Var;
use backprop_tensor::Float;

use crate::core::Core;
use crate::{
    GroupOptions, LbfgsState, OptimError, Optimizer, OptimizerState, ParamGroup, ParamState,
};
use config::validate;
pub use config::{LbfgsConfig, LineSearch};
use flat::{abs_max, abs_sum, add_scaled, dot, gather_flat_grad, neg, numel, scaled, sub};
use scalar::{Scalar, py_min};

/// L-BFGS, like `torch.optim.LBFGS`: full-batch quasi-Newton minimization, optionally with a
/// strong-Wolfe line search. It takes one group of parameters, and each step evaluates the
/// loss several times through a closure: call [`step_with`](Lbfgs::step_with), not
/// [`Optimizer::step`].
///
/// The closure computes the loss and its gradients (`backward`) and returns the loss.
/// `step_with` clears the parameters' gradients before each call (PyTorch's closures start
/// with `optimizer.zero_grad()`, which a Rust closure cannot call while the optimizer is
/// borrowed), so the closure need not.
///
/// It keeps `history_size` pairs of vectors as long as all parameters together.
///
/// # Examples
///
/// Fit `y = 2x + 1` by least squares:
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Lbfgs, LbfgsConfig, LineSearch};
/// use backprop_tensor::Tensor;
///
/// let x = Var::new(Tensor::from_vec(vec![0.0f64, 1.0, 2.0, 3.0], &[4]).unwrap());
/// let y = Var::new(Tensor::from_vec(vec![1.0f64, 3.0, 5.0, 7.0], &[4]).unwrap());
/// let w = Var::parameter(Tensor::scalar(0.0f64));
/// let b = Var::parameter(Tensor::scalar(0.0f64));
/// let config = LbfgsConfig { line_search: LineSearch::StrongWolfe, ..Default::default() };
/// let mut opt = Lbfgs::new(vec![w.clone(), b.clone()], config).unwrap();
/// let first_loss = opt.step_with(|| {
///     let loss = x.mul(&w).add(&b).sub(&y).square().mean();
///     loss.backward();
///     loss.item()
/// });
/// assert_eq!(first_loss, 21.0); // the loss at the start: mean(y²)
/// assert!((w.item() - 2.0).abs() < 1e-6 && (b.item() - 1.0).abs() < 1e-6);
/// ```
pub struct Lbfgs<T: Float = f32> {
    core: Core<T, LbfgsState<T>>,
}

impl<T: Float> Lbfgs<T> {
    /// L-BFGS over `params`. An unset `max_eval` becomes `max_iter * 5 / 4`.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] for a negative (or NaN) lr or a `history_size` of 0;
    /// [`OptimError::EmptyParameters`] for no parameters;
    /// [`OptimError::DuplicateParameter`] when a parameter is listed twice.
    pub fn new(params: Vec<Var<T>>, config: LbfgsConfig) -> Result<Self, OptimError> {
        Self::with_groups(vec![(params, config)])
    }

    /// L-BFGS from a list of groups, which must hold exactly one (for code that builds every
    /// optimizer from groups; PyTorch's L-BFGS refuses per-parameter options too).
    ///
    /// # Errors
    ///
    /// [`OptimError::SingleGroupOnly`] for two groups or more, and as [`new`](Lbfgs::new).
    pub fn with_groups(groups: Vec<(Vec<Var<T>>, LbfgsConfig)>) -> Result<Self, OptimError> {
        if groups.len() > 1 {
            return Err(OptimError::SingleGroupOnly {
                owner: "LBFGS",
                found: groups.len(),
            });
        }
        if groups.iter().all(|(params, _)| params.is_empty()) {
            return Err(OptimError::EmptyParameters { owner: "LBFGS" });
        }
        let groups = groups
            .into_iter()
            .map(|(p, mut c)| {
                c.max_eval = Some(c.resolved_max_eval());
                (p, GroupOptions::Lbfgs(c))
            })
            .collect();
        Ok(Lbfgs {
            core: Core::new("LBFGS", groups, validate)?,
        })
    }

    /// The options of the (only) group.
    #[track_caller]
    fn config(&self) -> LbfgsConfig {
        match self.core.groups[0].options {
            GroupOptions::Lbfgs(c) => c,
            other => panic!("LBFGS.step: group 0 holds {} options", other.kind()),
        }
    }

    /// One optimization step, PyTorch's `step(closure)`: up to `max_iter` L-BFGS iterations,
    /// calling `closure` (after clearing the gradients) to re-evaluate the loss and its
    /// gradients. Returns the loss of the first call, at the parameters the step started
    /// from.
    ///
    /// # Panics
    ///
    /// If a parameter's gradient does not have its shape, if the parameters no longer have
    /// the total number of elements the state was made for, or if the group's options were
    /// replaced by another optimizer's.
    #[track_caller]
    pub fn step_with(&mut self, mut closure: impl FnMut() -> T) -> T {
        let c = self.config();
        let params = self.core.groups[0].params.clone();
        let mut evaluate = || {
            for p in &params {
                p.zero_grad();
            }
            closure()
        };
        let Some(first) = params.first() else {
            return evaluate();
        };
        let state = self.core.state.entry(first.id()).or_default();
        let n = numel(&params);
        check_state_len(state, n);
        let (lr, tolerance_change) = (c.lr, c.tolerance_change);
        let max_eval = c.resolved_max_eval();
        let tolerance_grad = T::from_f64(c.tolerance_grad);
        let signed = |loss: T| {
            if c.maximize {
                -loss.as_f64()
            } else {
                loss.as_f64()
            }
        };

        // The loss and gradient at the start.
        let orig_loss = evaluate();
        let mut loss = signed(orig_loss);
        let mut current_evals = 1;
        state.func_evals += 1;
        let mut flat_grad = gather_flat_grad(&params, c.maximize);
        let mut opt_cond = abs_max(&flat_grad) <= tolerance_grad;
        if opt_cond {
            return orig_loss;
        }

        let mut t = state.t.map(Scalar::Float);
        let mut n_iter = 0;
        while n_iter < c.max_iter {
            n_iter += 1;
            state.n_iter += 1;

            // The direction.
            if state.n_iter == 1 {
                state.d = Some(neg(&flat_grad));
                state.old_dirs.clear();
                state.old_stps.clear();
                state.ro.clear();
                state.h_diag = Some(T::one());
            } else {
                let (Some(d), Some(prev_flat_grad), Some(t_prev)) =
                    (&state.d, &state.prev_flat_grad, t)
                else {
                    unreachable!(
                        "LBFGS state after the first iteration has d, t and prev_flat_grad (checked on load)"
                    );
                };
                let y = sub(&flat_grad, prev_flat_grad);
                let s = scaled(d, t_prev.to_dtype());
                let ys = dot(&y, &s);
                if ys > T::from_f64(1e-10) {
                    if state.old_dirs.len() == c.history_size {
                        state.old_dirs.remove(0);
                        state.old_stps.remove(0);
                        state.ro.remove(0);
                    }
                    let yy = dot(&y, &y);
                    state.old_dirs.push(y);
                    state.old_stps.push(s);
                    state.ro.push(T::one() / ys);
                    state.h_diag = Some(ys / yy);
                }
                state.d = Some(two_loop(state, &flat_grad, c.history_size));
            }
            let Some(d) = state.d.as_deref() else {
                unreachable!("the direction was just set");
            };
            match &mut state.prev_flat_grad {
                Some(prev) => prev.copy_from_slice(&flat_grad),
                None => state.prev_flat_grad = Some(flat_grad.clone()),
            }
            let prev_loss = loss;
            state.prev_loss = Some(prev_loss);

            // The step size.
            let step = if state.n_iter == 1 {
                let inverse = Scalar::Float(1.0) / Scalar::Tensor(abs_sum(&flat_grad));
                py_min(Scalar::Float(1.0), inverse) * Scalar::Float(lr)
            } else {
                Scalar::Float(lr)
            };
            t = Some(step);

            // The directional derivative.
            let gtd = Scalar::Tensor(dot(&flat_grad, d));
            if gtd > Scalar::Float(-tolerance_change) {
                break;
            }

            let mut ls_func_evals = 0;
            let step = match c.line_search {
                LineSearch::StrongWolfe => {
                    let x_init = flat::clone_params(&params);
                    let found = line_search::strong_wolfe(
                        |t: Scalar<T>| {
                            flat::add_to_params(&params, t.to_dtype(), d);
                            let f = signed(evaluate());
                            let g = gather_flat_grad(&params, c.maximize);
                            flat::set_params(&params, &x_init);
                            (f, g)
                        },
                        (step, d),
                        (loss, &flat_grad, gtd),
                        tolerance_change,
                        max_eval.saturating_sub(current_evals),
                    );
                    (loss, flat_grad, ls_func_evals) =
                        (found.loss, found.flat_grad, found.func_evals);
                    flat::add_to_params(&params, found.t.to_dtype(), d);
                    opt_cond = abs_max(&flat_grad) <= tolerance_grad;
                    found.t
                }
                LineSearch::None => {
                    flat::add_to_params(&params, step.to_dtype(), d);
                    // In a stochastic setting a last evaluation is of no use.
                    if n_iter != c.max_iter {
                        loss = signed(evaluate());
                        flat_grad = gather_flat_grad(&params, c.maximize);
                        opt_cond = abs_max(&flat_grad) <= tolerance_grad;
                        ls_func_evals = 1;
                    }
                    step
                }
            };
            t = Some(step);
            current_evals += ls_func_evals;
            state.func_evals += ls_func_evals as u64;

            // The stopping tests.
            if n_iter == c.max_iter || current_evals >= max_eval || opt_cond {
                break;
            }
            let moved = abs_max(&scaled(d, step.to_dtype()));
            if moved <= T::from_f64(tolerance_change) {
                break;
            }
            if (loss - prev_loss).abs() < tolerance_change {
                break;
            }
        }
        state.t = t.map(Scalar::as_f64);
        orig_loss
    }
}

/// The two-loop recursion: `−H·g` for the L-BFGS approximation `H` of the inverse Hessian.
fn two_loop<T: Float>(state: &mut LbfgsState<T>, flat_grad: &[T], history_size: usize) -> Vec<T> {
    let num_old = state.old_dirs.len();
    let al = state
        .al
        .get_or_insert_with(|| vec![T::zero(); history_size]);
    if al.len() < num_old {
        // The history outgrew a `history_size` lowered since (PyTorch would fail here).
        al.resize(num_old, T::zero());
    }
    let history = state.old_dirs.iter().zip(&state.old_stps).zip(&state.ro);
    let mut q = neg(flat_grad);
    for (((y, s), &rho), a) in history.clone().zip(al.iter_mut()).rev() {
        *a = dot(s, &q) * rho;
        add_scaled(&mut q, -*a, y);
    }
    let h_diag = state.h_diag.unwrap_or(T::one());
    let mut r = scaled(&q, h_diag);
    for (((y, s), &rho), &a) in history.zip(al.iter()) {
        let be = dot(y, &r) * rho;
        add_scaled(&mut r, a - be, s);
    }
    r
}

/// Panics unless the state's vectors span `n` elements (the parameters changed since).
#[track_caller]
fn check_state_len<T: Float>(state: &LbfgsState<T>, n: usize) {
    if let Err(OptimError::InvalidLbfgsState { field, reason }) = check_lbfgs_state(state, n) {
        panic!("LBFGS.step: state `{field}` {reason} (the parameter list changed since)");
    }
}

/// Checks that a state fits parameters of `n` elements in all and has every part its
/// iterations made.
fn check_lbfgs_state<T: Float>(state: &LbfgsState<T>, n: usize) -> Result<(), OptimError> {
    let bad = |field, reason: String| Err(OptimError::InvalidLbfgsState { field, reason });
    let vectors = [
        ("d", state.d.as_ref()),
        ("prev_flat_grad", state.prev_flat_grad.as_ref()),
    ];
    for (field, v) in vectors {
        if let Some(v) = v {
            if v.len() != n {
                return bad(
                    field,
                    format!("has {} elements, the parameters have {n}", v.len()),
                );
            }
        }
    }
    for (field, list) in [("old_dirs", &state.old_dirs), ("old_stps", &state.old_stps)] {
        if let Some(v) = list.iter().find(|v| v.len() != n) {
            return bad(
                field,
                format!(
                    "holds a vector of {} elements, the parameters have {n}",
                    v.len()
                ),
            );
        }
    }
    let history = state.old_dirs.len();
    if state.old_stps.len() != history || state.ro.len() != history {
        return bad(
            "old_stps",
            format!(
                "old_dirs, old_stps and ro have {history}, {} and {} entries",
                state.old_stps.len(),
                state.ro.len()
            ),
        );
    }
    if state.n_iter > 0 {
        let missing = [
            ("d", state.d.is_none()),
            ("t", state.t.is_none()),
            ("prev_flat_grad", state.prev_flat_grad.is_none()),
            ("prev_loss", state.prev_loss.is_none()),
            ("H_diag", state.h_diag.is_none()),
        ];
        if let Some((field, _)) = missing.iter().find(|(_, m)| *m) {
            return bad(field, format!("missing after {} iterations", state.n_iter));
        }
    }
    Ok(())
}

impl<T: Float> Optimizer<T> for Lbfgs<T> {
    /// L-BFGS cannot step without re-evaluating the loss.
    ///
    /// # Panics
    ///
    /// Always: call [`Lbfgs::step_with`] with a closure that computes the loss and its
    /// gradients instead.
    #[track_caller]
    fn step(&mut self) {
        panic!(
            "LBFGS.step: L-BFGS re-evaluates the loss several times per step; call \
             Lbfgs::step_with(closure) with a closure that computes the loss, calls backward() \
             and returns the loss"
        );
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

    /// Restores a snapshot; the L-BFGS state (kept under parameter 0, as in PyTorch) must
    /// have vectors as long as all parameters together.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidLbfgsState`] when the saved vectors do not fit the parameters, the
    /// history lists differ in length, or a part is missing after the first iteration (and the
    /// state is kept under another parameter than the first); otherwise as
    /// [`Optimizer::load_state_dict`].
    fn load_state_dict(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        let n = numel(&self.core.groups[0].params);
        for (&index, s) in &state.state {
            if let ParamState::Lbfgs(s) = s {
                if index != 0 {
                    return Err(OptimError::InvalidLbfgsState {
                        field: "state",
                        reason: format!("kept under parameter {index}, expected 0"),
                    });
                }
                check_lbfgs_state(s, n)?;
            }
        }
        self.core.load_state_dict(state)
    }
}
