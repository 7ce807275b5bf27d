//! Activations composed of other ops (no derivative of their own: each gradient is the
//! chain rule through the ops it is built of, which the ops' checks cover). At a kink
//! (`Hardswish` and `Hardsigmoid` at ±3, `Softsign` at 0) the gradient is the composed one,
//! which can differ there from PyTorch's hand-written backward; elsewhere they agree
//! (`tests/activations_fixture.rs`).

use std::marker::PhantomData;

use backprop_autograd::Var;
use backprop_tensor::Float;

use crate::{Module, TrainingFlag};

/// SELU's `α` (Klambauer et al. 2017, as in PyTorch).
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
/// SELU's scale.
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

activation! {
    /// Mish, `x·tanh(softplus(x))` elementwise (PyTorch's `nn.Mish`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Mish, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0f64, 1.0], &[2]).unwrap());
    /// let y = Mish::new().forward(&x).value().to_vec();
    /// assert_eq!(y[0], 0.0);
    /// assert!((y[1] - (1.0f64).exp().ln_1p().tanh()).abs() < 1e-15);
    /// ```
    Mish {} |self, x| x.mul(&x.softplus().tanh())
}

activation! {
    /// Hard swish, `x·relu6(x + 3)/6` elementwise (PyTorch's `nn.Hardswish`): 0 below -3,
    /// `x` above 3.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Hardswish, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-4.0f64, 1.0, 4.0], &[3]).unwrap());
    /// let y = Hardswish::new().forward(&x).value().to_vec();
    /// assert_eq!(y, vec![0.0, 1.0 * 4.0 / 6.0, 4.0]);
    /// ```
    Hardswish {} |self, x| x.mul(&hardsigmoid(x))
}

activation! {
    /// Hard sigmoid, `relu6(x + 3)/6` elementwise (PyTorch's `nn.Hardsigmoid`): 0 below -3,
    /// 1 above 3.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Hardsigmoid, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-4.0f64, 0.0, 4.0], &[3]).unwrap());
    /// assert_eq!(Hardsigmoid::new().forward(&x).value().to_vec(), vec![0.0, 0.5, 1.0]);
    /// ```
    Hardsigmoid {} |self, x| hardsigmoid(x)
}

activation! {
    /// Softsign, `x / (1 + |x|)` elementwise (PyTorch's `nn.Softsign`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, Softsign};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-3.0f64, 1.0], &[2]).unwrap());
    /// assert_eq!(Softsign::new().forward(&x).value().to_vec(), vec![-0.75, 0.5]);
    /// ```
    Softsign {} |self, x| x.div(&x.abs().add_scalar(T::one()))
}

activation! {
    /// `ln σ(x) = -softplus(-x)` elementwise, computed without overflow (PyTorch's
    /// `nn.LogSigmoid`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{LogSigmoid, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0f64, -1000.0], &[2]).unwrap());
    /// let y = LogSigmoid::new().forward(&x).value().to_vec();
    /// assert_eq!(y, vec![-(2.0f64.ln()), -1000.0]);
    /// ```
    LogSigmoid {} |self, x| x.neg().softplus().neg()
}

activation! {
    /// SELU, `scale·elu(x, α)` with PyTorch's constants `α ≈ 1.6733` and
    /// `scale ≈ 1.0507` (PyTorch's `nn.SELU`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, SELU};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![2.0f64], &[1]).unwrap());
    /// let y = SELU::new().forward(&x).value().to_vec();
    /// assert!((y[0] - 2.0 * 1.0507009873554805).abs() < 1e-15);
    /// ```
    SELU {} |self, x| x.elu(T::from_f64(SELU_ALPHA)).mul_scalar(T::from_f64(SELU_SCALE))
}

/// `relu6(x + 3) / 6`, shared by [`Hardsigmoid`] and [`Hardswish`].
fn hardsigmoid<T: Float>(x: &Var<T>) -> Var<T> {
    let three = T::from_f64(3.0);
    x.add_scalar(three)
        .hardtanh(T::zero(), T::from_f64(6.0))
        .div_scalar(T::from_f64(6.0))
}

plain_constructor!(Mish, Hardswish, Hardsigmoid, Softsign, LogSigmoid, SELU);
