//! [`Conv2d`] and [`Conv1d`]: convolutions over images `[N, C, H, W]` and sequences
//! `[N, C, L]`.

use backprop_autograd::{Conv1dOptions, Conv2dOptions, Size2, Var};
use backprop_tensor::{Float, Rng, Tensor};

use crate::init::{self, FanMode, Nonlinearity};
use crate::{LayerError, Module, TrainingFlag};

/// PyTorch's default initialisation of a convolution of weight shape `shape`
/// (`[C_out, C_in/groups, k…]`): the weight by `kaiming_uniform_` with a = √5, which is
/// U(-1/√fan_in, 1/√fan_in) with fan_in = C_in/groups · Πk, and the bias from the same
/// interval.
fn default_init<T: Float>(shape: &[usize], bias: bool, rng: &mut Rng) -> (Var<T>, Option<Var<T>>) {
    let weight = init::kaiming_uniform(
        shape,
        5f64.sqrt(),
        FanMode::FanIn,
        Nonlinearity::LeakyReLU,
        rng,
    );
    let fan_in: usize = shape[1..].iter().product();
    let bias = bias.then(|| {
        let bound = if fan_in > 0 {
            1.0 / (fan_in as f64).sqrt()
        } else {
            0.0
        };
        init::uniform(&[shape[0]], -bound, bound, rng)
    });
    (Var::parameter(weight), bias.map(Var::parameter))
}

/// Checks that `groups` divides both channel counts, for the constructors.
#[track_caller]
fn check_groups(layer: &str, in_channels: usize, out_channels: usize, groups: usize) {
    assert!(
        groups > 0 && in_channels % groups == 0 && out_channels % groups == 0,
        "{layer}: in_channels = {in_channels} and out_channels = {out_channels} must both be \
         divisible by groups = {groups}"
    );
}

/// Checks a weight and bias handed to `from_weights` against the convolution's rank.
fn check_weights<T: Float>(
    layer: &'static str,
    ndim: usize,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
) -> Result<(), LayerError> {
    let expected = if ndim == 4 {
        "[out, in/groups, kH, kW]"
    } else {
        "[out, in/groups, k]"
    };
    if weight.ndim() != ndim {
        return Err(LayerError::Shape {
            layer,
            reason: format!("weight must be {expected}, got {:?}", weight.shape()),
        });
    }
    let out = weight.shape()[0];
    match bias {
        Some(b) if b.shape() != [out] => Err(LayerError::Shape {
            layer,
            reason: format!(
                "bias must be [{out}] for weight {:?}, got {:?}",
                weight.shape(),
                b.shape()
            ),
        }),
        _ => Ok(()),
    }
}

/// A 2-D convolution over `[N, C_in, H, W]` (or unbatched `[C_in, H, W]`) with a learned
/// kernel, PyTorch's `nn.Conv2d` (see [`Var::conv2d`] for the output size).
///
/// The weight is stored `[out_channels, in_channels/groups, kH, kW]` and the bias
/// `[out_channels]`, with PyTorch's names (`weight`, `bias`) and layout, so state dicts move
/// between the two libraries unchanged.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Conv2d, Module};
/// use backprop_tensor::{Rng, Tensor};
///
/// let conv = Conv2d::<f32>::new(3, 8, 3, &mut Rng::seed_from_u64(0)).with_padding(1).with_stride(2);
/// let x = Var::new(Tensor::zeros(&[4, 3, 32, 32]));
/// assert_eq!(conv.forward(&x).shape(), [4, 8, 16, 16]);
/// assert_eq!(conv.weight.shape(), [8, 3, 3, 3]);
/// ```
#[derive(Debug, Clone)]
pub struct Conv2d<T: Float = f32> {
    /// The kernel, `[out_channels, in_channels/groups, kH, kW]`.
    pub weight: Var<T>,
    /// The bias, `[out_channels]`, if the layer has one.
    pub bias: Option<Var<T>>,
    /// Stride, zero padding, dilation and groups.
    pub options: Conv2dOptions,
    training: TrainingFlag,
}

