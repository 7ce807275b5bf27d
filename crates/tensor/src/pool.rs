//! A per-thread cache of freed tensor buffers, for the small training steps that free and
//! allocate the same buffers every step.
//!
//! A step of a small model (W1: an MLP 4-8-9-3 on 120 rows) allocates a few dozen buffers
//! of 1-5 KiB (activations, their gradients, a softmax) and frees them all by the end of
//! the step. Those sizes are above glibc's per-thread cache (1 KiB), so each goes through
//! `_int_malloc`/`_int_free`: ~250 instructions an allocation and its free, ~10 % of the
//! step. Here a dropped tensor's buffer of [`MIN_BYTES`]..=[`MAX_BYTES`] is kept in a small
//! per-thread list instead, and the crate's hot constructors (elementwise results, matrix
//! products) take a buffer of the exact size from it when there is one.
//!
//! The list holds at most [`SLOTS`] buffers (at most `SLOTS × MAX_BYTES`, 2 MiB, per
//! thread), and is freed when the thread exits. Only element types without a destructor
//! are pooled, and a buffer is handed out again only for the same size in bytes and the
//! same alignment, which is what `Vec::from_raw_parts` requires of a buffer allocated for
//! another element type of that layout.
//!
//! The `unsafe` here is that re-typing of buffers: a buffer is kept as a pointer with its
//! size and alignment, and rebuilt as a `Vec` of the requester's element type.

#![allow(unsafe_code)]

use std::alloc::Layout;
use std::cell::RefCell;
use std::mem::{align_of, needs_drop, size_of};
use std::ptr::NonNull;

/// Smaller buffers are left to the C allocator's own per-thread cache, which is as fast.
pub(crate) const MIN_BYTES: usize = 1025;
/// Larger buffers are rare and costly enough to compute that their allocation does not
/// matter (and `keep_freed_memory` keeps the large ones in the heap anyway).
pub(crate) const MAX_BYTES: usize = 64 << 10;
/// How many buffers a thread keeps.
pub(crate) const SLOTS: usize = 32;

/// A kept buffer: its allocation, of `layout`.
struct Buffer {
    ptr: NonNull<u8>,
    layout: Layout,
}

/// The buffers a thread keeps, newest last.
struct Pool {
    buffers: Vec<Buffer>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        for b in self.buffers.drain(..) {
            // SAFETY: each buffer was allocated by the global allocator with `layout` (it
            // came out of a `Vec` with that capacity and element layout) and is owned by
            // the pool alone.
            unsafe { std::alloc::dealloc(b.ptr.as_ptr(), b.layout) };
        }
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { buffers: Vec::new() }) };
}

/// The layout of `n` elements of `T`, when such a buffer is one the pool keeps.
#[inline(always)]
fn pooled_layout<T>(n: usize) -> Option<Layout> {
    if needs_drop::<T>() || size_of::<T>() == 0 {
        return None;
    }
    let bytes = n.checked_mul(size_of::<T>())?;
    if !(MIN_BYTES..=MAX_BYTES).contains(&bytes) {
        return None;
    }
    Layout::from_size_align(bytes, align_of::<T>()).ok()
}

/// An empty `Vec` with room for exactly `n` elements: a kept buffer of that size when the
/// pool has one, else a new allocation.
#[inline]
pub(crate) fn vec_with_capacity<T>(n: usize) -> Vec<T> {
    if let Some(layout) = pooled_layout::<T>(n) {
        let found = POOL
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let i = p.buffers.iter().rposition(|b| b.layout == layout)?;
                Some(p.buffers.swap_remove(i).ptr)
            })
            .ok()
            .flatten();
        if let Some(ptr) = found {
            // SAFETY: the buffer was allocated by the global allocator with `layout`, that
            // is `n * size_of::<T>()` bytes aligned as `T` requires (`Vec`'s contract for
            // a pointer allocated for another element type), nothing else owns it, and a
            // length of 0 claims no initialized element.
            return unsafe { Vec::from_raw_parts(ptr.as_ptr().cast::<T>(), 0, n) };
        }
    }
    Vec::with_capacity(n)
}

