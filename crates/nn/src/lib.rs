//! # backprop-nn
//!
//! Neural-network building blocks on top of [`backprop_autograd`], shaped like PyTorch's
//! `torch.nn`:
//!
//! - [`Module`]: the trait every layer and model implements — `forward`, plus
//!   `children`/`local_parameters`/`local_buffers` from which dotted parameter names
//!   (`"fc1.weight"`), `parameters`, buffers, `zero_grad`, `train`/`eval` and state dicts are
//!   derived;
//! - layers: [`Linear`], convolutions ([`Conv2d`], [`Conv1d`]), [`Sequential`], [`Dropout`],
//!   normalization ([`LayerNorm`], [`BatchNorm1d`] with running statistics as buffers),
//!   [`Embedding`], activations ([`ReLU`], [`GELU`], [`PReLU`] with a learned slope,
//!   [`RReLU`], [`GLU`], [`Softmin`], ...),
//!   pooling ([`MaxPool2d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`], [`AdaptiveMaxPool2d`],
//!   [`MaxPool1d`], [`AvgPool1d`]) and [`Flatten`], [`Identity`];
//! - [`init`]: PyTorch's initialisation schemes (uniform, normal, xavier, kaiming, ...);
//! - losses with [`Reduction`]: [`CrossEntropyLoss`] (fused and stable, with class
//!   weights, `ignore_index`, label smoothing and probability targets), [`NLLLoss`],
//!   [`MSELoss`], [`L1Loss`], [`HuberLoss`], [`SmoothL1Loss`], [`BCELoss`],
//!   [`BCEWithLogitsLoss`], [`KLDivLoss`], the margin and embedding losses
//!   ([`MarginRankingLoss`], [`HingeEmbeddingLoss`], [`SoftMarginLoss`],
//!   [`MultiLabelSoftMarginLoss`], [`MultiMarginLoss`], [`CosineEmbeddingLoss`],
//!   [`TripletMarginLoss`]) and the likelihoods [`PoissonNLLLoss`], [`GaussianNLLLoss`],
//!   and the same as functions in [`functional`];
//! - state dicts (parameters and buffers): [`Module::state_dict`],
//!   [`Module::load_state_dict`] and safetensors
//!   files ([`save_safetensors`], [`load_safetensors`]) with PyTorch's key names, so
//!   weights move between PyTorch and this library both ways.
//!
//! Layers and losses only compose autograd ops; every derivative lives with its op in
//! `backprop-autograd`, where it is gradient-checked.
//!
//! # Examples
//!
//! A two-layer network trained by plain gradient descent on a toy problem:
//!
//! ```
//! use backprop_autograd::{no_grad, Var};
//! use backprop_nn::{CrossEntropyLoss, Linear, Module, ReLU, Sequential};
//! use backprop_tensor::{Rng, Tensor};
//!
//! let mut rng = Rng::seed_from_u64(0);
//! let model = Sequential::new()
//!     .add(Linear::new(2, 16, &mut rng))
//!     .add(ReLU::new())
//!     .add(Linear::new(16, 2, &mut rng));
//! // Class 1 when x0 > x1.
//! let x = Tensor::<f32>::randn(&[64, 2], &mut rng);
//! let y: Vec<usize> = x.to_vec().chunks(2).map(|r| usize::from(r[0] > r[1])).collect();
//! let y = Tensor::from_vec(y, &[64]).unwrap();
//! let loss_fn = CrossEntropyLoss::new();
//!
//! let first = loss_fn.forward(&model.forward(&Var::new(x.clone())), &y).item();
//! for _ in 0..100 {
//!     model.zero_grad();
//!     let loss = loss_fn.forward(&model.forward(&Var::new(x.clone())), &y);
//!     loss.backward();
//!     no_grad(|| {
//!         for p in model.parameters() {
//!             let g = p.grad().unwrap();
//!             p.data_mut().add_scaled_(-0.5, &g);
//!         }
//!     });
//! }
//! let last = loss_fn.forward(&model.forward(&Var::new(x)), &y).item();
//! assert!(last < first / 3.0, "{first} -> {last}");
//! ```

pub mod checks;
mod error;
pub mod functional;
pub mod init;
mod layers;
mod losses;
mod module;
mod state_dict;

pub use error::LayerError;
pub use layers::{
    AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, BatchNorm1d, CELU, Conv1d, Conv2d,
    Dropout, ELU, Embedding, Flatten, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh,
    Identity, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax, MaxPool1d, MaxPool2d, Mish,
    PReLU, RReLU, ReLU, ReLU6, SELU, Sequential, SiLU, Sigmoid, Softmax, Softmin, Softplus,
    Softshrink, Softsign, Tanh, Tanhshrink, Threshold,
};
pub use losses::{
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
    HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, MarginRankingLoss,
    MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss, Reduction, SmoothL1Loss,
    SoftMarginLoss, TripletMarginLoss,
};
pub use module::{Module, TrainingFlag};
pub use state_dict::{
    StateDictError, load_safetensors, read_safetensors, save_safetensors, write_safetensors,
};
