//! More of PyTorch's activations, each composed of existing ops (no derivative of its own:
//! the gradient is the chain rule through the ops, which the ops' checks cover), with
//! PyTorch's gradient at the kinks:
//!
//! - [`CELU`] at 0: 1 (PyTorch's `elu_backward` takes the `x ≤ 0` branch, `α·(1/α)·e⁰`);
//! - [`ReLU6`] at 0 and 6: 0 (`hardtanh`'s rule);
//! - [`Softshrink`] and [`Hardshrink`] at ±λ: 0 (PyTorch's `shrink_backward` zeroes the
//!   closed interval `[-λ, λ]`);
//! - [`Threshold`] at `x = threshold`: 0 (the output there is `value`, a constant).
//!
//! Everywhere else they agree with PyTorch to rounding (`tests/more_activations_fixture.rs`),
//! except that PyTorch's CELU backward scales by `1/α` with `α` rounded to float32 (its
//! forward uses the float64 `1/α`), so for an `α` that float32 cannot hold, such as 0.7,
//! its float64 gradient is off by about 1e-7 relative; here the gradient is the exact
//! derivative of the forward.

use std::marker::PhantomData;

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use crate::{Module, TrainingFlag};

activation! {
    /// CELU, `max(0, x) + min(0, α·(e^{x/α} - 1))` elementwise (PyTorch's `nn.CELU`,
    /// default `alpha` 1): continuously differentiable for every `α ≠ 0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{CELU, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-1.0f64, 2.0], &[2]).unwrap());
    /// let y = CELU::with_alpha(2.0).forward(&x).value().to_vec();
    /// assert!((y[0] - 2.0 * (-0.5f64).exp_m1()).abs() < 1e-15);
    /// assert_eq!(y[1], 2.0);
    /// ```
    CELU { alpha: f64 = 1.0 } |self, x| celu(x, self.alpha)
}

impl<T: Float> CELU<T> {
    /// `alpha` 1, PyTorch's default.
    pub fn new() -> Self {
        Self::with_alpha(1.0)
    }

    /// The given `alpha`.
    ///
    /// # Panics
    ///
    /// If `alpha` is 0 (PyTorch refuses it too).
    #[track_caller]
    pub fn with_alpha(alpha: f64) -> Self {
        assert!(alpha != 0.0, "CELU: alpha cannot be 0");
        CELU {
            alpha,
            ..Self::default()
        }
    }

    /// The scale `α` of the negative part.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
}

/// `x` where `x > 0`, else `α·expm1(x/α)`, with `expm1` from the `elu` op (accurate near
/// 0, like PyTorch's `std::expm1`). `x/α` is `x·(1/α)`, as PyTorch computes it. For
/// `α < 0` the argument of `expm1` is positive, where `elu` is the identity, so
/// `expm1(v) = -expm1(-v)·eᵛ` is used there instead; neither branch overflows where the
/// other one is selected, so no `0·∞` reaches the gradient.
fn celu<T: Float>(x: &Var<T>, alpha: f64) -> Var<T> {
    let v = x.mul_scalar(T::from_f64(1.0 / alpha));
    let expm1 = if alpha > 0.0 {
        v.elu(T::one())
    } else {
        v.neg().elu(T::one()).neg().mul(&v.exp())
    };
    let positive = x.data().gt(&Tensor::scalar(T::zero()));
    Var::where_cond(&positive, x, &expm1.mul_scalar(T::from_f64(alpha)))
}

activation! {
    /// `min(max(x, 0), 6)` elementwise (PyTorch's `nn.ReLU6`); the same as
    /// [`Hardtanh::relu6`](crate::Hardtanh::relu6).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, ReLU6};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-3.0f32, 0.5, 9.0], &[3]).unwrap());
    /// assert_eq!(ReLU6::new().forward(&x).value().to_vec(), vec![0.0, 0.5, 6.0]);
    /// ```
    ReLU6 {} |self, x| x.hardtanh(T::zero(), T::from_f64(6.0))
}

activation! {
    /// Soft shrinkage: `x - λ` above `λ`, `x + λ` below `-λ`, 0 in between (PyTorch's
    /// `nn.Softshrink`, default `lambd` 0.5).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, Softshrink};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-2.0f32, 0.25, 3.0], &[3]).unwrap());
    /// assert_eq!(Softshrink::new().forward(&x).value().to_vec(), vec![-1.5, 0.0, 2.5]);
    /// ```
    Softshrink { lambd: f64 = 0.5 } |self, x| {
        // relu(x - λ) - relu(-x - λ): each relu has gradient 0 at its kink, which gives
        // PyTorch's 0 at ±λ, and -x - λ is exactly -(x + λ).
        let lambd = T::from_f64(self.lambd);
        x.sub_scalar(lambd).relu().sub(&x.neg().sub_scalar(lambd).relu())
    }
}

