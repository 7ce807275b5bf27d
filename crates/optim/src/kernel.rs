//! Helpers for the per-tensor update loops over contiguous slices.
//!
//! Each optimizer updates a parameter whose value, gradient and state buffers are all
//! contiguous (always the case in practice) with one loop over slices, monomorphized for its
//! options: every option becomes a `const bool` parameter, so the loop body has no branches
//! and LLVM can vectorize it. The per-element floating-point operations are exactly those of
//! the general `Zip` path, in the same order (IEEE addition, multiplication, division and
//! square root round the same way in a SIMD lane as in a scalar register), so both paths give
//! bit-identical results; a test in each optimizer checks it.

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

/// Parameters with fewer elements than this are updated on the calling thread: below it,
/// handing half the loop to a second thread costs more than it saves (an Adam update takes
/// a few nanoseconds per element; waking a pool thread, a few microseconds).
pub(crate) const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// The chunk length that splits an update of `len` elements into one chunk per thread, or
/// `None` to run it on the calling thread (small parameter, or one thread allowed). The
/// length is a multiple of 64 elements, so two threads rarely write to one cache line.
pub(crate) fn chunk_len(len: usize) -> Option<usize> {
    if len < PARALLEL_MIN_ELEMENTS {
        return None;
    }
    let threads = backprop_tensor::num_threads();
    (threads > 1).then(|| len.div_ceil(threads).next_multiple_of(64))
}
