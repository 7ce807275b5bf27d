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

/// Parameters with fewer elements than this are updated on the calling thread: below it,
/// handing half the loop to a second thread costs more than it saves (an Adam update takes
/// a few nanoseconds per element; waking a pool thread, a few microseconds).
pub(crate) const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// Chunks per thread: the kernel threads claim chunks one at a time, so with a few per
/// thread a thread that starts late or runs slower takes fewer instead of holding up the
/// update.
const CHUNKS_PER_THREAD: usize = 4;

/// The chunk length that splits an update of `len` elements into [`CHUNKS_PER_THREAD`]
/// chunks per thread (none shorter than [`PARALLEL_MIN_ELEMENTS`]` / 4`), or `None` to run it
/// on the calling thread (small parameter, or one thread allowed). The length is a multiple
/// of 64 elements, so two threads rarely write to one cache line.
pub(crate) fn chunk_len(len: usize) -> Option<usize> {
    chunk_len_for(len, backprop_tensor::num_threads())
}

/// [`chunk_len`] for `threads` threads.
fn chunk_len_for(len: usize, threads: usize) -> Option<usize> {
    if len < PARALLEL_MIN_ELEMENTS {
        return None;
    }
    (threads > 1).then(|| {
        len.div_ceil(threads * CHUNKS_PER_THREAD)
            .max(PARALLEL_MIN_ELEMENTS / 4)
            .next_multiple_of(64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_per_thread() {
        // Small parameters and one thread: no split.
        assert_eq!(chunk_len_for(PARALLEL_MIN_ELEMENTS - 1, 2), None);
        assert_eq!(chunk_len_for(1 << 20, 1), None);
        // W2's first weight (784 × 512) on two threads: 8 chunks of 50,176.
        assert_eq!(chunk_len_for(784 * 512, 2), Some(50_176));
        // Just above the threshold: chunks of a quarter of it, not 8 tiny ones.
        assert_eq!(chunk_len_for(PARALLEL_MIN_ELEMENTS, 2), Some(16_384));
        for &(len, threads) in &[(1 << 16, 2), (400_000, 2), (1_000_003, 3), (5 << 20, 4)] {
            let c = chunk_len_for(len, threads).expect("splits");
            assert_eq!(c % 64, 0);
            assert!(
                len.div_ceil(c) <= threads * CHUNKS_PER_THREAD,
                "{len} {threads}"
            );
            assert!(len.div_ceil(c) >= threads.min(4), "{len} {threads}");
        }
    }
}
