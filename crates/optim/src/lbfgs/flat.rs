//! The flat vectors of L-BFGS: every parameter (or gradient) flattened and concatenated in
//! order, and the few vector operations PyTorch's `lbfgs.py` applies to them, each rounded in
//! the element type as PyTorch's tensor operations are.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use crate::core::check_grad_shape;

/// `a.dot(b)`: the partial sums of one 16-byte vector (2 lanes in `f64`, 4 in `f32`), lane
/// `i % lanes` taking element `i`, then folded in halves (`(l₀ + l₂) + (l₁ + l₃)`). PyTorch's
/// CPU `dot` is MKL's `ddot`/`sdot`, whose order this is for `f64` vectors of up to 8
/// elements and `f32` ones of 2, 4, 5 and 8 (measured bit for bit); MKL picks other orders
/// for other lengths, where the last bit may differ.
pub(crate) fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    let lanes = 16 / std::mem::size_of::<T>();
    let mut partial = [T::zero(); 4];
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        partial[i % lanes] += x * y;
    }
    let mut width = lanes;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            let upper = partial[i + width];
            partial[i] += upper;
        }
    }
    partial[0]
}

/// `a.abs().sum()`: one partial sum per lane of a 32-byte vector (4 in `f64`, 8 in `f32`),
/// then the lanes in order, as PyTorch's CPU sum reduction adds short vectors.
pub(crate) fn abs_sum<T: Float>(a: &[T]) -> T {
    let lanes = 32 / std::mem::size_of::<T>();
    let mut partial = [T::zero(); 8];
    for (i, x) in a.iter().enumerate() {
        partial[i % lanes] += x.abs();
    }
    partial[..lanes].iter().fold(T::zero(), |sum, &x| sum + x)
}

/// `a.abs().max()`: a NaN anywhere gives NaN, as `torch.max` does; 0 for an empty vector
/// (where PyTorch raises, but L-BFGS never has one).
pub(crate) fn abs_max<T: Float>(a: &[T]) -> T {
    let mut max = T::zero();
    for &x in a {
        let x = x.abs();
        if x.is_nan() {
            return x;
        }
        if x > max {
            max = x;
        }
    }
    max
}

/// `x.add_(y, alpha=alpha)`: `x + alpha·y`, one rounding for the product and one for the sum
/// (PyTorch's kernels for `ATEN_CPU_CAPABILITY=default`; its AVX2 kernels fuse the two).
pub(crate) fn add_scaled<T: Float>(x: &mut [T], alpha: T, y: &[T]) {
    for (x, &y) in x.iter_mut().zip(y) {
        *x += alpha * y;
    }
}

/// `a.mul(s)`.
pub(crate) fn scaled<T: Float>(a: &[T], s: T) -> Vec<T> {
    a.iter().map(|&x| x * s).collect()
}

/// `a.neg()`.
pub(crate) fn neg<T: Float>(a: &[T]) -> Vec<T> {
    a.iter().map(|&x| -x).collect()
}

/// `a.sub(b)`.
pub(crate) fn sub<T: Float>(a: &[T], b: &[T]) -> Vec<T> {
    a.iter().zip(b).map(|(&x, &y)| x - y).collect()
}

/// The number of elements of all parameters together.
pub(crate) fn numel<T: Float>(params: &[Var<T>]) -> usize {
    params.iter().map(Var::numel).sum()
}

/// PyTorch's `_gather_flat_grad`: the gradients flattened and concatenated, zeros for a
/// parameter without one, negated when maximizing.
///
/// # Panics
///
/// If a gradient's shape differs from its parameter's.
#[track_caller]
pub(crate) fn gather_flat_grad<T: Float>(params: &[Var<T>], maximize: bool) -> Vec<T> {
    let mut flat = Vec::with_capacity(numel(params));
    for (pi, p) in params.iter().enumerate() {
        let data = p.data();
        p.with_grad(|grad| match grad {
            Some(g) => {
                check_grad_shape("LBFGS", 0, pi, &data, g);
                flat.extend(g.array().iter().copied());
            }
            None => flat.resize(flat.len() + data.numel(), T::zero()),
        });
    }
    if maximize {
        for g in &mut flat {
            *g = -*g;
        }
    }
    flat
}

/// PyTorch's `_add_grad`: `p.add_(update[offset..offset + numel].view_as(p), alpha=step)` for
/// each parameter.
pub(crate) fn add_to_params<T: Float>(params: &[Var<T>], step: T, update: &[T]) {
    let mut offset = 0;
    for p in params {
        let mut data = p.data_mut();
        let n = data.numel();
        let chunk = &update[offset..offset + n];
        for (x, &u) in data.array_mut().iter_mut().zip(chunk) {
            *x += step * u;
        }
        offset += n;
    }
}

/// PyTorch's `_clone_param`: a copy of every parameter's value.
pub(crate) fn clone_params<T: Float>(params: &[Var<T>]) -> Vec<Tensor<T>> {
    params.iter().map(Var::value).collect()
}

/// PyTorch's `_set_param`: puts saved values back.
pub(crate) fn set_params<T: Float>(params: &[Var<T>], values: &[Tensor<T>]) {
    for (p, x) in params.iter().zip(values) {
        p.set_data(x.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_keeps_one_partial_sum_per_lane_of_a_16_byte_vector() {
        let big = 2f64.powi(53);
        // f64: lanes 0 and 1 take even and odd positions; lane 0 is (2⁵³ − 2⁵³) + 1 = 1, lane
        // 1 is 1 + 1 = 2. In order, 2⁵³ + 1 would lose the 1 and give 2.
        assert_eq!(dot(&[big, 1.0, -big, 1.0, 1.0], &[1.0; 5]), 3.0);
        // f32: four lanes folded as (l₀ + l₂) + (l₁ + l₃); l₀ = 2²⁴ and l₂ = 1 lose the 1,
        // l₁ + l₃ = 2 survives: 2²⁴ + 2. In order, 2²⁴ + 1 + 1 + 1 would give 2²⁴.
        let big32 = 2f32.powi(24);
        assert_eq!(dot(&[big32, 1.0, 1.0, 1.0], &[1.0; 4]), big32 + 2.0);
    }

    #[test]
    fn abs_sum_keeps_one_partial_sum_per_lane() {
        let big = 2f64.powi(53);
        // f64 has 4 lanes: lane 0 gets 1 + 2⁵³, which rounds to 2⁵³, and each 1 of the other
        // lanes is lost in turn; in order, 1 + 1 + 1 + 1 + 2⁵³ keeps them all.
        assert_eq!(abs_sum(&[1.0, -1.0, 1.0, 1.0, big]), big);
        assert_eq!(abs_sum(&[-2.0f32, 3.0]), 5.0);
    }

    #[test]
    fn abs_max_propagates_nan() {
        assert_eq!(abs_max(&[1.0f64, -3.0, 2.0]), 3.0);
        assert!(abs_max(&[1.0f64, f64::NAN, 2.0]).is_nan());
    }
}