impl<T: Float> Softshrink<T> {
    /// `lambd` 0.5, PyTorch's default.
    pub fn new() -> Self {
        Self::with_lambd(0.5)
    }

    /// The given `lambd`.
    ///
    /// # Panics
    ///
    /// If `lambd` is negative or NaN (PyTorch refuses them too).
    #[track_caller]
    pub fn with_lambd(lambd: f64) -> Self {
        assert!(
            lambd >= 0.0,
            "Softshrink: lambd must be at least 0, but got {lambd}"
        );
        Softshrink {
            lambd,
            ..Self::default()
        }
    }

    /// The half-width `λ` of the interval mapped to 0.
    pub fn lambd(&self) -> f64 {
        self.lambd
    }
}

activation! {
    /// Hard shrinkage: `x` where `|x| > λ`, 0 elsewhere (PyTorch's `nn.Hardshrink`, default
    /// `lambd` 0.5). As in PyTorch, a negative `λ` makes it the identity and NaN passes
    /// through.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Hardshrink, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-2.0f32, 0.25, 3.0], &[3]).unwrap());
    /// assert_eq!(Hardshrink::new().forward(&x).value().to_vec(), vec![-2.0, 0.0, 3.0]);
    /// ```
    Hardshrink { lambd: f64 = 0.5 } |self, x| {
        let inside = x.data().abs().le(&Tensor::scalar(T::from_f64(self.lambd)));
        Var::where_cond(&inside, &Var::scalar(T::zero()), x)
    }
}

impl<T: Float> Hardshrink<T> {
    /// `lambd` 0.5, PyTorch's default.
    pub fn new() -> Self {
        Self::with_lambd(0.5)
    }

    /// The given `lambd`.
    pub fn with_lambd(lambd: f64) -> Self {
        Hardshrink {
            lambd,
            ..Self::default()
        }
    }

    /// The half-width `λ` of the interval mapped to 0.
    pub fn lambd(&self) -> f64 {
        self.lambd
    }
}

activation! {
    /// `x - tanh(x)` elementwise (PyTorch's `nn.Tanhshrink`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, Tanhshrink};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0f64, 2.0], &[2]).unwrap());
    /// assert_eq!(Tanhshrink::new().forward(&x).value().to_vec(), vec![0.0, 2.0 - 2f64.tanh()]);
    /// ```
    Tanhshrink {} |self, x| x.sub(&x.tanh())
}

activation! {
    /// `x` where `x > threshold`, `value` elsewhere (PyTorch's `nn.Threshold(threshold,
    /// value)`). NaN passes through, as in PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, Threshold};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-1.0f32, 0.1, 2.0], &[3]).unwrap());
    /// let y = Threshold::new(0.1, 20.0).forward(&x).value().to_vec();
    /// assert_eq!(y, vec![20.0, 20.0, 2.0]);
    /// ```
    Threshold { threshold: f64, value: f64 } |self, x| {
        let below = x.data().le(&Tensor::scalar(T::from_f64(self.threshold)));
        Var::where_cond(&below, &Var::scalar(T::from_f64(self.value)), x)
    }
}

impl<T: Float> Threshold<T> {
    /// The module replacing every element `≤ threshold` by `value`.
    pub fn new(threshold: f64, value: f64) -> Self {
        Threshold {
            threshold,
            value,
            ..Self::default()
        }
    }

    /// The threshold.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The value given to elements at or below the threshold.
    pub fn value(&self) -> f64 {
        self.value
    }
}

activation! {
    /// The gated linear unit (PyTorch's `nn.GLU(dim=-1)`): the input is split in halves
    /// `a`, `b` along `dim` and the output is `a ⊙ σ(b)`, half as long along `dim`. A
    /// negative `dim` counts from the last axis, as in PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{GLU, Module};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0f64, 2.0, 0.0, 100.0], &[1, 4]).unwrap());
    /// let y = GLU::new().forward(&x).value();
    /// assert_eq!(y.shape(), [1, 2]);
    /// assert_eq!(y.to_vec(), vec![0.5, 2.0]);
    /// ```
    GLU { dim: isize = -1 } |self, x| {
        let shape = x.shape();
        let axis = glu_axis(self.dim, &shape);
        let half = shape[axis] / 2;
        x.narrow(axis, 0, half).mul(&x.narrow(axis, half, half).sigmoid())
    }
}

