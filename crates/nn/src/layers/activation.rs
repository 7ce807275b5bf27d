//! Activation functions as modules, for use in a [`Sequential`](crate::Sequential).
//!
//! Each is a thin wrapper over the autograd op of the same name; the derivatives live
//! with the ops.

use std::marker::PhantomData;

use backprop_autograd::Var;
use backprop_tensor::Float;

use crate::{Module, TrainingFlag};

/// Defines a parameter-free module: a struct with a training flag, `Default` and a
/// `Module` impl whose forward is `$forward`. Options written `field: type = default`
/// get those defaults (PyTorch's) in `Default`; otherwise `Default` is derived.
macro_rules! activation {
    (@module $name:ident |$self_:ident, $x:ident| $forward:expr) => {
        impl<T: Float> Module<T> for $name<T> {
            #[track_caller]
            fn forward(&$self_, $x: &Var<T>) -> Var<T> {
                $forward
            }

            fn set_training(&self, training: bool) {
                self.training.set(training);
            }

            fn is_training(&self) -> bool {
                self.training.get()
            }
        }
    };
    (
        $(#[$doc:meta])*
        $name:ident { $($field:ident: $ty:ty = $default:expr),+ } |$self_:ident, $x:ident| $forward:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T: Float = f32> {
            $($field: $ty,)+
            training: TrainingFlag,
            _dtype: PhantomData<fn() -> T>,
        }

        impl<T: Float> Default for $name<T> {
            /// PyTorch's defaults.
            fn default() -> Self {
                $name {
                    $($field: $default,)+
                    training: TrainingFlag::new(),
                    _dtype: PhantomData,
                }
            }
        }

        activation!(@module $name |$self_, $x| $forward);
    };
    (
        $(#[$doc:meta])*
        $name:ident { $($field:ident: $ty:ty),* } |$self_:ident, $x:ident| $forward:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        pub struct $name<T: Float = f32> {
            $($field: $ty,)*
            training: TrainingFlag,
            _dtype: PhantomData<fn() -> T>,
        }

        activation!(@module $name |$self_, $x| $forward);
    };
}

activation! {
    /// `max(x, 0)` elementwise (PyTorch's `nn.ReLU`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, ReLU};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).unwrap());
    /// assert_eq!(ReLU::<f32>::new().forward(&x).value().to_vec(), vec![0.0, 2.0]);
    /// ```
    ReLU {} |self, x| x.relu()
}

impl<T: Float> ReLU<T> {
    /// The module.
    pub fn new() -> Self {
        Self::default()
    }
}

activation! {
    /// `x` for x ≥ 0 and `negative_slope · x` below (PyTorch's `nn.LeakyReLU`, default
    /// slope 0.01).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{LeakyReLU, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-2.0f32, 3.0], &[2]).unwrap());
    /// assert_eq!(LeakyReLU::with_slope(0.5).forward(&x).value().to_vec(), vec![-1.0, 3.0]);
    /// ```
    LeakyReLU { negative_slope: f64 = 0.01 } |self, x| x.leaky_relu(T::from_f64(self.negative_slope))
}

impl<T: Float> LeakyReLU<T> {
    /// Slope 0.01, PyTorch's default.
    pub fn new() -> Self {
        Self::with_slope(0.01)
    }

    /// The given slope for negative inputs.
    pub fn with_slope(negative_slope: f64) -> Self {
        LeakyReLU {
            negative_slope,
            ..Self::default()
        }
    }

    /// The slope for negative inputs.
    pub fn negative_slope(&self) -> f64 {
        self.negative_slope
    }
}

activation! {
    /// The logistic sigmoid `1 / (1 + e^-x)` (PyTorch's `nn.Sigmoid`).
    Sigmoid {} |self, x| x.sigmoid()
}

activation! {
    /// The hyperbolic tangent (PyTorch's `nn.Tanh`).
    Tanh {} |self, x| x.tanh()
}

activation! {
    /// GELU, `x·Φ(x)` with Φ the standard normal CDF (PyTorch's `nn.GELU`); with
    /// [`GELU::tanh`] the tanh approximation `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`
    /// (`approximate='tanh'`).
    GELU { approximate_tanh: bool } |self, x| {
        if self.approximate_tanh { x.gelu_tanh() } else { x.gelu() }
    }
}

impl<T: Float> GELU<T> {
    /// The exact GELU.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tanh approximation.
    pub fn tanh() -> Self {
        GELU {
            approximate_tanh: true,
            ..Self::default()
        }
    }
}

activation! {
    /// `ln(1 + e^{β·x}) / β`, and `x` where `β·x > threshold` (PyTorch's `nn.Softplus`,
    /// defaults β = 1, threshold = 20).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, Softplus};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0f64, 25.0], &[2]).unwrap());
    /// let y = Softplus::new().forward(&x).value().to_vec();
    /// assert!((y[0] - 2f64.ln()).abs() < 1e-15);
    /// assert_eq!(y[1], 25.0); // past the threshold: the identity
    /// ```
    Softplus { beta: f64 = 1.0, threshold: f64 = 20.0 } |self, x| {
        x.softplus_with(T::from_f64(self.beta), T::from_f64(self.threshold))
    }
}

impl<T: Float> Softplus<T> {
    /// β = 1 and threshold 20, PyTorch's defaults.
    pub fn new() -> Self {
        Self::with_params(1.0, 20.0)
    }

    /// The given β and threshold.
    pub fn with_params(beta: f64, threshold: f64) -> Self {
        Softplus {
            beta,
            threshold,
            ..Self::default()
        }
    }

    /// β.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The threshold on β·x above which the module is the identity.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
}

activation! {
    /// SiLU (swish) `x·σ(x)` elementwise (PyTorch's `nn.SiLU`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, SiLU};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0f64, 1.0], &[2]).unwrap());
    /// let y = SiLU::new().forward(&x).value().to_vec();
    /// assert_eq!(y[0], 0.0);
    /// assert!((y[1] - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-15);
    /// ```
    SiLU {} |self, x| x.silu()
}

activation! {
    /// ELU: `x` for x > 0 and `alpha·(eˣ - 1)` otherwise (PyTorch's `nn.ELU`, default
    /// `alpha` 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{ELU, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-1.0f64, 2.0], &[2]).unwrap());
    /// let y = ELU::with_alpha(0.5).forward(&x).value().to_vec();
    /// assert_eq!(y, vec![0.5 * (-1.0f64).exp_m1(), 2.0]);
    /// ```
    ELU { alpha: f64 = 1.0 } |self, x| x.elu(T::from_f64(self.alpha))
}

impl<T: Float> ELU<T> {
    /// `alpha` 1, PyTorch's default.
    pub fn new() -> Self {
        Self::with_alpha(1.0)
    }

    /// The given `alpha`.
    pub fn with_alpha(alpha: f64) -> Self {
        ELU {
            alpha,
            ..Self::default()
        }
    }

    /// The scale of the negative part.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
}

activation! {
    /// `min(max(x, min_val), max_val)` elementwise (PyTorch's `nn.Hardtanh`, defaults -1
    /// and 1); [`Hardtanh::relu6`] is PyTorch's `nn.ReLU6`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Hardtanh, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-3.0f32, 0.5, 9.0], &[3]).unwrap());
    /// assert_eq!(Hardtanh::new().forward(&x).value().to_vec(), vec![-1.0, 0.5, 1.0]);
    /// assert_eq!(Hardtanh::relu6().forward(&x).value().to_vec(), vec![0.0, 0.5, 6.0]);
    /// ```
    Hardtanh { min_val: f64 = -1.0, max_val: f64 = 1.0 } |self, x| {
        x.hardtanh(T::from_f64(self.min_val), T::from_f64(self.max_val))
    }
}

impl<T: Float> Hardtanh<T> {
    /// Bounds -1 and 1, PyTorch's defaults.
    pub fn new() -> Self {
        Self::with_bounds(-1.0, 1.0)
    }

    /// Bounds 0 and 6: PyTorch's `nn.ReLU6`.
    pub fn relu6() -> Self {
        Self::with_bounds(0.0, 6.0)
    }

    /// The given bounds.
    ///
    /// # Panics
    ///
    /// If `min_val > max_val`.
    #[track_caller]
    pub fn with_bounds(min_val: f64, max_val: f64) -> Self {
        assert!(
            min_val <= max_val,
            "Hardtanh: min_val {min_val} is above max_val {max_val}"
        );
        Hardtanh {
            min_val,
            max_val,
            ..Self::default()
        }
    }

    /// The lower and upper bounds.
    pub fn bounds(&self) -> (f64, f64) {
        (self.min_val, self.max_val)
    }
}

activation! {
    /// Softmax along `axis` (PyTorch's `nn.Softmax(dim)`): each slice along the axis is
    /// mapped to probabilities, computed without overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, Softmax};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1e4f32, 1e4, 0.0, 0.0], &[2, 2]).unwrap());
    /// assert_eq!(Softmax::new(1).forward(&x).value().to_vec(), vec![0.5; 4]);
    /// ```
    Softmax { axis: usize } |self, x| x.softmax(self.axis)
}

activation! {
    /// Log-softmax along `axis` (PyTorch's `nn.LogSoftmax(dim)`), `x - logsumexp(x)`
    /// computed without overflow; pair it with [`NLLLoss`](crate::NLLLoss).
    LogSoftmax { axis: usize } |self, x| x.log_softmax(self.axis)
}

macro_rules! axis_constructor {
    ($($name:ident),*) => {$(
        impl<T: Float> $name<T> {
            /// The module over `axis` (for `[N, C]` class scores, axis 1).
            pub fn new(axis: usize) -> Self {
                $name { axis, ..Self::default() }
            }
        }
    )*};
}

axis_constructor!(Softmax, LogSoftmax);

macro_rules! plain_constructor {
    ($($name:ident),*) => {$(
        impl<T: Float> $name<T> {
            /// The module.
            pub fn new() -> Self {
                Self::default()
            }
        }
    )*};
}

plain_constructor!(Sigmoid, Tanh, SiLU);

mod composed;
mod more;
mod prelu;
mod rrelu;

pub use composed::{Hardsigmoid, Hardswish, LogSigmoid, Mish, SELU, Softsign};
pub use more::{CELU, GLU, Hardshrink, ReLU6, Softmin, Softshrink, Tanhshrink, Threshold};
pub use prelu::PReLU;
pub use rrelu::RReLU;

#[cfg(test)]
mod tests {
    use super::*;
    use backprop_tensor::{Rng, Tensor};

    /// `Default` has PyTorch's defaults, the same as `new` (an option left at zero would
    /// make `ELU::default()` a ReLU).
    #[test]
    fn default_is_new() {
        assert_eq!(LeakyReLU::<f32>::default().negative_slope(), 0.01);
        assert_eq!(ELU::<f32>::default().alpha(), 1.0);
        let softplus = Softplus::<f32>::default();
        assert_eq!((softplus.beta(), softplus.threshold()), (1.0, 20.0));
        assert_eq!(Hardtanh::<f32>::default().bounds(), (-1.0, 1.0));
        assert_eq!(
            Hardtanh::<f32>::default().bounds(),
            Hardtanh::<f32>::new().bounds()
        );
    }

    /// Each module gives exactly the op it wraps, in f64.
    #[test]
    fn modules_apply_their_ops() {
        let x = Var::new(Tensor::<f64>::randn(&[3, 4], &mut Rng::seed_from_u64(0)));
        let cases: Vec<(Box<dyn Module<f64>>, Var<f64>)> = vec![
            (Box::new(ReLU::new()), x.relu()),
            (Box::new(LeakyReLU::new()), x.leaky_relu(0.01)),
            (Box::new(LeakyReLU::with_slope(0.2)), x.leaky_relu(0.2)),
            (Box::new(Sigmoid::new()), x.sigmoid()),
            (Box::new(Tanh::new()), x.tanh()),
            (Box::new(GELU::new()), x.gelu()),
            (Box::new(GELU::tanh()), x.gelu_tanh()),
            (Box::new(Softplus::new()), x.softplus_with(1.0, 20.0)),
            (
                Box::new(Softplus::with_params(2.0, 1.0)),
                x.softplus_with(2.0, 1.0),
            ),
            (Box::new(Softmax::new(1)), x.softmax(1)),
            (Box::new(LogSoftmax::new(0)), x.log_softmax(0)),
        ];
        for (i, (m, want)) in cases.iter().enumerate() {
            assert_eq!(m.forward(&x).value(), want.value(), "case {i}");
            assert!(m.parameters().is_empty());
        }
        // Softmax rows sum to 1 and LogSoftmax is its log.
        let s = Softmax::new(1).forward(&x).value();
        assert!(
            s.sum(&[1], false)
                .to_vec()
                .iter()
                .all(|v| (v - 1.0).abs() < 1e-12)
        );
        let ls = LogSoftmax::new(1).forward(&x).value();
        assert!(ls.exp().allclose(&s, 1e-12, 1e-15));
    }

    #[test]
    fn modes_switch() {
        let m = GELU::<f32>::tanh();
        m.eval();
        assert!(!m.is_training());
        m.train();
        assert!(m.is_training());
        assert_eq!(LeakyReLU::<f32>::new().negative_slope(), 0.01);
    }
}
