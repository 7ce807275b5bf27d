//! Keeping freed tensor memory for the next training step (glibc only).
//!
//! A training step allocates the same large buffers every time (activations, gradients,
//! matrix products of several MB) and frees them at its end. glibc's allocator hands freed
//! blocks above its trim threshold back to the kernel, so the next step takes a page fault
//! on every 4 KiB page of them again: ~780 faults a step on W2 (784-512-512-10, batch 256),
//! about an eighth of the step's CPU time (`perf stat -e page-faults`). Raising glibc's mmap
//! and trim thresholds once makes freed blocks stay in the heap and be reused, as PyTorch's
//! caching allocators do for the same reason.
//!
//! glibc's "fast bins" are turned off too: a freed small block that its per-thread cache
//! has no room for waits in a fast bin, and every request of a large block (1 KiB or more,
//! most tensors) first walks all the fast bins with atomic exchanges to merge them
//! (`malloc_consolidate`): ~30 atomic read-modify-writes an epoch of W1, ~3 % of its time.
//! Without fast bins such blocks go straight to the ordinary bins.
//!
//! The cost is memory the process keeps after freeing it: up to [`TRIM_THRESHOLD`] of free
//! heap is not returned to the kernel. Set `BACKPROP_KEEP_FREED_MEMORY=0` to leave the
//! allocator alone. Other allocators (and other platforms) are not touched.
//!
//! This module, the matrix-product kernel, the run-time choice of AVX2 loops (`vmath`,
//! `simd`), the slice view of a contiguous tensor (`tensor/contiguous.rs`), the pool of
//! freed buffers (`pool`), `Tensor`'s drop (which hands its buffer to that pool) and the
//! kernel threads' shared job (`team`) are the crate's only `unsafe` code: `mallopt` is a C function.

#![allow(unsafe_code)]

use std::sync::Once;

/// Blocks up to this size come from the heap instead of a fresh `mmap` (glibc's largest
/// allowed value on 64-bit targets).
pub const MMAP_THRESHOLD: usize = 32 << 20;

/// Free heap up to this size stays with the process.
pub const TRIM_THRESHOLD: usize = 512 << 20;

/// Tells the C allocator to keep freed tensor buffers for reuse instead of returning them
/// to the kernel (see the module docs for why and what it costs). Runs once per process;
/// later calls do nothing. The autograd engine calls it at the first backward pass.
///
/// Does nothing when `BACKPROP_KEEP_FREED_MEMORY` is `0`, or when the process does not use
/// glibc's allocator.
///
/// # Examples
///
/// ```
/// backprop_tensor::keep_freed_memory(); // idempotent
/// ```
pub fn keep_freed_memory() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let disabled = std::env::var("BACKPROP_KEEP_FREED_MEMORY").is_ok_and(|v| v.trim() == "0");
        if !disabled {
            tune();
        }
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune() {
    let as_c = |v: usize| libc::c_int::try_from(v).unwrap_or(libc::c_int::MAX);
    // SAFETY: `mallopt` only changes three of glibc's allocator parameters; it takes plain
    // integers, touches no memory of ours, may be called at any time from any thread (glibc
    // takes its own lock), and reports an invalid value by returning 0, which leaves the
    // parameter as it was.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, as_c(MMAP_THRESHOLD));
        libc::mallopt(libc::M_TRIM_THRESHOLD, as_c(TRIM_THRESHOLD));
        libc::mallopt(libc::M_MXFAST, 0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune() {}
