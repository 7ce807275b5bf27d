//! The kernel threads: the calling thread plus `threads − 1` helpers that share a list of
//! independent work items (tiles of a matrix product, chunks of an optimizer's update).
//!
//! Why not a general pool such as rayon's: a kernel here is a few dozen microseconds to a
//! few milliseconds long, and on the shared virtual machines this library is measured on,
//! waking a sleeping thread costs tens to hundreds of microseconds (the idle virtual CPU has
//! to be rescheduled by the hypervisor). A rayon `install` from outside the pool pays that
//! twice per product (a worker to take the job, a second to steal half of it) and the
//! caller sits idle. Here, as in OpenMP runtimes:
//!
//! - the caller works on the items at once instead of handing them off;
//! - items are claimed one at a time from a shared counter, so a helper that wakes late, or a
//!   core slowed by a neighbour, takes fewer items instead of holding up the rest;
//! - after a job a helper keeps polling for the next one for [`SPIN`] before it sleeps, so
//!   the products of one training step (a few hundred microseconds apart) find it awake.
//!
//! Measured on W2 and W3 against the rayon version: see `docs/performance.md`.
//!
//! Results never depend on which thread runs an item: callers split work into items whose
//! outputs are disjoint and whose arithmetic does not depend on the split.

#![allow(unsafe_code)]

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

/// How long a helper polls for the next job before it sleeps. Long enough to bridge the
/// gaps between the products of a training step (elementwise ops, the optimizer update),
/// short enough that an idle program gives its cores back almost at once.
pub(crate) const SPIN: Duration = Duration::from_millis(2);

/// A job's items as the helpers see it: a closure with its lifetime erased (see
/// [`Team::run`] for why that is sound) and the number of items.
#[derive(Clone, Copy)]
struct Job {
    f: *const (dyn Fn(usize) + Sync),
    items: usize,
}

// SAFETY: `Job` only carries a pointer to a `Sync` closure between threads; the closure is
// called through a shared reference and outlives every use (see `Team::run`).
unsafe impl Send for Job {}

/// State shared by the caller of a job and the helpers.
struct Shared {
    /// Odd while a job is open, even when closed; every job moves it by 2.
    epoch: AtomicUsize,
    /// The open job (read by a helper after it has registered in `busy` and seen the job's
    /// epoch still open).
    job: Mutex<Option<Job>>,
    /// The next item to claim.
    next: AtomicUsize,
    /// Helpers inside the current job.
    busy: AtomicUsize,
    /// Helpers asleep on `wake` (or about to be).
    sleepers: AtomicUsize,
    sleep_lock: Mutex<()>,
    wake: Condvar,
    /// Set when the team is dropped: helpers exit.
    shutdown: AtomicBool,
    /// The first panic of a helper's item, re-raised on the caller.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

/// A set of kernel threads; see the module documentation.
pub(crate) struct Team {
    shared: Arc<Shared>,
    threads: usize,
    /// Held by the caller of a job for its whole run: one job at a time. A second caller
    /// (another user thread, or an item that itself asks for threads) runs its items alone.
    submit: Mutex<()>,
}

impl Team {
    /// A team of `threads` threads: the caller and `threads − 1` helpers (fewer if the
    /// operating system refuses to start some; the work is still done).
    pub(crate) fn new(threads: usize) -> Team {
        let shared = Arc::new(Shared {
            epoch: AtomicUsize::new(0),
            job: Mutex::new(None),
            next: AtomicUsize::new(0),
            busy: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            sleep_lock: Mutex::new(()),
            wake: Condvar::new(),
            shutdown: AtomicBool::new(false),
            panic: Mutex::new(None),
        });
        let mut started = 1;
        for i in 1..threads.max(1) {
            let s = Arc::clone(&shared);
            let spawned = thread::Builder::new()
                .name(format!("backprop-{i}"))
                .spawn(move || helper(&s));
            if spawned.is_ok() {
                started += 1;
            }
        }
        Team {
            shared,
            threads: started,
            submit: Mutex::new(()),
        }
    }