impl<T: Float> Conv2d<T> {
    /// A layer with stride 1, no padding, dilation 1, one group and a bias, initialised as
    /// PyTorch does (see [`with_options`](Conv2d::with_options)). `kernel_size` is `k` or
    /// `(kH, kW)`.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Size2>,
        rng: &mut Rng,
    ) -> Self {
        Self::with_options(
            in_channels,
            out_channels,
            kernel_size,
            Conv2dOptions::default(),
            true,
            rng,
        )
    }

    /// A layer with the given options and with or without a bias, with PyTorch's default
    /// initialisation: weight and bias drawn from U(-1/√fan_in, 1/√fan_in), fan_in =
    /// in_channels/groups · kH · kW (the weight through `kaiming_uniform_` with a = √5).
    ///
    /// # Panics
    ///
    /// If `groups` is zero or does not divide both channel counts.
    #[track_caller]
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Size2>,
        options: Conv2dOptions,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        check_groups("Conv2d", in_channels, out_channels, options.groups);
        let Size2(kh, kw) = kernel_size.into();
        let shape = [out_channels, in_channels / options.groups, kh, kw];
        let (weight, bias) = default_init(&shape, bias, rng);
        Conv2d {
            weight,
            bias,
            options,
            training: TrainingFlag::new(),
        }
    }

    /// A layer with the given weight `[out, in/groups, kH, kW]`, optional bias `[out]` and
    /// options.
    ///
    /// # Errors
    ///
    /// [`LayerError::Shape`] if the weight is not 4-D or the bias is not `[out]`.
    pub fn from_weights(
        weight: Tensor<T>,
        bias: Option<Tensor<T>>,
        options: Conv2dOptions,
    ) -> Result<Self, LayerError> {
        check_weights("Conv2d", 4, &weight, bias.as_ref())?;
        Ok(Conv2d {
            weight: Var::parameter(weight),
            bias: bias.map(Var::parameter),
            options,
            training: TrainingFlag::new(),
        })
    }

    /// Sets the stride (`s` or `(sH, sW)`), builder style.
    pub fn with_stride(mut self, stride: impl Into<Size2>) -> Self {
        self.options = self.options.stride(stride);
        self
    }

    /// Sets the zero padding (`p` or `(pH, pW)`), builder style.
    pub fn with_padding(mut self, padding: impl Into<Size2>) -> Self {
        self.options = self.options.padding(padding);
        self
    }

    /// Sets the dilation (`d` or `(dH, dW)`), builder style.
    pub fn with_dilation(mut self, dilation: impl Into<Size2>) -> Self {
        self.options = self.options.dilation(dilation);
        self
    }

    /// Keeps the bias (`true`) or drops it (`false`), builder style; a bias added back
    /// starts at zero.
    pub fn with_bias(mut self, bias: bool) -> Self {
        if !bias {
            self.bias = None;
        } else if self.bias.is_none() {
            self.bias = Some(Var::parameter(Tensor::zeros(&[self.out_channels()])));
        }
        self
    }

    /// The number of input channels.
    pub fn in_channels(&self) -> usize {
        self.weight.shape()[1] * self.options.groups
    }

    /// The number of output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.shape()[0]
    }

    /// The kernel's extent, `(kH, kW)`.
    pub fn kernel_size(&self) -> (usize, usize) {
        let s = self.weight.shape();
        (s[2], s[3])
    }
}

impl<T: Float> Module<T> for Conv2d<T> {
    /// The convolution of `x` `[N, C_in, H, W]` (or `[C_in, H, W]`, giving
    /// `[C_out, H_out, W_out]`).
    ///
    /// # Panics
    ///
    /// As [`Var::conv2d`], if `x` does not fit the layer.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let s = x.shape();
        if s.len() == 3 {
            let y = x.reshape(&[1, s[0], s[1], s[2]]).conv2d(
                &self.weight,
                self.bias.as_ref(),
                self.options,
            );
            let sy = y.shape();
            return y.reshape(&sy[1..]);
        }
        x.conv2d(&self.weight, self.bias.as_ref(), self.options)
    }

    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        let mut p = vec![("weight", self.weight.clone())];
        if let Some(b) = &self.bias {
            p.push(("bias", b.clone()));
        }
        p
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn is_training(&self) -> bool {
        self.training.get()
    }
}

