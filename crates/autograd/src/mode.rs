//! Global switches: gradient recording (`no_grad`) and anomaly detection.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

static ANOMALY: AtomicBool = AtomicBool::new(false);

/// Whether ops on this thread currently record the graph.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Turns graph recording on this thread on or off, returning a guard that restores the
/// previous setting when dropped.
pub fn set_grad_enabled(enabled: bool) -> GradModeGuard {
    let prev = GRAD_ENABLED.with(|g| g.replace(enabled));
    GradModeGuard { prev }
}

/// Restores the previous gradient-recording mode when dropped.
#[must_use = "the mode is restored when the guard is dropped"]
pub struct GradModeGuard {
    prev: bool,
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.prev));
    }
}

/// Runs `f` without recording the graph (like `with torch.no_grad():`): results of ops inside
/// are plain values with no history, which is what evaluation and optimizer updates want.
///
/// # Examples
///
/// ```
/// use backprop_autograd::{Var, no_grad};
/// let w = Var::<f32>::parameter(backprop_tensor::Tensor::ones(&[2]));
/// let y = no_grad(|| w.mul_scalar(3.0));
/// assert!(!y.requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = set_grad_enabled(false);
    f()
}

/// Whether anomaly detection is on (process-wide).
pub fn is_anomaly_enabled() -> bool {
    ANOMALY.load(Ordering::Relaxed)
}

/// Turns anomaly detection on or off for the whole process.
///
/// When on, the first op whose forward output or backward gradient contains NaN or ±Inf
/// panics with the op's name and the source line where the op was called.
pub fn set_detect_anomaly(enabled: bool) {
    ANOMALY.store(enabled, Ordering::Relaxed);
}

/// Runs `f` with anomaly detection on, restoring the previous setting afterwards.
///
/// # Examples
///
/// ```should_panic
/// use backprop_autograd::{Var, detect_anomaly};
/// use backprop_tensor::Tensor;
/// let x = Var::parameter(Tensor::from_vec(vec![-1.0f32], &[1]).unwrap());
/// detect_anomaly(|| x.log()); // panics: "anomaly: op `log` produced NaN ..."
/// ```
pub fn detect_anomaly<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_detect_anomaly(self.0);
        }
    }
    let _restore = Restore(is_anomaly_enabled());
    set_detect_anomaly(true);
    f()
}