/// Keeps `v`'s buffer for a later [`vec_with_capacity`] when it is one the pool keeps and
/// the pool has room; frees it otherwise.
#[inline]
pub(crate) fn recycle<T>(mut v: Vec<T>) {
    let Some(layout) = pooled_layout::<T>(v.capacity()) else {
        return;
    };
    // No destructor to run (`pooled_layout` checked): forgetting the elements is dropping them.
    // SAFETY: 0 is within the capacity, and the elements need no drop.
    unsafe { v.set_len(0) };
    let ptr = v.as_mut_ptr().cast::<u8>();
    let kept = POOL
        .try_with(|p| {
            let mut p = p.borrow_mut();
            if p.buffers.len() >= SLOTS {
                // The oldest goes, so a phase of other sizes does not pin stale ones.
                let old = p.buffers.remove(0);
                // SAFETY: as in `Pool::drop`.
                unsafe { std::alloc::dealloc(old.ptr.as_ptr(), old.layout) };
            }
            // SAFETY: a `Vec`'s pointer with a non-zero capacity is non-null.
            let ptr = unsafe { NonNull::new_unchecked(ptr) };
            p.buffers.push(Buffer { ptr, layout });
        })
        .is_ok();
    if kept {
        // The pool owns the allocation now.
        std::mem::forget(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recycled buffer comes back for the same byte size and alignment, also as another
    /// element type of that layout, and not for another size.
    #[test]
    fn buffers_come_back_for_the_same_layout() {
        let mut v: Vec<f32> = vec_with_capacity(400);
        assert_eq!(v.capacity(), 400);
        v.extend((0..400).map(|i| i as f32));
        let ptr = v.as_ptr() as usize;
        recycle(v);
        let w: Vec<u32> = vec_with_capacity(400);
        assert_eq!((w.as_ptr() as usize, w.len(), w.capacity()), (ptr, 0, 400));
        recycle(w);
        let other: Vec<f32> = vec_with_capacity(401);
        assert_ne!(other.as_ptr() as usize, ptr);
        let again: Vec<f32> = vec_with_capacity(400);
        assert_eq!(again.as_ptr() as usize, ptr);
    }

    /// A dropped tensor's buffer serves the next elementwise result or matrix product of
    /// its size, which computes its own values into it.
    #[test]
    fn a_dropped_tensors_buffer_serves_the_next_result_of_its_size() {
        use crate::Tensor;
        let a = Tensor::<f32>::full(&[20, 20], 3.0);
        let b = a.add(&a);
        let ptr = b.as_slice().expect("contiguous").as_ptr() as usize;
        drop(b);
        let c = a.mul(&a);
        assert_eq!(c.as_slice().expect("contiguous").as_ptr() as usize, ptr);
        assert!(c.to_vec().iter().all(|&x| x == 9.0));
        drop(c);
        let d = a.matmul(&a);
        assert_eq!(d.as_slice().expect("contiguous").as_ptr() as usize, ptr);
        assert!(d.to_vec().iter().all(|&x| x == 180.0));
    }

    /// Buffers outside the pooled sizes, and element types with a destructor, are freed
    /// as usual.
    #[test]
    fn only_plain_buffers_of_the_pooled_sizes_are_kept() {
        assert!(pooled_layout::<f32>(10).is_none());
        assert!(pooled_layout::<f32>(MAX_BYTES / 4 + 1).is_none());
        assert!(pooled_layout::<String>(100).is_none());
        assert!(pooled_layout::<f64>(200).is_some());
        // At most SLOTS are kept; the oldest goes first.
        let vs: Vec<Vec<f64>> = (0..SLOTS + 3).map(|_| vec_with_capacity(256)).collect();
        let first = vs[0].as_ptr() as usize;
        vs.into_iter().for_each(recycle);
        let n = POOL.with(|p| p.borrow().buffers.len());
        assert!(n <= SLOTS, "{n}");
        let kept: Vec<usize> = POOL.with(|p| {
            p.borrow()
                .buffers
                .iter()
                .map(|b| b.ptr.as_ptr() as usize)
                .collect()
        });
        assert!(!kept.contains(&first));
    }
}
