//! Layers: [`Linear`], [`Sequential`], [`Dropout`], activations, pooling and shape modules.

mod activation;
mod batch_norm;
mod conv;
mod dropout;
mod embedding;
mod flatten;
mod layer_norm;
mod linear;
mod pool;
mod sequential;

pub use activation::{
    CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
    LogSoftmax, Mish, PReLU, RReLU, ReLU, ReLU6, SELU, SiLU, Sigmoid, Softmax, Softmin, Softplus,
    Softshrink, Softsign, Tanh, Tanhshrink, Threshold,
};
pub use batch_norm::BatchNorm1d;
pub use conv::{Conv1d, Conv2d};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use flatten::{Flatten, Identity};
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use pool::{AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d};
pub use sequential::Sequential;
