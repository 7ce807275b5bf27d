//! # backprop
//!
//! A small, correct and fast CPU deep-learning library: define-by-run autodiff, layers,
//! losses, optimizers and data loading, with PyTorch's semantics and numbers.
//!
//! This crate only re-exports the workspace's crates, each usable on its own:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`tensor`] | `backprop-tensor` | n-d tensors, broadcasting math, matmul, RNG |
//! | [`autograd`] | `backprop-autograd` | the graph, backward, every differentiable op, gradcheck |
//! | [`nn`] | `backprop-nn` | modules, layers, activations, losses, init, state dicts |
//! | [`optim`] | `backprop-optim` | optimizers, LR schedulers, gradient clipping |
//! | [`data`] | `backprop-data` | datasets, CSV, splits, scaling, `DataLoader` |
//! | [`checkpoint`] | `backprop-checkpoint` | atomic, checksummed checkpoints to resume training |
//!
//! ```
//! use backprop::prelude::*;
//!
//! let x = Var::parameter(Tensor::scalar(2.0f64));
//! let y = x.mul(&x).add_scalar(1.0); // y = x² + 1
//! y.backward();
//! assert_eq!(x.grad().unwrap().item(), 4.0);
//! ```

pub use backprop_autograd as autograd;
pub use backprop_checkpoint as checkpoint;
pub use backprop_data as data;
pub use backprop_nn as nn;
pub use backprop_optim as optim;
pub use backprop_tensor as tensor;

/// The names most programs need: `use backprop::prelude::*;`.
pub mod prelude {
    pub use backprop_autograd::{BackwardOptions, Var, grad, no_grad};
    pub use backprop_tensor::{Float, Rng, Tensor};
}

/// The README's code, compiled and run as a doctest so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The guide in `docs/guide/`, compiled and run as doctests so that its code stays true to
/// the API (`cargo test --doc -p backprop`).
#[cfg(doctest)]
mod guide {
    #[doc = include_str!("../docs/guide/01-forward.md")]
    struct Forward;
    #[doc = include_str!("../docs/guide/02-loss.md")]
    struct Loss;
    #[doc = include_str!("../docs/guide/03-chain-rule.md")]
    struct ChainRule;
    #[doc = include_str!("../docs/guide/04-backward.md")]
    struct Backward;
    #[doc = include_str!("../docs/guide/05-optimizers.md")]
    struct Optimizers;
    #[doc = include_str!("../docs/guide/06-training-loop.md")]
    struct TrainingLoop;
    #[doc = include_str!("../docs/guide/07-checking.md")]
    struct Checking;
}
