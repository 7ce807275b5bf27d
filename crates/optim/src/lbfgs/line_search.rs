//! The strong-Wolfe line search of PyTorch's L-BFGS (`_strong_wolfe` and `_cubic_interpolate`
//! in `torch/optim/lbfgs.py`, themselves ports of minFunc's `lswolfe.lua` and
//! `polyinterp.lua`), with its mixture of Python floats and 0-dim tensors kept (see
//! [`Scalar`]).
//!
//! Along the direction `d` from `x`, with `φ(t) = f(x + t·d)` and `φ'(t) = ∇f(x + t·d)·d`, it
//! looks for a step `t` with
//!
//! ```text
//! φ(t) ≤ φ(0) + c₁·t·φ'(0)        (sufficient decrease, c₁ = 1e-4)
//! |φ'(t)| ≤ −c₂·φ'(0)             (curvature, c₂ = 0.9)
//! ```
//!
//! first bracketing such a step (growing `t` by cubic extrapolation, at most ×10 per trial),
//! then shrinking the bracket by cubic interpolation, each trial kept at least a tenth of the
//! bracket away from its ends once a trial landed near one. At most `max_ls` trials follow the
//! first.

use backprop_tensor::Float;

use super::flat::{abs_max, dot};
use super::scalar::{Scalar, py_max, py_min};

/// The sufficient-decrease constant c₁.
const C1: f64 = 1e-4;
/// The curvature constant c₂.
const C2: f64 = 0.9;

/// PyTorch's `_cubic_interpolate`: the minimizer of the cubic through `(x1, f1)` and
/// `(x2, f2)` with slopes `g1` and `g2`, clamped to `bounds` (by default the interval between
/// the two points); the interval's midpoint when the cubic has no minimizer.
///
/// ```text
/// d₁ = g₁ + g₂ − 3·(f₁ − f₂)/(x₁ − x₂)
/// d₂ = √(d₁² − g₁·g₂)
/// x  = x₂ − (x₂ − x₁)·(g₂ + d₂ − d₁)/(g₂ − g₁ + 2·d₂)     (x₁ ≤ x₂; mirrored otherwise)
/// ```
pub(crate) fn cubic_interpolate<T: Float>(
    (x1, f1, g1): (Scalar<T>, Scalar<T>, Scalar<T>),
    (x2, f2, g2): (Scalar<T>, Scalar<T>, Scalar<T>),
    bounds: Option<(Scalar<T>, Scalar<T>)>,
) -> Scalar<T> {
    let (xmin_bound, xmax_bound) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let three = Scalar::Float(3.0);
    let two = Scalar::Float(2.0);
    let d1 = g1 + g2 - three * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= Scalar::Float(0.0) {
        let d2 = d2_square.sqrt();
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + two * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + two * d2))
        };
        py_min(py_max(min_pos, xmin_bound), xmax_bound)
    } else {
        (xmin_bound + xmax_bound) / two
    }
}

/// What the line search found: the loss and flat gradient at `x + t·d`, the step `t`, and how
/// many times it evaluated the objective.
pub(crate) struct Found<T> {
    pub(crate) loss: f64,
    pub(crate) flat_grad: Vec<T>,
    pub(crate) t: Scalar<T>,
    pub(crate) func_evals: usize,
}

/// Two trial points: step, loss, flat gradient and directional derivative of each.
struct Bracket<T> {
    t: [Scalar<T>; 2],
    f: [f64; 2],
    g: [Vec<T>; 2],
    gtd: [Scalar<T>; 2],
}

impl<T: Float> Bracket<T> {
    /// `(low_pos, high_pos)`: the point with the lower loss first (the first on a tie).
    fn low_high(&self) -> (usize, usize) {
        if self.f[0] <= self.f[1] {
            (0, 1)
        } else {
            (1, 0)
        }
    }
}

