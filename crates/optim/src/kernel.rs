//! Helpers for the per-tensor update loops over contiguous slices.
//!
//! Each optimizer updates a parameter whose value, gradient and state buffers are all
//! contiguous (always the case in practice) with one loop over slices, monomorphized for its
//! options: every option becomes a `const bool` parameter, so the loop body has no branches
//! and LLVM can vectorize it. The per-element floating-point operations are exactly those of
//! the general `Zip` path, in the same order (IEEE addition, multiplication, division and
//! square root round the same way in a SIMD lane as in a scalar register), so both paths give
//! bit-identical results; a test in each optimizer checks it.

use backprop_tensor::ndarray::Zip;
use backprop_tensor::{Float, Tensor};

/// Calls `$f::<..., B1, B2, ...>(args)` with each runtime `bool` turned into a `const bool`
/// argument, choosing one monomorphized loop per tensor instead of branching per element.
///
/// The loop runs through [`backprop_tensor::vectorized`]: eight lanes with AVX2 when the CPU
/// has it, the same bits either way. `$f` must be `#[inline(always)]` so that its loop is
/// compiled into both versions.
macro_rules! dispatch_bools {
    ($f:ident::<$($done:tt),*>($($arg:expr),* $(,)?);) => {
        backprop_tensor::vectorized(#[inline(always)] || $f::<$($done),*>($($arg),*))
    };
    ($f:ident::<$($done:tt),*>($($arg:expr),* $(,)?); $b:expr $(, $rest:expr)* $(,)?) => {
        if $b {
            $crate::kernel::dispatch_bools!($f::<$($done,)* true>($($arg),*); $($rest),*)
        } else {
            $crate::kernel::dispatch_bools!($f::<$($done,)* false>($($arg),*); $($rest),*)
        }
    };
}
pub(crate) use dispatch_bools;

/// [`lerp`](crate::core::lerp) with its branch on `w` chosen once per tensor: `LOW` is
/// `|w| < 0.5`. `one_minus_w` is `1 − w` rounded to `T`, the value `lerp` computes inline.
#[inline(always)]
pub(crate) fn lerp_fixed<T: backprop_tensor::Float, const LOW: bool>(
    a: T,
    b: T,
    w: T,
    one_minus_w: T,
) -> T {
    if LOW {
        a + w * (b - a)
    } else {
        b - (b - a) * one_minus_w
    }
}

/// Calls `f(p, g, a)` on every element of a parameter, its gradient and one state buffer, all of
/// one shape: over slices when the three are contiguous (the usual case), otherwise through
/// ndarray's `Zip`, which takes any layout. Both paths apply the same `f` to each element once,
/// so they give the same bits. The caller checks the shapes first
/// ([`check_state_shape`](crate::core::check_state_shape)).
#[inline(always)]
pub(crate) fn zip3<T: Float>(
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    a: &mut Tensor<T>,
    mut f: impl FnMut(&mut T, T, &mut T),
) {
    if let (Some(p), Some(g), Some(a)) = (param.as_slice_mut(), grad.as_slice(), a.as_slice_mut()) {
        let n = p.len();
        let (g, a) = (&g[..n], &mut a[..n]);
        for i in 0..n {
            f(&mut p[i], g[i], &mut a[i]);
        }
        return;
    }
    Zip::from(param.array_mut())
        .and(grad.array())
        .and(a.array_mut())
        .for_each(|p, &g, a| f(p, g, a));
}

/// [`zip3`] with two state buffers: `f(p, g, a, b)`.
#[inline(always)]
pub(crate) fn zip4<T: Float>(
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    a: &mut Tensor<T>,
    b: &mut Tensor<T>,
    mut f: impl FnMut(&mut T, T, &mut T, &mut T),
) {
    if let (Some(p), Some(g), Some(a), Some(b)) = (
        param.as_slice_mut(),
        grad.as_slice(),
        a.as_slice_mut(),
        b.as_slice_mut(),
    ) {
        let n = p.len();
        let (g, a, b) = (&g[..n], &mut a[..n], &mut b[..n]);
        for i in 0..n {
            f(&mut p[i], g[i], &mut a[i], &mut b[i]);
        }
        return;
    }
    Zip::from(param.array_mut())
        .and(grad.array())
        .and(a.array_mut())
        .and(b.array_mut())
        .for_each(|p, &g, a, b| f(p, g, a, b));
}
