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
            match last_axis_rows(&x).filter(|_| axis + 1 == x.ndim()) {
                Some((xs, rows, c)) => {
                    let mut e = shifted_exp(xs, rows, c);
                    for row in 0..rows {
                        let r = &mut e[row * c..(row + 1) * c];
                        let s: T = r.iter().copied().sum();
                        for v in r.iter_mut() {
                            *v /= s;
                        }
                    }
                    Tensor::from_vec(e, x.shape()).expect("same shape as the input")
                }
                None => {
                    let e = x.sub(&x.max(&[axis], true)).exp();
                    e.div(&e.sum(&[axis], true))
                }
            }
        };
        Var::from_unary_op("softmax", y, self, SoftmaxBackward { axis })
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

/// The row-major storage of `x` viewed as `[rows, c]` rows along the last axis, when `x`
/// is row-major (the fast paths of the softmax family need contiguous rows).
pub(crate) fn last_axis_rows<T: Float>(x: &Tensor<T>) -> Option<(&[T], usize, usize)> {
    let c = *x.shape().last()?;
    let xs = x.as_slice()?;
    (c > 0).then(|| (xs, xs.len() / c, c))
}

/// The largest element of a row, NaN if any element is NaN (as [`Tensor::max`]).
pub(crate) fn row_max<T: Float>(row: &[T]) -> T {
    row.iter().fold(T::neg_infinity(), |m, &v| {
        if v.is_nan() || m.is_nan() {
            T::nan()
        } else if v > m {
            v
        } else {
            m
        }
    })
}

/// e^{x - m_row} for every element of the `[rows, c]` slice, m_row the row maximum; the
/// exponentials run over the whole buffer at once through the vectorized kernel.
pub(crate) fn shifted_exp<T: Float>(xs: &[T], rows: usize, c: usize) -> Vec<T> {
    let mut e = xs.to_vec();
    for row in e.chunks_exact_mut(c).take(rows) {
        let m = row_max(row);
        for v in row.iter_mut() {
            *v -= m;
        }
    }
    T::exp_in_place(&mut e);
    e
}

struct SoftmaxBackward {
    axis: usize,
}

impl<T: Float> Backward<T> for SoftmaxBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        // dx = g·y - y · Σ(g·y), the same formula as `backward` on tensors.
        let y = ctx.output().data();
        let gy = g.mul(&y);
        if let (Some((gys, rows, c)), Some(ys)) = (last_axis_rows(&gy), y.as_slice()) {
            if self.axis + 1 == y.ndim() {
                let mut dx = gys.to_vec();
                for row in 0..rows {
                    let r = row * c..(row + 1) * c;
                    let s: T = gys[r.clone()].iter().copied().sum();
                    for (d, &yv) in dx[r.clone()].iter_mut().zip(&ys[r]) {
                        *d -= yv * s;
                    }
                }
                return vec![Some(
                    Tensor::from_vec(dx, y.shape()).expect("same shape as the output"),
                )];
            }
        }
        let s = gy.sum(&[self.axis], true);
        vec![Some(gy.sub(&y.mul(&s)))]
    }

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