/// A 1-D convolution over `[N, C_in, L]` (or unbatched `[C_in, L]`) with a learned kernel,
/// PyTorch's `nn.Conv1d` (see [`Var::conv1d`]).
///
/// The weight is stored `[out_channels, in_channels/groups, k]` and the bias
/// `[out_channels]`, with PyTorch's names and layout.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Conv1d, Module};
/// use backprop_tensor::{Rng, Tensor};
///
/// let conv = Conv1d::<f32>::new(2, 4, 5, &mut Rng::seed_from_u64(0)).with_padding(2);
/// let x = Var::new(Tensor::zeros(&[3, 2, 100]));
/// assert_eq!(conv.forward(&x).shape(), [3, 4, 100]);
/// ```
#[derive(Debug, Clone)]
pub struct Conv1d<T: Float = f32> {
    /// The kernel, `[out_channels, in_channels/groups, k]`.
    pub weight: Var<T>,
    /// The bias, `[out_channels]`, if the layer has one.
    pub bias: Option<Var<T>>,
    /// Stride, zero padding, dilation and groups.
    pub options: Conv1dOptions,
    training: TrainingFlag,
}

impl<T: Float> Conv1d<T> {
    /// A layer with stride 1, no padding, dilation 1, one group and a bias, initialised as
    /// PyTorch does (see [`with_options`](Conv1d::with_options)).
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize, rng: &mut Rng) -> Self {
        Self::with_options(
            in_channels,
            out_channels,
            kernel_size,
            Conv1dOptions::default(),
            true,
            rng,
        )
    }

    /// A layer with the given options and with or without a bias, with PyTorch's default
    /// initialisation: weight and bias drawn from U(-1/√fan_in, 1/√fan_in), fan_in =
    /// in_channels/groups · kernel_size.
    ///
    /// # Panics
    ///
    /// If `groups` is zero or does not divide both channel counts.
    #[track_caller]
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: usize,
        options: Conv1dOptions,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        check_groups("Conv1d", in_channels, out_channels, options.groups);
        let shape = [out_channels, in_channels / options.groups, kernel_size];
        let (weight, bias) = default_init(&shape, bias, rng);
        Conv1d {
            weight,
            bias,
            options,
            training: TrainingFlag::new(),
        }
    }

    /// A layer with the given weight `[out, in/groups, k]`, optional bias `[out]` and options.
    ///
    /// # Errors
    ///
    /// [`LayerError::Shape`] if the weight is not 3-D or the bias is not `[out]`.
    pub fn from_weights(
        weight: Tensor<T>,
        bias: Option<Tensor<T>>,
        options: Conv1dOptions,
    ) -> Result<Self, LayerError> {
        check_weights("Conv1d", 3, &weight, bias.as_ref())?;
        Ok(Conv1d {
            weight: Var::parameter(weight),
            bias: bias.map(Var::parameter),
            options,
            training: TrainingFlag::new(),
        })
    }

    /// Sets the stride, builder style.
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.options.stride = stride;
        self
    }

    /// Sets the zero padding, builder style.
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.options.padding = padding;
        self
    }

    /// Sets the dilation, builder style.
    pub fn with_dilation(mut self, dilation: usize) -> Self {
        self.options.dilation = dilation;
        self
    }

    /// Keeps the bias (`true`) or drops it (`false`), builder style; a bias added back
    /// starts at zero.
    pub fn with_bias(mut self, bias: bool) -> Self {
        if !bias {
            self.bias = None;
        } else if self.bias.is_none() {
            self.bias = Some(Var::parameter(Tensor::zeros(&[self.out_channels()])));
        }
        self
    }

    /// The number of input channels.
    pub fn in_channels(&self) -> usize {
        self.weight.shape()[1] * self.options.groups
    }

    /// The number of output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.shape()[0]
    }

    /// The kernel's length.
    pub fn kernel_size(&self) -> usize {
        self.weight.shape()[2]
    }
}

impl<T: Float> Module<T> for Conv1d<T> {
    /// The convolution of `x` `[N, C_in, L]` (or `[C_in, L]`, giving `[C_out, L_out]`).
    ///
    /// # Panics
    ///
    /// As [`Var::conv1d`], if `x` does not fit the layer.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let s = x.shape();
        if s.len() == 2 {
            let y =
                x.reshape(&[1, s[0], s[1]])
                    .conv1d(&self.weight, self.bias.as_ref(), self.options);
            let sy = y.shape();
            return y.reshape(&sy[1..]);
        }
        x.conv1d(&self.weight, self.bias.as_ref(), self.options)
    }

    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        let mut p = vec![("weight", self.weight.clone())];
        if let Some(b) = &self.bias {
            p.push(("bias", b.clone()));
        }
        p
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn is_training(&self) -> bool {
        self.training.get()
    }
}

#[cfg(test)]
mod tests;
