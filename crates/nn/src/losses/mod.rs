//! Loss functions: a struct per loss with builder options and a `forward`, and the same
//! losses as plain functions in [`functional`](crate::functional).
//!
//! Every loss takes a [`Reduction`] (default [`Reduction::Mean`]) and is written to stay
//! finite — value and gradient — for logits as large as ±1e4 in f32.

mod bce;
mod cross_entropy;
mod nll;
mod regression;

pub use bce::BCEWithLogitsLoss;
pub use cross_entropy::CrossEntropyLoss;
pub use nll::NLLLoss;
pub use regression::{HuberLoss, L1Loss, MSELoss, SmoothL1Loss};

use backprop_autograd::Var;
use backprop_tensor::Float;

/// How per-element losses are combined (PyTorch's `reduction` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// The mean (for class losses with weights, the weighted mean: divided by the sum of
    /// the weights of the targets, as PyTorch).
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// No reduction: one loss per element (or per sample for class losses).
    None,
}

/// Applies a plain (unweighted) reduction.
pub(crate) fn reduce<T: Float>(loss: Var<T>, reduction: Reduction) -> Var<T> {
    match reduction {
        Reduction::Mean => loss.mean(),
        Reduction::Sum => loss.sum(),
        Reduction::None => loss,
    }
}

/// Panics unless an elementwise loss's input and target have the same shape.
#[track_caller]
pub(crate) fn check_same_shape<T: Float>(loss: &str, input: &Var<T>, target: &Var<T>) {
    let (a, b) = (input.shape(), target.shape());
    assert!(
        a == b,
        "{loss}: input of shape {a:?} and target of shape {b:?} differ"
    );
}
