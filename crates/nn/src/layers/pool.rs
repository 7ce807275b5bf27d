//! Pooling modules: [`MaxPool2d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`],
//! [`AdaptiveMaxPool2d`], and the 1-d [`MaxPool1d`], [`AvgPool1d`].
//!
//! Each wraps the autograd op of the same name (the 1-d ones pool `[N, C, L]` as
//! `[N, C, 1, L]`); constructors take PyTorch's required arguments and builders its
//! optional ones, with its defaults. No parameters.

use std::marker::PhantomData;

use backprop_autograd::{AvgPool2dOptions, Pool2dOptions, Size2, Var};
use backprop_tensor::Float;

use crate::{Module, TrainingFlag};

/// The training flag methods of a parameter-free module (pooling does not depend on it).
macro_rules! training_flag {
    () => {
        fn set_training(&self, training: bool) {
            self.training.set(training);
        }

        fn is_training(&self) -> bool {
            self.training.get()
        }
    };
}

/// 2-d max pooling over the last two axes of `[N, C, H, W]` or `[C, H, W]` (PyTorch's
/// `nn.MaxPool2d`; see [`Var::max_pool2d`]). Sizes are an integer or a (height, width)
/// pair.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{MaxPool2d, Module};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::<f32>::zeros(&[2, 3, 7, 7]));
/// let pool = MaxPool2d::new(3).stride(2).padding(1).ceil_mode(true);
/// assert_eq!(pool.forward(&x).shape(), [2, 3, 4, 4]);
/// ```
#[derive(Debug, Clone)]
pub struct MaxPool2d<T: Float = f32> {
    opts: Pool2dOptions,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> MaxPool2d<T> {
    /// Windows of `kernel_size`; stride = kernel size, no padding, dilation 1.
    pub fn new(kernel_size: impl Into<Size2>) -> Self {
        MaxPool2d {
            opts: Pool2dOptions::new(kernel_size),
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: impl Into<Size2>) -> Self {
        self.opts = self.opts.stride(stride);
        self
    }

    /// Sets the implicit −∞ padding (at most half the kernel size).
    pub fn padding(mut self, padding: impl Into<Size2>) -> Self {
        self.opts = self.opts.padding(padding);
        self
    }

    /// Sets the dilation.
    pub fn dilation(mut self, dilation: impl Into<Size2>) -> Self {
        self.opts = self.opts.dilation(dilation);
        self
    }

    /// Rounds the output size up instead of down.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.opts = self.opts.ceil_mode(ceil_mode);
        self
    }

    /// The options.
    pub fn options(&self) -> Pool2dOptions {
        self.opts
    }
}

impl<T: Float> Module<T> for MaxPool2d<T> {
    /// # Panics
    ///
    /// As [`Var::max_pool2d`].
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        x.max_pool2d(self.opts)
    }

    training_flag!();
}

/// 2-d average pooling over the last two axes of `[N, C, H, W]` or `[C, H, W]` (PyTorch's
/// `nn.AvgPool2d`, same divisors; see [`Var::avg_pool2d`]).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{AvgPool2d, Module};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::<f32>::ones(&[1, 5, 5]));
/// let pool = AvgPool2d::new(2).padding(1).count_include_pad(false);
/// assert_eq!(pool.forward(&x).value().to_vec(), vec![1.0; 9]);
/// ```
#[derive(Debug, Clone)]
pub struct AvgPool2d<T: Float = f32> {
    opts: AvgPool2dOptions,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> AvgPool2d<T> {
    /// Windows of `kernel_size`; stride = kernel size, no padding, `count_include_pad`.
    pub fn new(kernel_size: impl Into<Size2>) -> Self {
        AvgPool2d {
            opts: AvgPool2dOptions::new(kernel_size),
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: impl Into<Size2>) -> Self {
        self.opts = self.opts.stride(stride);
        self
    }

    /// Sets the implicit zero padding (at most half the kernel size).
    pub fn padding(mut self, padding: impl Into<Size2>) -> Self {
        self.opts = self.opts.padding(padding);
        self
    }

    /// Rounds the output size up instead of down.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.opts = self.opts.ceil_mode(ceil_mode);
        self
    }

    /// Whether padded positions count in the divisor.
    pub fn count_include_pad(mut self, count_include_pad: bool) -> Self {
        self.opts = self.opts.count_include_pad(count_include_pad);
        self
    }

    /// Divides every window's sum by `divisor` (non-zero) instead of its size.
    pub fn divisor_override(mut self, divisor: i64) -> Self {
        self.opts = self.opts.divisor_override(divisor);
        self
    }

    /// The options.
    pub fn options(&self) -> AvgPool2dOptions {
        self.opts
    }
}

impl<T: Float> Module<T> for AvgPool2d<T> {
    /// # Panics
    ///
    /// As [`Var::avg_pool2d`].
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        x.avg_pool2d(self.opts)
    }