    /// The number of threads, the caller included.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Calls `f(i)` for every `i` in `0..items`, each exactly once, on the caller and the
    /// helpers; returns when all calls have returned. A panic in any call is re-raised here
    /// after the others have finished.
    pub(crate) fn run(&self, items: usize, f: &(dyn Fn(usize) + Sync)) {
        if items == 0 {
            return;
        }
        let _guard = match self.submit.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => {
                // Another job is running (possibly the one this call is an item of).
                (0..items).for_each(f);
                return;
            }
        };
        if self.threads <= 1 || items == 1 {
            (0..items).for_each(f);
            return;
        }
        let s = &*self.shared;
        // SAFETY: the helpers call the closure only between registering in `busy` and
        // seeing its job's epoch still open; `Close` (below, also run on unwinding) closes
        // the epoch and then waits until `busy` is zero, so no helper uses the pointer after
        // this function returns and the borrow of `f` ends.
        let f_static: *const (dyn Fn(usize) + Sync) = unsafe {
            std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static (dyn Fn(usize) + Sync)>(f)
        };
        *lock(&s.job) = Some(Job { f: f_static, items });
        s.next.store(0, Ordering::Relaxed);
        s.epoch.fetch_add(1, Ordering::SeqCst); // open (odd)
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = lock(&s.sleep_lock);
            s.wake.notify_all();
        }
        let close = Close(s);
        loop {
            let i = s.next.fetch_add(1, Ordering::Relaxed);
            if i >= items {
                break;
            }
            f(i);
        }
        drop(close);
        if let Some(payload) = lock(&s.panic).take() {
            resume_unwind(payload);
        }
    }

    /// Calls `f` once on each of `items`, moving each item to whichever thread claims it (see
    /// [`Team::run`]).
    pub(crate) fn run_each<I: Send>(&self, items: Vec<I>, f: impl Fn(I) + Sync) {
        // Each cell is taken exactly once, by the thread that claims its index.
        let cells: Vec<Mutex<Option<I>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
        self.run(cells.len(), &|i| {
            if let Some(item) = lock(&cells[i]).take() {
                f(item);
            }
        });
    }
}

/// Closes the open job and waits for the helpers still inside it (also when the caller's
/// own item panics, so that no helper outlives the closure).
struct Close<'a>(&'a Shared);

impl Drop for Close<'_> {
    fn drop(&mut self) {
        let s = self.0;
        // Unclaimed items (only after a panic) are skipped.
        s.next.store(usize::MAX / 2, Ordering::Relaxed);
        s.epoch.fetch_add(1, Ordering::SeqCst); // closed (even)
        while s.busy.load(Ordering::SeqCst) != 0 {
            std::hint::spin_loop();
        }
        *lock(&s.job) = None;
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        let s = &*self.shared;
        s.shutdown.store(true, Ordering::SeqCst);
        let _g = lock(&s.sleep_lock);
        s.wake.notify_all();
    }
}