impl<T: Float> GLU<T> {
    /// Splits along the last axis (`dim = -1`, PyTorch's default).
    pub fn new() -> Self {
        Self::with_dim(-1)
    }

    /// Splits along `dim` (negative counts from the end).
    pub fn with_dim(dim: isize) -> Self {
        GLU {
            dim,
            ..Self::default()
        }
    }

    /// The axis that is split, as given (possibly negative).
    pub fn dim(&self) -> isize {
        self.dim
    }
}

/// The axis `dim` names in an input of `shape`.
///
/// # Panics
///
/// If the input is a scalar, `dim` is out of range, or the axis has an odd length.
#[track_caller]
fn glu_axis(dim: isize, shape: &[usize]) -> usize {
    let ndim = shape.len();
    assert!(
        ndim > 0,
        "GLU: a scalar input (shape []) cannot be split in halves"
    );
    let axis = if dim < 0 {
        dim.checked_add_unsigned(ndim)
    } else {
        Some(dim)
    };
    let axis = axis
        .and_then(|a| usize::try_from(a).ok())
        .filter(|&a| a < ndim);
    let Some(axis) = axis else {
        panic!("GLU: dim {dim} is out of range for an input of shape {shape:?}");
    };
    assert!(
        shape[axis] % 2 == 0,
        "GLU: dim {dim} of an input of shape {shape:?} has odd length {}; it must be even to split in halves",
        shape[axis]
    );
    axis
}

activation! {
    /// Softmin along `axis` (PyTorch's `nn.Softmin(dim)`), `softmax(-x)`: each slice along
    /// the axis is mapped to probabilities, the largest to the smallest input.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, Softmin};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![0.0f64, 2f64.ln()], &[1, 2]).unwrap());
    /// let y = Softmin::new(1).forward(&x).value().to_vec();
    /// assert!((y[0] - 2.0 / 3.0).abs() < 1e-15 && (y[1] - 1.0 / 3.0).abs() < 1e-15);
    /// ```
    Softmin { axis: usize } |self, x| x.neg().softmax(self.axis)
}

axis_constructor!(Softmin);

plain_constructor!(ReLU6, Tanhshrink);

#[cfg(test)]
mod tests {
    use super::*;
    use backprop_tensor::Rng;

    fn var(v: Vec<f64>) -> Var<f64> {
        let n = v.len();
        Var::parameter(Tensor::from_vec(v, &[n]).unwrap())
    }

    /// Value and gradient of `Σ f(x)` at each point.
    fn value_and_grad(m: &dyn Module<f64>, xs: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let x = var(xs.to_vec());
        let y = m.forward(&x);
        y.sum().backward();
        (y.value().to_vec(), x.grad().unwrap().to_vec())
    }

    #[test]
    fn gradients_at_the_kinks_follow_pytorch() {
        let (_, g) = value_and_grad(&CELU::with_alpha(2.0), &[0.0]);
        assert_eq!(g, [1.0]);
        let (_, g) = value_and_grad(&CELU::with_alpha(-2.0), &[0.0]);
        assert_eq!(g, [1.0]);
        let (_, g) = value_and_grad(&ReLU6::new(), &[0.0, 6.0, 3.0]);
        assert_eq!(g, [0.0, 0.0, 1.0]);
        let (y, g) = value_and_grad(&Softshrink::new(), &[-0.5, 0.5, 0.75, -0.75]);
        assert_eq!(
            (y, g),
            (vec![0.0, 0.0, 0.25, -0.25], vec![0.0, 0.0, 1.0, 1.0])
        );
        let (y, g) = value_and_grad(&Hardshrink::new(), &[-0.5, 0.5, 0.75, -0.75]);
        assert_eq!(
            (y, g),
            (vec![0.0, 0.0, 0.75, -0.75], vec![0.0, 0.0, 1.0, 1.0])
        );
        let (y, g) = value_and_grad(&Threshold::new(1.0, -3.0), &[1.0, 1.5]);
        assert_eq!((y, g), (vec![-3.0, 1.5], vec![0.0, 1.0]));
    }

    #[test]
    fn nan_passes_through_like_pytorch() {
        let nan = [f64::NAN];
        for m in [
            Box::new(Hardshrink::new()) as Box<dyn Module<f64>>,
            Box::new(Softshrink::new()),
            Box::new(Threshold::new(0.0, 1.0)),
        ] {
            assert!(m.forward(&var(nan.to_vec())).value().to_vec()[0].is_nan());
        }
    }