    training_flag!();
}

/// Adaptive average pooling of `[N, C, H, W]` or `[C, H, W]` to a fixed output size
/// (PyTorch's `nn.AdaptiveAvgPool2d`; see [`Var::adaptive_avg_pool2d`]).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{AdaptiveAvgPool2d, Module};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::<f32>::zeros(&[2, 8, 7, 9]));
/// assert_eq!(AdaptiveAvgPool2d::new(1).forward(&x).shape(), [2, 8, 1, 1]);
/// assert_eq!(AdaptiveAvgPool2d::new((3, 4)).forward(&x).shape(), [2, 8, 3, 4]);
/// ```
#[derive(Debug, Clone)]
pub struct AdaptiveAvgPool2d<T: Float = f32> {
    output_size: Size2,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> AdaptiveAvgPool2d<T> {
    /// Pools to `output_size` (an integer for a square).
    pub fn new(output_size: impl Into<Size2>) -> Self {
        AdaptiveAvgPool2d {
            output_size: output_size.into(),
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }
}

impl<T: Float> Module<T> for AdaptiveAvgPool2d<T> {
    /// # Panics
    ///
    /// As [`Var::adaptive_avg_pool2d`].
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        x.adaptive_avg_pool2d(self.output_size)
    }

    training_flag!();
}

/// Adaptive max pooling of `[N, C, H, W]` or `[C, H, W]` to a fixed output size
/// (PyTorch's `nn.AdaptiveMaxPool2d` without `return_indices`; see
/// [`Var::adaptive_max_pool2d`]).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{AdaptiveMaxPool2d, Module};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::<f32>::zeros(&[8, 7, 9]));
/// assert_eq!(AdaptiveMaxPool2d::new((3, 4)).forward(&x).shape(), [8, 3, 4]);
/// ```
#[derive(Debug, Clone)]
pub struct AdaptiveMaxPool2d<T: Float = f32> {
    output_size: Size2,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> AdaptiveMaxPool2d<T> {
    /// Pools to `output_size` (an integer for a square).
    pub fn new(output_size: impl Into<Size2>) -> Self {
        AdaptiveMaxPool2d {
            output_size: output_size.into(),
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }
}

impl<T: Float> Module<T> for AdaptiveMaxPool2d<T> {
    /// # Panics
    ///
    /// As [`Var::adaptive_max_pool2d`].
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        x.adaptive_max_pool2d(self.output_size)
    }

    training_flag!();
}

/// Applies a 2-d pooling to a `[N, C, L]` or `[C, L]` input viewed as `[N, C, 1, L]`.
#[track_caller]
fn pool_1d<T: Float>(layer: &str, x: &Var<T>, pool: impl FnOnce(&Var<T>) -> Var<T>) -> Var<T> {
    let shape = x.shape();
    assert!(
        matches!(shape.len(), 2 | 3),
        "{layer}: expected an input of shape [N, C, L] or [C, L], got {shape:?}"
    );
    let mut as_2d = shape.clone();
    as_2d.insert(shape.len() - 1, 1);
    let y = pool(&x.reshape(&as_2d));
    let mut out = shape;
    let last = out.len() - 1;
    out[last] = y.shape()[last + 1];
    y.reshape(&out)
}

/// 1-d max pooling over the last axis of `[N, C, L]` or `[C, L]` (PyTorch's
/// `nn.MaxPool1d`).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{MaxPool1d, Module};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![1.0f32, 4.0, 2.0, 3.0, 5.0], &[1, 5]).unwrap());
/// let y = MaxPool1d::new(2).ceil_mode(true).forward(&x);
/// assert_eq!(y.value().to_vec(), vec![4.0, 3.0, 5.0]);
/// ```
#[derive(Debug, Clone)]
pub struct MaxPool1d<T: Float = f32> {
    kernel_size: usize,
    stride: Option<usize>,
    padding: usize,
    dilation: usize,
    ceil_mode: bool,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> MaxPool1d<T> {
    /// Windows of `kernel_size`; stride = kernel size, no padding, dilation 1.
    pub fn new(kernel_size: usize) -> Self {
        MaxPool1d {
            kernel_size,
            stride: None,
            padding: 0,
            dilation: 1,
            ceil_mode: false,
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = Some(stride);
        self
    }

    /// Sets the implicit −∞ padding (at most half the kernel size).
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// Sets the dilation.
    pub fn dilation(mut self, dilation: usize) -> Self {
        self.dilation = dilation;
        self
    }

    /// Rounds the output size up instead of down.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }
}

impl<T: Float> Module<T> for MaxPool1d<T> {
    /// # Panics
    ///
    /// If the input does not have 2 or 3 axes, and otherwise as [`Var::max_pool2d`].
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let opts = Pool2dOptions::new((1, self.kernel_size))
            .stride((1, self.stride.unwrap_or(self.kernel_size)))
            .padding((0, self.padding))
            .dilation((1, self.dilation))
            .ceil_mode(self.ceil_mode);
        pool_1d("MaxPool1d", x, |x| x.max_pool2d(opts))
    }

    training_flag!();
}

/// 1-d average pooling over the last axis of `[N, C, L]` or `[C, L]` (PyTorch's
/// `nn.AvgPool1d`).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{AvgPool1d, Module};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![1.0f32, 3.0, 5.0], &[1, 3]).unwrap());
/// let y = AvgPool1d::new(2).stride(1).forward(&x);
/// assert_eq!(y.value().to_vec(), vec![2.0, 4.0]);
/// ```
#[derive(Debug, Clone)]
pub struct AvgPool1d<T: Float = f32> {
    kernel_size: usize,
    stride: Option<usize>,
    padding: usize,
    ceil_mode: bool,
    count_include_pad: bool,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> AvgPool1d<T> {
    /// Windows of `kernel_size`; stride = kernel size, no padding, `count_include_pad`.
    pub fn new(kernel_size: usize) -> Self {
        AvgPool1d {
            kernel_size,
            stride: None,
            padding: 0,
            ceil_mode: false,
            count_include_pad: true,
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = Some(stride);
        self
    }

    /// Sets the implicit zero padding (at most half the kernel size).
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// Rounds the output size up instead of down.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// Whether padded positions count in the divisor.
    pub fn count_include_pad(mut self, count_include_pad: bool) -> Self {
        self.count_include_pad = count_include_pad;
        self
    }
}

impl<T: Float> Module<T> for AvgPool1d<T> {
    /// # Panics
    ///
    /// If the input does not have 2 or 3 axes, and otherwise as [`Var::avg_pool2d`].
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let opts = AvgPool2dOptions::new((1, self.kernel_size))
            .stride((1, self.stride.unwrap_or(self.kernel_size)))
            .padding((0, self.padding))
            .ceil_mode(self.ceil_mode)
            .count_include_pad(self.count_include_pad);
        pool_1d("AvgPool1d", x, |x| x.avg_pool2d(opts))
    }

    training_flag!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use backprop_tensor::Tensor;

    #[test]
    fn pooling_has_no_parameters() {
        assert!(Module::<f32>::parameters(&MaxPool2d::new(2)).is_empty());
        assert!(Module::<f32>::parameters(&AvgPool1d::new(2)).is_empty());
    }

    #[test]
    fn pool_1d_keeps_the_batch_axes() {
        let x = Var::new(Tensor::<f64>::zeros(&[2, 3, 9]));
        assert_eq!(MaxPool1d::new(3).forward(&x).shape(), [2, 3, 3]);
        assert_eq!(AvgPool1d::new(2).padding(1).forward(&x).shape(), [2, 3, 5]);
    }

    #[test]
    #[should_panic(expected = "MaxPool1d: expected an input of shape [N, C, L] or [C, L]")]
    fn pool_1d_of_a_4d_input_panics() {
        MaxPool1d::new(2).forward(&Var::new(Tensor::<f64>::zeros(&[1, 1, 2, 2])));
    }
}
