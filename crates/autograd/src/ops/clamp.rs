//! clamp: y = min(max(x, lo), hi), either bound optional (`torch.clamp`).
//!
//! dy/dx = 1 strictly inside (lo, hi) and 0 outside [lo, hi]. At a bound itself the
//! derivative is taken as 0, the minimum-norm subgradient (PyTorch 2.15's rule for
//! scalar bounds, the same as `relu` at 0 and `hardtanh` at ±1): the gradient passes only
//! where lo < x < hi. When lo ≥ hi every output is hi (as in PyTorch) and no gradient
//! passes. The mask is a constant, so the second derivative is 0 almost everywhere.
//! Saves the input.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise clamp into `[min, max]`; `None` leaves that side open. The gradient is
    /// 1 where `min < x < max` and 0 elsewhere, the bounds themselves included (PyTorch
    /// 2.15's minimum-norm subgradient for scalar bounds).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![-2.0f64, 0.5, 1.0, 3.0], &[4]).unwrap());
    /// let y = x.clamp(Some(0.0), Some(1.0));
    /// assert_eq!(y.value().to_vec(), vec![0.0, 0.5, 1.0, 1.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0, 0.0]); // 0 at the bound
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: Option<T>, max: Option<T>) -> Var<T> {
        let y = self.data().clamp(min, max);
        Var::from_unary_op("clamp", y, self, ClampBackward { min, max })
    }
}

struct ClampBackward<T> {
    min: Option<T>,
    max: Option<T>,
}

impl<T: Float> Backward<T> for ClampBackward<T> {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (min, max) = (self.min, self.max);
        let mask = ctx.input(0).data().map(|x| {
            let inside = min.is_none_or(|lo| x > lo) && max.is_none_or(|hi| x < hi);
            if inside { T::one() } else { T::zero() }
        });
        vec![Some(g.mul(&Var::new(mask)))]
    }
}

/// Normal values scaled by 1.5, moved at least 0.2 away from each bound (the bounds must
/// be more than 0.4 apart so moving away from one does not land next to another).
fn away_from(rng: &mut Rng, shape: &[usize], bounds: &[f64]) -> Tensor<f64> {
    let mut x = inputs::normal(rng, shape).mul_scalar(1.5);
    for &b in bounds {
        x = x.map(|v| if (v - b).abs() < 0.2 { b + 0.25 } else { v });
    }
    x
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new(
            "both bounds [-0.5, 0.8]",
            vec![away_from(rng, &s2, &[-0.5, 0.8])],
            |v| v[0].clamp(Some(-0.5), Some(0.8)),
        ),
        GradCase::new(
            "3-d both bounds [-1, 1]",
            vec![away_from(rng, &s3, &[-1.0, 1.0])],
            |v| v[0].clamp(Some(-1.0), Some(1.0)),
        ),
        GradCase::new("min only 0.3", vec![away_from(rng, &s2, &[0.3])], |v| {
            v[0].clamp(Some(0.3), None)
        }),
        GradCase::new("max only -0.2", vec![away_from(rng, &s2, &[-0.2])], |v| {
            v[0].clamp(None, Some(-0.2))
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    fn grad_of(x: Vec<f64>, min: Option<f64>, max: Option<f64>) -> Vec<f64> {
        let n = x.len();
        let x = Var::parameter(Tensor::from_vec(x, &[n]).unwrap());
        x.clamp(min, max).sum().backward();
        x.grad().unwrap().to_vec()
    }

    /// PyTorch 2.15 (`torch.clamp(x, -1.0, 1.0).sum().backward()` and the one-sided
    /// forms) gives 0 at a scalar bound, as `relu` does at 0.
    #[test]
    fn no_gradient_at_the_bounds() {
        assert_eq!(
            grad_of(vec![-1.0, -0.999, 1.0, 0.999, 1.001], Some(-1.0), Some(1.0)),
            vec![0.0, 1.0, 0.0, 1.0, 0.0]
        );
        assert_eq!(grad_of(vec![0.0, -0.1, 0.1], Some(0.0), None), vec![0.0, 0.0, 1.0]);
        assert_eq!(grad_of(vec![0.0, 0.1, -0.1], None, Some(0.0)), vec![0.0, 0.0, 1.0]);
        // min == max: the output is constant, nothing passes.
        assert_eq!(grad_of(vec![0.5, 0.4], Some(0.5), Some(0.5)), vec![0.0, 0.0]);
    }

    #[test]
    fn crossed_bounds_give_max_and_no_gradient() {
        let x = Var::parameter(Tensor::from_vec(vec![-3.0f64, 0.5, 3.0], &[3]).unwrap());
        let y = x.clamp(Some(1.0), Some(0.0));
        assert_eq!(y.value().to_vec(), vec![0.0, 0.0, 0.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 0.0]);
    }
}
