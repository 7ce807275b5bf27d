//! softmax along one axis: yᵢ = e^{xᵢ - m} / Σⱼ e^{xⱼ - m}, m = maxⱼ xⱼ.
//!
//! Subtracting the maximum leaves the result unchanged (the factor e^{-m} cancels) and
//! keeps every exponent ≤ 0, so nothing overflows even at logits of ±1e4.
//! Jacobian: ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ - yⱼ), so the vector-Jacobian product is
//! dx = y ⊙ (dy - Σ(dy ⊙ y)), the sum taken along the axis. Saves the output; backward is
//! written with Var ops on it, so the second derivative follows.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Softmax along `axis`: non-negative values summing to 1 along that axis, computed
    /// with the maximum subtracted so large logits do not overflow.
    ///
    /// # Panics
    ///
    /// If `axis` is out of range, or has extent 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0f64, 1.0, 1000.0, 1000.0], &[2, 2]).unwrap());
    /// assert_eq!(x.softmax(1).value().to_vec(), vec![0.5, 0.5, 0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Var<T> {
        let y = {
            let x = self.data();
            check_axis("softmax", x.shape(), axis);
            let e = x.sub(&x.max(&[axis], true)).exp();
            e.div(&e.sum(&[axis], true))
        };
        Var::from_op("softmax", y, vec![self.clone()], SoftmaxBackward { axis })
    }
}

/// Panics, naming `op` and the shape, unless `axis` is a non-empty axis of `shape`.
#[track_caller]
pub(crate) fn check_axis(op: &str, shape: &[usize], axis: usize) {
    assert!(
        axis < shape.len(),
        "{op}: axis {axis} is out of range for shape {shape:?}"
    );
    assert!(
        shape[axis] > 0,
        "{op}: axis {axis} has extent 0 (shape {shape:?})"
    );
}

struct SoftmaxBackward {
    axis: usize,
}

impl<T: Float> Backward<T> for SoftmaxBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let y = ctx.output();
        let gy = g.mul(y);
        let s = gy.sum_axes(&[self.axis], true);
        vec![Some(gy.sub(&y.mul(&s)))]
    }
}

/// A random shape with `ndim` axes whose reduced `axes` have extent 2..=5 (an extent of 1
/// would make the op constant along them and the check vacuous) and other extents 1..=4.
pub(crate) fn reduced_shape_for(rng: &mut Rng, ndim: usize, axes: &[usize]) -> Vec<usize> {
    let mut s = inputs::shape(rng, ndim, 4);
    for &a in axes {
        s[a] += 1;
    }
    s
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let last = reduced_shape_for(rng, 2, &[1]);
    let first = reduced_shape_for(rng, 2, &[0]);
    let middle = reduced_shape_for(rng, 3, &[1]);
    let wide = Tensor::normal(&[3, 5], 0.0, 10.0, rng);
    vec![
        GradCase::new("2-d last axis", vec![inputs::normal(rng, &last)], |v| {
            v[0].softmax(1)
        }),
        GradCase::new("2-d axis 0", vec![inputs::normal(rng, &first)], |v| {
            v[0].softmax(0)
        }),
        GradCase::new("3-d middle axis", vec![inputs::normal(rng, &middle)], |v| {
            v[0].softmax(1)
        }),
        GradCase::new("1-d", vec![inputs::normal(rng, &[6])], |v| v[0].softmax(0)),
        GradCase::new("wide logits (std 10)", vec![wide], |v| v[0].softmax(1)),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Rng, Tensor};

    use crate::Var;

    #[test]
    fn rows_sum_to_one_and_shift_does_not_matter() {
        let x = Tensor::<f64>::randn(&[3, 4], &mut Rng::seed_from_u64(7));
        let y = Var::new(x.clone()).softmax(1).value();
        for s in y.sum(&[1], false).to_vec() {
            assert!((s - 1.0).abs() < 1e-15);
        }
        assert!(y.to_vec().iter().all(|&p| p > 0.0));
        let shifted = Var::new(x.add_scalar(50.0)).softmax(1).value();
        assert!(shifted.allclose(&y, 1e-12, 1e-15));
    }

    #[test]
    fn finite_at_huge_logits_in_f32() {
        let x = Var::parameter(Tensor::from_vec(vec![1e4f32, -1e4, 0.0, -1e4], &[2, 2]).unwrap());
        let y = x.softmax(1);
        assert!(y.value().all_finite());
        assert_eq!(y.value().to_vec(), vec![1.0, 0.0, 1.0, 0.0]);
        y.mul(&Var::new(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap()))
            .sum()
            .backward();
        assert!(x.grad().unwrap().all_finite());
    }

    #[test]
    #[should_panic(expected = "softmax: axis 2 is out of range for shape [2, 3]")]
    fn bad_axis_names_the_op() {
        let _ = Var::new(Tensor::<f32>::zeros(&[2, 3])).softmax(2);
    }
}