/// A mutex's guard, also when a panicking thread poisoned it (the data stay consistent:
/// every critical section here is a single assignment).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A helper's life: wait for an open job, take items until none are left, repeat.
fn helper(s: &Shared) {
    let mut seen = 0;
    loop {
        let Some(epoch) = wait_for_job(s, seen) else {
            return;
        };
        seen = epoch;
        s.busy.fetch_add(1, Ordering::SeqCst);
        // Still the same open job? Otherwise it closed (or a newer one opened) before this
        // helper registered, and its closure may be gone.
        if s.epoch.load(Ordering::SeqCst) == epoch {
            let job = *lock(&s.job);
            if let Some(job) = job {
                // SAFETY: registered in `busy` while the job's epoch is open: the caller
                // waits for this helper before the closure can go away.
                let f = unsafe { &*job.f };
                loop {
                    let i = s.next.fetch_add(1, Ordering::Relaxed);
                    if i >= job.items {
                        break;
                    }
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(i))) {
                        lock(&s.panic).get_or_insert(payload);
                        s.next.store(usize::MAX / 2, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }
        s.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The epoch of the next open job after `seen`, polling for [`SPIN`] and then sleeping;
/// `None` when the team shuts down.
fn wait_for_job(s: &Shared, seen: usize) -> Option<usize> {
    let open = |e: usize| e % 2 == 1 && e != seen;
    let start = Instant::now();
    let mut polls = 0u32;
    loop {
        if s.shutdown.load(Ordering::Relaxed) {
            return None;
        }
        let e = s.epoch.load(Ordering::Acquire);
        if open(e) {
            return Some(e);
        }
        std::hint::spin_loop();
        polls = polls.wrapping_add(1);
        if polls % 64 == 0 && start.elapsed() >= SPIN {
            break;
        }
    }
    let mut g = lock(&s.sleep_lock);
    s.sleepers.fetch_add(1, Ordering::SeqCst);
    loop {
        if s.shutdown.load(Ordering::SeqCst) {
            s.sleepers.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let e = s.epoch.load(Ordering::SeqCst);
        if open(e) {
            s.sleepers.fetch_sub(1, Ordering::SeqCst);
            return Some(e);
        }
        g = s.wake.wait(g).unwrap_or_else(|e| e.into_inner());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn every_item_runs_exactly_once() {
        for threads in 1..=4 {
            let team = Team::new(threads);
            for items in [0, 1, 2, 3, 7, 64, 1000] {
                let counts: Vec<AtomicU64> = (0..items).map(|_| AtomicU64::new(0)).collect();
                team.run(items, &|i| {
                    counts[i].fetch_add(1, Ordering::Relaxed);
                });
                assert!(
                    counts.iter().all(|c| c.load(Ordering::Relaxed) == 1),
                    "{threads} threads, {items} items"
                );
            }
        }
    }

    #[test]
    fn run_each_moves_every_item_to_one_call() {
        let team = Team::new(3);
        let seen: Vec<AtomicU64> = (0..100).map(|_| AtomicU64::new(0)).collect();
        let items: Vec<Box<usize>> = (0..100).map(Box::new).collect();
        team.run_each(items, |item| {
            seen[*item].fetch_add(1, Ordering::Relaxed);
        });
        assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
    }

    #[test]
    fn many_jobs_in_a_row_and_after_the_helpers_sleep() {
        let team = Team::new(3);
        let total = AtomicU64::new(0);
        for round in 0..2000u64 {
            team.run(5, &|i| {
                total.fetch_add(i as u64 + round, Ordering::Relaxed);
            });
            if round % 500 == 0 {
                thread::sleep(SPIN * 3);
            }
        }
        let want: u64 = (0..2000u64).map(|r| 10 + 5 * r).sum();
        assert_eq!(total.load(Ordering::Relaxed), want);
    }

    #[test]
    fn nested_and_concurrent_jobs_run() {
        let team = Arc::new(Team::new(2));
        let total = AtomicU64::new(0);
        // An item that asks for the team again runs its inner items itself.
        team.run(4, &|_| {
            team.run(3, &|_| {
                total.fetch_add(1, Ordering::Relaxed);
            });
        });
        assert_eq!(total.load(Ordering::Relaxed), 12);
        // Two user threads submitting at once: both finish, every item once.
        let total = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (team, total) = (Arc::clone(&team), Arc::clone(&total));
                thread::spawn(move || {
                    for _ in 0..200 {
                        team.run(6, &|_| {
                            total.fetch_add(1, Ordering::Relaxed);
                        });
                    }
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(total.load(Ordering::Relaxed), 2 * 200 * 6);
    }

    #[test]
    fn a_panicking_item_reaches_the_caller_and_the_team_still_works() {
        let team = Team::new(2);
        for _ in 0..20 {
            let caught = catch_unwind(AssertUnwindSafe(|| {
                team.run(50, &|i| {
                    if i == 17 {
                        panic!("item 17");
                    }
                });
            }));
            let payload = caught.expect_err("the panic must reach the caller");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"item 17"));
        }
        let total = AtomicU64::new(0);
        team.run(100, &|i| {
            total.fetch_add(i as u64, Ordering::Relaxed);
        });
        assert_eq!(total.load(Ordering::Relaxed), 4950);
    }

    #[test]
    fn dropping_the_team_stops_its_helpers() {
        for _ in 0..20 {
            let team = Team::new(3);
            team.run(10, &|_| {});
            let shared = Arc::clone(&team.shared);
            drop(team);
            // Each helper holds a reference to the shared state until it exits.
            let deadline = Instant::now() + Duration::from_secs(10);
            while Arc::strong_count(&shared) > 1 {
                assert!(Instant::now() < deadline, "helpers still running");
                thread::sleep(Duration::from_millis(1));
            }
        }
    }
}
