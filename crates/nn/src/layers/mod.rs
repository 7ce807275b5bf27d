//! Layers: [`Linear`], [`Sequential`], [`Dropout`], activations and shape modules.

mod activation;
mod batch_norm;
mod dropout;
mod embedding;
mod flatten;
mod layer_norm;
mod linear;
mod sequential;

pub use activation::{
    ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, ReLU,
    SELU, SiLU, Sigmoid, Softmax, Softplus, Softsign, Tanh,
};
pub use batch_norm::BatchNorm1d;
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use flatten::{Flatten, Identity};
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use sequential::Sequential;
