//! Gradient clipping, like `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.
//!
//! `clip_grad_norm` treats all gradients as one vector: the total norm is the `p`-norm of the
//! per-parameter norms (`‖(‖g₁‖, ‖g₂‖, …)‖_p`, which equals the norm of all elements), or the
//! largest absolute element for `p = ∞`. Every gradient is multiplied by
//! `min(1, max_norm / (total + 1e-6))`; when that is 1 nothing changes.
//! [`clip_grad_norm_checked`] is PyTorch's `error_if_nonfinite=True`.

use backprop_autograd::Var;
use backprop_tensor::Float;

use crate::OptimError;

/// Scales the gradients of `params` (anything iterating over `&Var`: `&params`,
/// `[&w, &b]`, ...) together so that their total `norm_type`-norm is at most `max_norm`,
/// and returns the total norm measured before scaling. Parameters without a gradient are
/// ignored; with no gradients at all the result is 0.
///
/// The coefficient is `max_norm / (total + 1e-6)`, applied only when it is below 1, as in
/// PyTorch (a NaN or infinite total also scales, spreading the NaN or zeroing the gradients,
/// as PyTorch does with `error_if_nonfinite=False`). Norms are accumulated in `f64`.
///
/// # Panics
///
/// If `norm_type` is not positive (use `2.0` for the Euclidean norm, `f64::INFINITY` for the
/// max norm).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::clip_grad_norm;
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f64>::zeros(&[2]));
/// w.set_grad(Some(Tensor::from_vec(vec![3.0, 4.0], &[2]).unwrap()));
/// let total = clip_grad_norm([&w], 1.0, 2.0);
/// assert_eq!(total, 5.0);
/// let g = w.grad().unwrap().to_vec();
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
#[track_caller]
pub fn clip_grad_norm<'a, T: Float>(
    params: impl IntoIterator<Item = &'a Var<T>>,
    max_norm: f64,
    norm_type: f64,
) -> f64 {
    let params: Vec<&Var<T>> = params.into_iter().collect();
    let Some(total) = total_norm(&params, norm_type) else {
        return 0.0;
    };
    scale_grads(&params, max_norm, total);
    total
}

/// [`clip_grad_norm`] with PyTorch's `error_if_nonfinite=True`: when the total norm is NaN
/// or infinite, returns an error and leaves every gradient as it was; otherwise clips and
/// returns the total norm like [`clip_grad_norm`].
///
/// # Errors
///
/// [`OptimError::NonFiniteNorm`] when the total `norm_type`-norm of the gradients is NaN or
/// infinite.
///
/// # Panics
///
/// If `norm_type` is not positive.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{OptimError, clip_grad_norm_checked};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f64>::zeros(&[2]));
/// w.set_grad(Some(Tensor::from_vec(vec![3.0, f64::INFINITY], &[2]).unwrap()));
/// let err = clip_grad_norm_checked([&w], 1.0, 2.0).unwrap_err();
/// assert!(matches!(err, OptimError::NonFiniteNorm { .. }));
/// assert_eq!(w.grad().unwrap().to_vec(), vec![3.0, f64::INFINITY]); // untouched
///
/// w.set_grad(Some(Tensor::from_vec(vec![3.0, 4.0], &[2]).unwrap()));
/// assert_eq!(clip_grad_norm_checked([&w], 10.0, 2.0), Ok(5.0));
/// ```
#[track_caller]
pub fn clip_grad_norm_checked<'a, T: Float>(
    params: impl IntoIterator<Item = &'a Var<T>>,
    max_norm: f64,
    norm_type: f64,
) -> Result<f64, OptimError> {
    let params: Vec<&Var<T>> = params.into_iter().collect();
    let Some(total) = total_norm(&params, norm_type) else {
        return Ok(0.0);
    };
    if !total.is_finite() {
        return Err(OptimError::NonFiniteNorm { norm_type, total });
    }
    scale_grads(&params, max_norm, total);
    Ok(total)
}

/// The total `norm_type`-norm of the gradients of `params`, or `None` when none has a
/// gradient.
#[track_caller]
fn total_norm<T: Float>(params: &[&Var<T>], norm_type: f64) -> Option<f64> {
    assert!(
        norm_type > 0.0,
        "clip_grad_norm: norm_type must be positive (2.0, f64::INFINITY, ...), got {norm_type}"
    );
    let norms: Vec<f64> = params
        .iter()
        .filter_map(|p| {
            p.with_grad(|g| g.map(|g| vector_norm(g.array().iter().map(|x| x.as_f64()), norm_type)))
        })
        .collect();
    (!norms.is_empty()).then(|| vector_norm(norms.iter().copied(), norm_type))
}

/// Multiplies every gradient by `min(1, max_norm / (total + 1e-6))`.
fn scale_grads<T: Float>(params: &[&Var<T>], max_norm: f64, total: f64) {
    let coef = max_norm / (total + 1e-6);
    // `torch.clamp(coef, max=1.0)` keeps a NaN coefficient, so `coef < 1 || coef is NaN` scales then.
    if coef < 1.0 || coef.is_nan() {
        let coef = T::from_f64(coef);
        for p in params {
            p.with_grad_mut(|g| {
                if let Some(g) = g {
                    g.array_mut().mapv_inplace(|x| x * coef);
                }
            });
        }
    }
}

