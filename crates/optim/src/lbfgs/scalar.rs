//! The scalars of PyTorch's L-BFGS: some are Python floats, some 0-dim tensors of the
//! parameters' dtype, and Python's operators mix them with PyTorch's promotion rules.
//!
//! - float ∘ float: `f64` arithmetic.
//! - tensor ∘ float, float ∘ tensor: the float is rounded to the dtype and the operation is
//!   done (and rounded) in the dtype; `float / tensor` is `tensor.reciprocal() * float`
//!   (`Tensor.__rtruediv__`), two roundings.
//! - tensor ∘ tensor: in the dtype.
//! - Comparisons with a tensor on either side round the float to the dtype and compare there
//!   (`torch.tensor(1e-10, dtype=torch.float32) > 1e-10` is false).
//!
//! In `f64` only the reciprocal differs from plain `f64` arithmetic; in `f32` the mixture
//! decides where each intermediate is rounded, so it is kept exactly.

use std::cmp::Ordering;
use std::ops::{Add, Div, Mul, Neg, Sub};

use backprop_tensor::Float;

/// A Python float or a 0-dim tensor of dtype `T`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<T> {
    /// A Python float (or int).
    Float(f64),
    /// A 0-dim tensor.
    Tensor(T),
}

use Scalar::{Float as Py, Tensor as Ten};

impl<T: Float> Scalar<T> {
    /// The value as a Python float (`float(x)`, exact).
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Py(x) => x,
            Ten(x) => x.as_f64(),
        }
    }

    /// The value in the dtype, as PyTorch converts a scalar argument (`alpha=`, `mul(t)`).
    pub(crate) fn to_dtype(self) -> T {
        match self {
            Py(x) => T::from_f64(x),
            Ten(x) => x,
        }
    }

    /// `abs(x)`.
    pub(crate) fn abs(self) -> Self {
        match self {
            Py(x) => Py(x.abs()),
            Ten(x) => Ten(x.abs()),
        }
    }

    /// `x.sqrt()` (only tensors have the method in Python; floats take `math.sqrt`).
    pub(crate) fn sqrt(self) -> Self {
        match self {
            Py(x) => Py(x.sqrt()),
            Ten(x) => Ten(x.sqrt()),
        }
    }
}

/// Applies `op` with PyTorch's promotion: in `f64` for two floats, else in the dtype.
fn promote<T: Float>(
    a: Scalar<T>,
    b: Scalar<T>,
    op: impl Fn(f64, f64) -> f64,
    op_t: impl Fn(T, T) -> T,
) -> Scalar<T> {
    match (a, b) {
        (Py(a), Py(b)) => Py(op(a, b)),
        (a, b) => Ten(op_t(a.to_dtype(), b.to_dtype())),
    }
}

impl<T: Float> Add for Scalar<T> {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        promote(self, rhs, |a, b| a + b, |a, b| a + b)
    }
}

impl<T: Float> Sub for Scalar<T> {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        promote(self, rhs, |a, b| a - b, |a, b| a - b)
    }
}

impl<T: Float> Mul for Scalar<T> {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        promote(self, rhs, |a, b| a * b, |a, b| a * b)
    }
}

impl<T: Float> Div for Scalar<T> {
    type Output = Self;
    fn div(self, rhs: Self) -> Self {
        match (self, rhs) {
            // `Tensor.__rtruediv__`: `rhs.reciprocal() * self`.
            (Py(a), Ten(b)) => Ten((T::one() / b) * T::from_f64(a)),
            (a, b) => promote(a, b, |a, b| a / b, |a, b| a / b),
        }
    }
}

impl<T: Float> Neg for Scalar<T> {
    type Output = Self;
    fn neg(self) -> Self {
        match self {
            Py(x) => Py(-x),
            Ten(x) => Ten(-x),
        }
    }
}

impl<T: Float> PartialEq for Scalar<T> {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl<T: Float> PartialOrd for Scalar<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (*self, *other) {
            (Py(a), Py(b)) => a.partial_cmp(&b),
            (a, b) => a.to_dtype().partial_cmp(&b.to_dtype()),
        }
    }
}

impl<T: Float> From<f64> for Scalar<T> {
    fn from(x: f64) -> Self {
        Py(x)
    }
}

/// Python's `min(a, b)`: `b` only when `b < a`, so a tie or a NaN keeps `a`.
pub(crate) fn py_min<T: Float>(a: Scalar<T>, b: Scalar<T>) -> Scalar<T> {
    if b < a { b } else { a }
}

/// Python's `max(a, b)`: `b` only when `b > a`.
pub(crate) fn py_max<T: Float>(a: Scalar<T>, b: Scalar<T>) -> Scalar<T> {
    if b > a { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_float_meeting_a_tensor_is_rounded_to_its_dtype() {
        let tiny = Scalar::<f32>::Tensor(1e-10);
        // As torch: tensor(1e-10, float32) > 1e-10 is false, float(...) > 1e-10 is true.
        assert_eq!(tiny.partial_cmp(&Py(1e-10)), Some(Ordering::Equal));
        assert!(Py::<f32>(f64::from(1e-10f32)) > Py(1e-10));
        // 0.1f32 * 0.1 in float32, not in f64.
        let product = Ten(0.1f32) * Py(0.1);
        assert_eq!(product.as_f64(), f64::from(0.1f32 * 0.1f32));
        assert_eq!((Py::<f32>(0.1) * Py(0.1)).as_f64(), 0.1 * 0.1);
    }

    #[test]
    fn float_over_tensor_is_a_reciprocal_then_a_product() {
        let (a, b) = (5.0f64, 3.0f64);
        let q = Py(a) / Ten(b);
        assert_eq!(q.as_f64(), (1.0 / b) * a);
        assert_ne!(q.as_f64(), a / b, "the two roundings show for 5/3");
        assert_eq!((Ten(a) / Py(b)).as_f64(), a / b);
    }

    #[test]
    fn min_and_max_keep_the_first_on_ties() {
        let (a, b) = (Scalar::<f64>::Float(1.0), Scalar::<f64>::Tensor(1.0));
        assert!(matches!(py_min(a, b), Py(_)));
        assert!(matches!(py_max(b, a), Ten(_)));
        assert!(matches!(py_min(a, Ten(0.5)), Ten(_)));
    }
}
