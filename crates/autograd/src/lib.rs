//! # backprop-autograd
//!
//! Define-by-run reverse-mode automatic differentiation over
//! [`backprop_tensor::Tensor`], in the manner of PyTorch's autograd.
//!
//! - [`Var`] is a tensor that records the op that produced it, so the forward pass builds
//!   the graph as it runs; [`Var::backward`] applies the chain rule from the output back to
//!   every leaf that requires gradients, visiting each node once and reusing each upstream
//!   gradient; gradients accumulate across calls as in PyTorch.
//! - [`no_grad`] turns recording off (evaluation, optimizer updates); [`detect_anomaly`]
//!   names the first op whose forward or backward produced NaN/Inf, with the source line.
//! - [`grad`] with [`BackwardOptions::create_graph`] records the backward pass itself, for
//!   second derivatives, Hessian-vector products and gradient penalties.
//! - [`Var::to_dot`] writes the graph as Graphviz DOT; [`trace_backward`] records each
//!   backward step (node, upstream gradient, local derivative, product).
//! - Every op lives in its own file under `src/ops/` with its math, forward, backward and
//!   gradient-check cases; [`gradcheck`] and [`gradgradcheck`] (finite differences in f64)
//!   are public so you can check your own ops the same way.
//!
//! ```
//! use backprop_autograd::Var;
//! use backprop_tensor::Tensor;
//!
//! // y = e^{sin(x²)}, dy/dx = e^{sin(x²)} · cos(x²) · 2x
//! let x = Var::parameter(Tensor::scalar(0.7f64));
//! let y = x.powf(2.0).sin().exp();
//! y.backward();
//! let x0 = 0.7f64;
//! let expected = (x0 * x0).sin().exp() * (x0 * x0).cos() * 2.0 * x0;
//! assert!((x.grad().unwrap().item() - expected).abs() < 1e-12);
//! ```

mod backward;
pub mod checks;
mod dot;
mod engine;
mod gradcheck;
mod mode;
mod operators;
mod ops;
mod trace;
mod var;

pub use backward::{Backward, BackwardCtx, backward_on_tensors};
pub use checks::{CheckRow, GradCase, OpInfo, SecondOrder, run_checks, run_checks_on};
pub use engine::{BackwardOptions, grad};
pub use gradcheck::{CheckFn, GradCheckConfig, GradCheckReport, gradcheck, gradgradcheck};
pub use mode::{
    GradModeGuard, detect_anomaly, is_anomaly_enabled, is_grad_enabled, no_grad,
    set_detect_anomaly, set_grad_enabled,
};
pub use ops::{
    AvgPool2dOptions, Conv1dOptions, Conv2dOptions, CrossEntropyTarget, Pool2dOptions, Size2,
    registry,
};
pub use trace::{TraceStep, trace_backward};
pub use var::{Hook, Var};

pub use backprop_tensor::{self as tensor, Float, Tensor};