/// Clamps every gradient element into `[-clip_value, clip_value]` in place.
///
/// # Panics
///
/// If `clip_value` is negative or NaN.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::clip_grad_value;
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[3]));
/// w.set_grad(Some(Tensor::from_vec(vec![-5.0, 0.5, 2.0], &[3]).unwrap()));
/// clip_grad_value([&w], 1.0);
/// assert_eq!(w.grad().unwrap().to_vec(), vec![-1.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn clip_grad_value<'a, T: Float>(
    params: impl IntoIterator<Item = &'a Var<T>>,
    clip_value: f64,
) {
    assert!(
        clip_value >= 0.0,
        "clip_grad_value: clip_value must be >= 0, got {clip_value}"
    );
    let hi = T::from_f64(clip_value);
    let lo = -hi;
    for p in params {
        p.with_grad_mut(|g| {
            if let Some(g) = g {
                // `torch.clamp` keeps NaN.
                g.array_mut().mapv_inplace(|x| {
                    if x < lo {
                        lo
                    } else if x > hi {
                        hi
                    } else {
                        x
                    }
                });
            }
        });
    }
}

/// The `p`-norm of a sequence (the largest absolute value for `p = ∞`).
fn vector_norm(values: impl Iterator<Item = f64>, p: f64) -> f64 {
    if p == f64::INFINITY {
        values.fold(0.0, |m, x| {
            if x.abs() > m || x.is_nan() {
                x.abs()
            } else {
                m
            }
        })
    } else if p == 2.0 {
        values.map(|x| x * x).sum::<f64>().sqrt()
    } else if p == 1.0 {
        values.map(f64::abs).sum()
    } else {
        values.map(|x| x.abs().powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backprop_tensor::Tensor;

    fn param_with_grad(g: Vec<f64>) -> Var<f64> {
        let n = g.len();
        let p = Var::parameter(Tensor::zeros(&[n]));
        p.set_grad(Some(Tensor::from_vec(g, &[n]).unwrap()));
        p
    }

    #[test]
    fn global_two_norm_over_all_parameters() {
        let a = param_with_grad(vec![1.0, 2.0]);
        let b = param_with_grad(vec![2.0]);
        let none = Var::parameter(Tensor::<f64>::zeros(&[4]));
        // sqrt(1 + 4 + 4) = 3.
        let total = clip_grad_norm([&a, &none, &b], 1.5, 2.0);
        assert_eq!(total, 3.0);
        let coef = 1.5 / (3.0 + 1e-6);
        assert_eq!(a.grad().unwrap().to_vec(), vec![coef, 2.0 * coef]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![2.0 * coef]);
        assert!(none.grad().is_none());
        // The clipped gradients have norm max_norm (up to the 1e-6 guard).
        let after = clip_grad_norm([&a, &b], 10.0, 2.0);
        assert!((after - 1.5).abs() < 1e-6);
    }

    #[test]
    fn infinity_norm_is_the_largest_element() {
        let a = param_with_grad(vec![1.0, -7.0]);
        let b = param_with_grad(vec![3.0]);
        let total = clip_grad_norm([&a, &b], 3.5, f64::INFINITY);
        assert_eq!(total, 7.0);
        let coef = 3.5 / (7.0 + 1e-6);
        assert_eq!(a.grad().unwrap().to_vec(), vec![coef, -7.0 * coef]);
    }

    #[test]
    fn one_norm_and_general_p() {
        let a = param_with_grad(vec![1.0, -2.0]);
        assert_eq!(clip_grad_norm([&a], 100.0, 1.0), 3.0);
        let expected = (1.0f64 + 8.0).powf(1.0 / 3.0);
        assert!((clip_grad_norm([&a], 100.0, 3.0) - expected).abs() < 1e-12);
    }

    #[test]
    fn small_gradients_are_untouched() {
        let a = param_with_grad(vec![0.3, -0.4]);
        let total = clip_grad_norm([&a], 1.0, 2.0);
        assert!((total - 0.5).abs() < 1e-15);
        // Bit-for-bit unchanged, not multiplied by a coefficient near 1.
        assert_eq!(a.grad().unwrap().to_vec(), vec![0.3, -0.4]);
        // Exactly at max_norm: coefficient max_norm/(max_norm + 1e-6) < 1 scales, as in PyTorch.
        let b = param_with_grad(vec![3.0, 4.0]);
        clip_grad_norm([&b], 5.0, 2.0);
        assert_eq!(b.grad().unwrap().to_vec()[0], 3.0 * (5.0 / (5.0 + 1e-6)));
    }

    #[test]
    fn no_gradients_gives_zero() {
        let p = Var::parameter(Tensor::<f32>::zeros(&[2]));
        assert_eq!(clip_grad_norm([&p], 1.0, 2.0), 0.0);
    }

    #[test]
    fn nan_gradient_spreads_like_pytorch() {
        let a = param_with_grad(vec![f64::NAN, 1.0]);
        let b = param_with_grad(vec![1.0]);
        assert!(clip_grad_norm([&a, &b], 1.0, 2.0).is_nan());
        assert!(b.grad().unwrap().to_vec()[0].is_nan());
    }

    #[test]
    fn clip_value_clamps_both_sides_and_keeps_small_values() {
        let a = param_with_grad(vec![-3.0, -0.25, 0.0, 0.75, 9.0]);
        clip_grad_value([&a], 0.5);
        assert_eq!(a.grad().unwrap().to_vec(), vec![-0.5, -0.25, 0.0, 0.5, 0.5]);
    }

    #[test]
    #[should_panic(expected = "norm_type must be positive")]
    fn zero_norm_type_panics() {
        clip_grad_norm([&param_with_grad(vec![1.0])], 1.0, 0.0);
    }
}
