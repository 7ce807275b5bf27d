//! Layers: [`Linear`], [`Sequential`], [`Dropout`], activations and shape modules.

mod activation;
mod dropout;
mod flatten;
mod linear;
mod sequential;

pub use activation::{GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh};
pub use dropout::Dropout;
pub use flatten::{Flatten, Identity};
pub use linear::Linear;
pub use sequential::Sequential;