    #[test]
    fn negative_hardshrink_lambd_is_the_identity() {
        let xs = [-1.0, -0.25, 0.0, 0.25, 1.0];
        let (y, g) = value_and_grad(&Hardshrink::with_lambd(-1.0), &xs);
        assert_eq!((y, g), (xs.to_vec(), vec![1.0; 5]));
    }

    #[test]
    fn celu_with_alpha_one_is_elu_and_large_inputs_stay_finite() {
        let x = Var::new(Tensor::<f64>::randn(&[50], &mut Rng::seed_from_u64(3)));
        assert_eq!(CELU::new().forward(&x).value(), x.elu(1.0).value());
        // Where x > 0 the unselected branch sees x/α far from 0: with α < 0 that is a large
        // negative argument, which must not turn into 0·∞ in the gradient. (With α < 0 and
        // x ≪ 0, e^{x/α} overflows in PyTorch too.)
        for (alpha, xs) in [(0.5, [-1e3, 1e3]), (-0.5, [-1.0, 1e3])] {
            let x = var(xs.to_vec());
            let y = CELU::with_alpha(alpha).forward(&x);
            y.sum().backward();
            assert!(x.grad().unwrap().all_finite(), "alpha {alpha}");
        }
    }

    #[test]
    fn glu_splits_along_negative_and_positive_dims() {
        let x = Var::new(Tensor::<f64>::randn(&[2, 4, 6], &mut Rng::seed_from_u64(4)));
        assert_eq!(GLU::new().forward(&x).shape(), [2, 4, 3]);
        assert_eq!(GLU::with_dim(-2).forward(&x).shape(), [2, 2, 6]);
        assert_eq!(
            GLU::with_dim(1).forward(&x).value(),
            GLU::with_dim(-2).forward(&x).value()
        );
        assert_eq!(GLU::with_dim(0).forward(&x).shape(), [1, 4, 6]);
    }

    #[test]
    #[should_panic(
        expected = "GLU: dim -1 of an input of shape [2, 3] has odd length 3; it must be even to split in halves"
    )]
    fn glu_odd_length_panics() {
        let _ = GLU::<f32>::new().forward(&Var::new(Tensor::zeros(&[2, 3])));
    }

    #[test]
    #[should_panic(expected = "GLU: dim 2 is out of range for an input of shape [2, 4]")]
    fn glu_dim_out_of_range_panics() {
        let _ = GLU::<f32>::with_dim(2).forward(&Var::new(Tensor::zeros(&[2, 4])));
    }

    #[test]
    #[should_panic(expected = "GLU: dim -3 is out of range for an input of shape [2, 4]")]
    fn glu_negative_dim_out_of_range_panics() {
        let _ = GLU::<f32>::with_dim(-3).forward(&Var::new(Tensor::zeros(&[2, 4])));
    }

    #[test]
    #[should_panic(expected = "GLU: a scalar input (shape []) cannot be split in halves")]
    fn glu_scalar_panics() {
        let _ = GLU::<f32>::new().forward(&Var::scalar(1.0));
    }

    #[test]
    #[should_panic(expected = "Softshrink: lambd must be at least 0, but got -0.1")]
    fn negative_softshrink_lambd_panics() {
        let _ = Softshrink::<f32>::with_lambd(-0.1);
    }

    #[test]
    #[should_panic(expected = "Softshrink: lambd must be at least 0, but got NaN")]
    fn nan_softshrink_lambd_panics() {
        let _ = Softshrink::<f32>::with_lambd(f64::NAN);
    }

    #[test]
    #[should_panic(expected = "CELU: alpha cannot be 0")]
    fn zero_celu_alpha_panics() {
        let _ = CELU::<f32>::with_alpha(0.0);
    }

    #[test]
    fn accessors_and_defaults() {
        assert_eq!(CELU::<f32>::new().alpha(), 1.0);
        assert_eq!(Softshrink::<f32>::new().lambd(), 0.5);
        assert_eq!(Hardshrink::<f32>::new().lambd(), 0.5);
        assert_eq!(GLU::<f32>::new().dim(), -1);
        let t = Threshold::<f32>::new(0.1, 20.0);
        assert_eq!((t.threshold(), t.value()), (0.1, 20.0));
        assert!(ReLU6::<f32>::new().parameters().is_empty());
    }
}
