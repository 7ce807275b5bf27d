//! hardtanh: y = min(max(x, lo), hi).
//!
//! dy/dx = 1 strictly inside (lo, hi) and 0 elsewhere, including at the bounds themselves
//! (PyTorch's `hardtanh_backward` tests `x <= lo || x >= hi`). The mask is a constant, so
//! the second derivative is 0. Saves the input.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `min(max(x, min_val), max_val)` (PyTorch's `F.hardtanh` /
    /// `nn.Hardtanh`, defaults -1 and 1; `nn.ReLU6` is `hardtanh(0, 6)`). The gradient is 0
    /// at the bounds, as in PyTorch. NaN passes through.
    ///
    /// # Panics
    ///
    /// If `min_val > max_val`, as PyTorch refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![-3.0f64, -1.0, 0.5, 2.0], &[4]).unwrap());
    /// let y = x.hardtanh(-1.0, 1.0);
    /// assert_eq!(y.value().to_vec(), vec![-1.0, -1.0, 0.5, 1.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn hardtanh(&self, min_val: T, max_val: T) -> Var<T> {
        assert!(
            min_val <= max_val,
            "hardtanh: min_val {min_val:?} is above max_val {max_val:?}"
        );
        // Tensor::clamp compares, so NaN passes through.
        let y = self.data().clamp(Some(min_val), Some(max_val));
        Var::from_unary_op("hardtanh", y, self, HardtanhBackward(min_val, max_val))
    }
}

struct HardtanhBackward<T>(T, T);

impl<T: Float> HardtanhBackward<T> {
    /// 1 strictly inside the bounds, 0 at and beyond them.
    fn mask(&self, x: &Tensor<T>) -> Tensor<T> {
        let (lo, hi) = (self.0, self.1);
        x.map(|x| if x <= lo || x >= hi { T::zero() } else { T::one() })
    }
}

impl<T: Float> Backward<T> for HardtanhBackward<T> {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let mask = self.mask(&ctx.input(0).data());
        vec![Some(g.mul(&mask))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let mask = self.mask(&ctx.input(0).data());
        vec![Some(g.mul(&Var::new(mask)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    // |x| in [0.2, 1.5) and bounds ±0.1 or [-2, 0.15]: every value away from a bound.
    vec![
        GradCase::new("bounds ±0.1", vec![inputs::away_from_zero(rng, &s2)], |v| {
            v[0].hardtanh(-0.1, 0.1)
        }),
        GradCase::new("3-d bounds -2, 0.15", vec![inputs::away_from_zero(rng, &s3)], |v| {
            v[0].hardtanh(-2.0, 0.15)
        }),
        GradCase::new("hardtanh(x)·x", vec![inputs::away_from_zero(rng, &s2)], |v| {
            v[0].hardtanh(-0.1, 1.7).mul(&v[0])
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn nan_passes_and_bounds_are_checked() {
        let x = Var::parameter(Tensor::from_vec(vec![f64::NAN, 7.0], &[2]).unwrap());
        let y = x.hardtanh(0.0, 6.0);
        let v = y.value().to_vec();
        assert!(v[0].is_nan());
        assert_eq!(v[1], 6.0);
        let err = std::panic::catch_unwind(|| x.hardtanh(1.0, -1.0)).unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.contains("hardtanh: min_val"), "{msg}");
    }
}