/// PyTorch's `_strong_wolfe` from loss `f`, flat gradient `g` and directional derivative
/// `gtd` at `x`, starting with step `t`. `evaluate(t)` returns the loss and flat gradient at
/// `x + t·d` (and leaves the parameters at `x`).
///
/// One difference from PyTorch: with `max_ls` negative (an L-BFGS `max_eval` below the number
/// of evaluations already made) PyTorch fails with a `NameError`; the caller passes 0 instead,
/// so the search makes its one evaluation and returns the better of `0` and `t`.
pub(crate) fn strong_wolfe<T: Float>(
    mut evaluate: impl FnMut(Scalar<T>) -> (f64, Vec<T>),
    start: (Scalar<T>, &[T]),
    (f, g, gtd): (f64, &[T], Scalar<T>),
    tolerance_change: f64,
    max_ls: usize,
) -> Found<T> {
    use Scalar::{Float as Py, Tensor as Ten};
    let (mut t, d) = start;
    let d_norm = Ten(abs_max(d));
    // Sufficient decrease fails at step `t` with loss `f_new`: `f_new > f + c₁·t·gtd`.
    let armijo_fails = |t: Scalar<T>, f_new: f64| Py(f_new) > Py(f) + Py(C1) * t * gtd;
    // The curvature condition: `|gtd_new| ≤ −c₂·gtd`.
    let curvature_holds = |gtd_new: Scalar<T>| gtd_new.abs() <= Py(-C2) * gtd;

    let (mut f_new, mut g_new) = evaluate(t);
    let mut ls_func_evals = 1;
    let mut gtd_new = Ten(dot(&g_new, d));

    // Bracketing phase.
    let (mut t_prev, mut f_prev, mut g_prev, mut gtd_prev) = (Py(0.0), f, g.to_vec(), gtd);
    let mut done = false;
    let mut ls_iter = 0;
    let mut bracket = None;
    while ls_iter < max_ls {
        let too_high = armijo_fails(t, f_new) || (ls_iter > 1 && f_new >= f_prev);
        if !too_high && curvature_holds(gtd_new) {
            // PyTorch's one-point bracket `[t]`, written as two equal points.
            bracket = Some(Bracket {
                t: [t, t],
                f: [f_new, f_new],
                g: [g_new.clone(), g_new.clone()],
                gtd: [gtd_new, gtd_new],
            });
            done = true;
            break;
        }
        if too_high || gtd_new >= Py(0.0) {
            // A minimizer lies between the previous step and this one (PyTorch tests the two
            // cases apart, before and after the curvature test, with identical bodies).
            bracket = Some(Bracket {
                t: [t_prev, t],
                f: [f_prev, f_new],
                g: [g_prev, g_new.clone()],
                gtd: [gtd_prev, gtd_new],
            });
            break;
        }
        // Extrapolate, at least 1% and at most 10× beyond the current step.
        let min_step = t + Py(0.01) * (t - t_prev);
        let max_step = t * Py(10.0);
        let tmp = t;
        t = cubic_interpolate(
            (t_prev, Py(f_prev), gtd_prev),
            (t, Py(f_new), gtd_new),
            Some((min_step, max_step)),
        );
        t_prev = tmp;
        f_prev = f_new;
        g_prev = g_new;
        gtd_prev = gtd_new;
        (f_new, g_new) = evaluate(t);
        ls_func_evals += 1;
        gtd_new = Ten(dot(&g_new, d));
        ls_iter += 1;
    }
    let mut bracket = match bracket {
        Some(b) => b,
        // Out of trials: between 0 and the last step (PyTorch leaves `bracket_gtd` unset
        // here; the zoom below does not run, so it is never read).
        None => Bracket {
            t: [Py(0.0), t],
            f: [f, f_new],
            g: [g.to_vec(), g_new],
            gtd: [gtd, gtd_new],
        },
    };

    // Zoom phase: shrink the bracket until a point satisfies both conditions.
    let mut insuf_progress = false;
    let (mut low, mut high) = bracket.low_high();
    while !done && ls_iter < max_ls {
        if (bracket.t[1] - bracket.t[0]).abs() * d_norm < Py(tolerance_change) {
            break;
        }
        t = cubic_interpolate(
            (bracket.t[0], Py(bracket.f[0]), bracket.gtd[0]),
            (bracket.t[1], Py(bracket.f[1]), bracket.gtd[1]),
            None,
        );
        // A trial within a tenth of the bracket from an end makes little progress; after two
        // such trials in a row, or one at or beyond an end, move it a tenth inside.
        let b_max = py_max(bracket.t[0], bracket.t[1]);
        let b_min = py_min(bracket.t[0], bracket.t[1]);
        let eps = Py(0.1) * (b_max - b_min);
        if py_min(b_max - t, t - b_min) < eps {
            if insuf_progress || t >= b_max || t <= b_min {
                t = if (t - b_max).abs() < (t - b_min).abs() {
                    b_max - eps
                } else {
                    b_min + eps
                };
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }

        (f_new, g_new) = evaluate(t);
        ls_func_evals += 1;
        gtd_new = Ten(dot(&g_new, d));
        ls_iter += 1;

        if armijo_fails(t, f_new) || f_new >= bracket.f[low] {
            // Not low enough: the trial replaces the high end.
            bracket.t[high] = t;
            bracket.f[high] = f_new;
            bracket.g[high] = g_new;
            bracket.gtd[high] = gtd_new;
            (low, high) = bracket.low_high();
        } else {
            if curvature_holds(gtd_new) {
                done = true;
            } else if gtd_new * (bracket.t[high] - bracket.t[low]) >= Py(0.0) {
                // The old high end becomes the new low end.
                bracket.t[high] = bracket.t[low];
                bracket.f[high] = bracket.f[low];
                bracket.g[high] = bracket.g[low].clone();
                bracket.gtd[high] = bracket.gtd[low];
            }
            // The trial becomes the new low end.
            bracket.t[low] = t;
            bracket.f[low] = f_new;
            bracket.g[low] = g_new;
            bracket.gtd[low] = gtd_new;
        }
    }

    let [g0, g1] = bracket.g;
    Found {
        loss: bracket.f[low],
        flat_grad: if low == 0 { g0 } else { g1 },
        t: bracket.t[low],
        func_evals: ls_func_evals,
    }
}
