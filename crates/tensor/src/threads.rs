//! How many threads the kernels may use.
//!
//! Matrix products run on several threads when the product is large enough to pay for
//! waking a second thread ([`PARALLEL_MIN_FLOPS`]). The GEMM splits the *output* into
//! tiles that the threads claim one at a time (the calling thread is one of them, see
//! [`crate::team`]); every output element is still the same sum over `k` in the same
//! order, so results are bitwise identical for every thread count (a test checks it). Other
//! loops over at least [`PARALLEL_MIN_ELEMENTS`] independent elements (this crate's elementwise
//! kernels on contiguous tensors, an optimizer's update of a large parameter) are split into
//! chunks of [`parallel_chunk_len`] that the threads run with [`parallel_for_each`]; each
//! element is computed as on one thread, so those results are bitwise the same too.
//! Reductions run on the calling thread.
//!
//! The count starts at the environment variable `BACKPROP_NUM_THREADS` when it holds a
//! positive integer, else at the number of cores available to the process
//! ([`std::thread::available_parallelism`]); [`set_num_threads`] changes it at run time.

use std::sync::atomic::{AtomicUsize, Ordering};

use std::sync::{Arc, Mutex, OnceLock};

use crate::team::Team;

/// Products with fewer multiply-adds than this (`m·n·k`) run on one thread: below it the
/// hand-off to the pool costs more than the second core saves. Measured on W2's shapes, two
/// threads against one: the 10-wide layer's products (1.3 M multiply-adds each) take
/// 44 / 23 / 23 µs instead of 66 / 35 / 32 µs.
pub(crate) const PARALLEL_MIN_FLOPS: usize = 1 << 20;

/// 0 means "not read yet": the first call to [`num_threads`] reads the environment.
static NUM_THREADS: AtomicUsize = AtomicUsize::new(0);

/// The kernel threads, rebuilt when the thread count changes.
static POOL: Mutex<Option<(usize, Arc<Team>)>> = Mutex::new(None);

/// The thread count from `BACKPROP_NUM_THREADS`, or the available cores.
fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        std::env::var("BACKPROP_NUM_THREADS")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// The number of threads the kernels may use (at least 1).
///
/// # Examples
///
/// ```
/// assert!(backprop_tensor::num_threads() >= 1);
/// ```
pub fn num_threads() -> usize {
    match NUM_THREADS.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    }
}

/// Sets the number of threads the kernels may use, for the whole process (like
/// `torch.set_num_threads`). `0` restores the default (`BACKPROP_NUM_THREADS`, else the
/// available cores).
///
/// Results do not depend on this setting: the parallel kernels (the matrix product, long
/// elementwise loops, the optimizers' updates of large parameters) split their output
/// between threads without changing any element's arithmetic or summation order.
///
/// # Examples
///
/// ```
/// use backprop_tensor::{num_threads, set_num_threads};
/// set_num_threads(1);
/// assert_eq!(num_threads(), 1);
/// set_num_threads(0); // back to the default
/// ```
pub fn set_num_threads(n: usize) {
    NUM_THREADS.store(n, Ordering::Relaxed);
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if pool.as_ref().is_some_and(|(n, _)| *n != num_threads()) {
        *pool = None;
    }
}

/// The threads to run a parallel kernel on: the caller and [`num_threads`]` − 1` helpers
/// (see [`crate::team`]); `None` when only one thread may be used (or no helper thread could
/// be started, in which case kernels run serially).
pub(crate) fn pool() -> Option<Arc<Team>> {
    let n = num_threads();
    if n <= 1 {
        return None;
    }
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let team = match pool.as_ref().filter(|(threads, _)| *threads == n) {
        Some((_, team)) => Arc::clone(team),
        None => {
            let team = Arc::new(Team::new(n));
            *pool = Some((n, Arc::clone(&team)));
            team
        }
    };
    (team.threads() > 1).then_some(team)
}

/// Loops over fewer independent elements than this run on the calling thread: below it,
/// handing part of the loop to a second thread costs more than it saves (an elementwise op
/// takes under a nanosecond per element, an Adam update a few; waking a kernel thread takes
/// a few microseconds, and handing work to one that is still polling about one).
pub const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// Chunks per thread: the kernel threads claim chunks one at a time, so with a few per
/// thread a thread that starts late or runs slower takes fewer instead of holding up the
/// loop.
const CHUNKS_PER_THREAD: usize = 4;

/// The chunk length that splits a loop over `len` independent elements between the kernel
/// threads (run the chunks with [`parallel_for_each`]), or `None` to run the loop on the
/// calling thread: fewer than [`PARALLEL_MIN_ELEMENTS`] elements, or one thread allowed.
///
/// The loop is cut into about 4 chunks per thread, none shorter than
/// `PARALLEL_MIN_ELEMENTS / 4`, each a multiple of 64 elements so that two threads rarely
/// write to one cache line.
///
/// # Examples
///
/// ```
/// use backprop_tensor::{parallel_chunk_len, parallel_for_each};
///
/// let mut y = vec![1.0f32; 1 << 20];
/// match parallel_chunk_len(y.len()) {
///     Some(c) => parallel_for_each(y.chunks_mut(c).collect(), |y| y.iter_mut().for_each(|v| *v *= 2.0)),
///     None => y.iter_mut().for_each(|v| *v *= 2.0),
/// }
/// assert!(y.iter().all(|&v| v == 2.0));
/// ```
#[inline]
pub fn parallel_chunk_len(len: usize) -> Option<usize> {
    // The length first: most loops are short, and need not read the thread count.
    if len < PARALLEL_MIN_ELEMENTS {
        return None;
    }
    chunk_len_for(len, num_threads())
}

/// [`parallel_chunk_len`] for `threads` threads.
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

/// Runs `f` on every item, spread over the [`num_threads`] kernel threads when there are
/// several items and more than one thread may be used; otherwise in order on the calling
/// thread.
///
/// Each item is independent work, typically disjoint chunks of the buffers of one
/// elementwise update (`chunks_mut` zipped together), so the result is the same for every
/// thread count. Which thread runs which item is unspecified: `f` must not depend on it.
///
/// # Examples
///
/// ```
/// let mut data = vec![1.0f32; 100_000];
/// let chunks: Vec<&mut [f32]> = data.chunks_mut(25_000).collect();
/// backprop_tensor::parallel_for_each(chunks, |chunk| chunk.iter_mut().for_each(|x| *x *= 2.0));
/// assert!(data.iter().all(|&x| x == 2.0));
/// ```
pub fn parallel_for_each<I: Send>(items: Vec<I>, f: impl Fn(I) + Sync + Send) {
    let pool = if items.len() > 1 { pool() } else { None };
    match pool {
        Some(pool) => pool.run_each(items, f),
        None => items.into_iter().for_each(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_per_thread() {
        // Short loops and one thread: no split.
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
