//! # backprop-tensor
//!
//! n-dimensional tensors for the `backprop` deep-learning library, stored in
//! [`ndarray`] arrays, with element type `f32` (the default) or `f64`.
//!
//! - creation: [`Tensor::zeros`], [`Tensor::ones`], [`Tensor::full`], [`Tensor::from_vec`]
//!   (a `Result`), [`Tensor::arange`], [`Tensor::eye`], and random tensors from a seedable
//!   [`Rng`];
//! - shape: reshape, permute/transpose, broadcast_to, squeeze/unsqueeze, concat, stack,
//!   narrow, index_select, gather;
//! - elementwise math with NumPy/PyTorch broadcasting, scalar operands, comparisons to
//!   `Tensor<bool>` masks and [`Tensor::where_cond`];
//! - reductions over all elements or chosen axes (sum, mean, max, min, argmax, argmin, var);
//! - [`Tensor::matmul`] for 2-D and batched 3-D operands;
//! - serde (de)serialization as shape plus data.
//!
//! Matrix products run on up to [`num_threads`] threads (default: the environment variable
//! `BACKPROP_NUM_THREADS`, else the available cores; change it with [`set_num_threads`]).
//! Results are bitwise the same for every thread count.
//!
//! Programmer errors (mismatched shapes, an axis out of range) panic with a message naming the
//! operation and the shapes, pointing at the caller's line. Data from outside the program goes
//! through fallible constructors such as [`Tensor::from_vec`].
//!
//! ```
//! use backprop_tensor::{Rng, Tensor};
//!
//! let mut rng = Rng::seed_from_u64(0);
//! let x = Tensor::<f32>::randn(&[4, 3], &mut rng);
//! let w = Tensor::<f32>::ones(&[3, 2]);
//! let y = x.matmul(&w).relu();
//! assert_eq!(y.shape(), &[4, 2]);
//! assert!(y.min_all().item() >= 0.0);
//! ```

mod broadcast;
mod element;
mod elementwise;
mod error;
mod gemm;
mod inplace;
mod matmul;
mod memory;
mod pool;
mod random;
mod reduce;
mod shape;
mod simd;
mod team;
mod tensor;
mod threads;
mod vmath;

pub use broadcast::broadcast_shape;
pub use element::{DType, Float};
pub use elementwise::{sigmoid, softplus};
pub use error::TensorError;
pub use memory::keep_freed_memory;
pub use random::Rng;
pub use reduce::reduced_shape;
pub use simd::vectorized;
pub use tensor::Tensor;
pub use threads::{
    PARALLEL_MIN_ELEMENTS, num_threads, parallel_chunk_len, parallel_for_each, set_num_threads,
};

pub use ndarray;
