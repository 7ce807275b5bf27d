//! Backward you can watch: a record of each step of a backward pass.

use std::cell::{Cell, RefCell};
use std::fmt;

use backprop_tensor::{Float, Tensor};

use crate::Var;

thread_local! {
    static TRACE: RefCell<Option<Vec<TraceStep>>> = const { RefCell::new(None) };
    /// Whether `TRACE` is recording: read by every backward pass, without borrowing
    /// `TRACE` (a thread-local with a destructor, which costs a registration check).
    static TRACING: Cell<bool> = const { Cell::new(false) };
}

/// One step of a traced backward pass: a node, the gradient that arrived at it, and the
/// gradient it sent to each input.
#[derive(Debug, Clone)]
pub struct TraceStep {
    /// The op that computed the node.
    pub op: &'static str,
    /// The node's label, if one was set with `Var::set_name`.
    pub name: Option<String>,
    /// The node's shape.
    pub shape: Vec<usize>,
    /// The gradient of the loss with respect to the node's output (upstream gradient).
    pub incoming: Tensor<f64>,
    /// For each input: its op name (or label) and the gradient sent to it, `None` where the
    /// input needs no gradient.
    pub outgoing: Vec<(String, Option<Tensor<f64>>)>,
}

impl TraceStep {
    /// The local derivative d(output)/d(input) for input `i`, recovered as
    /// outgoing / incoming when both are single values and the incoming gradient is non-zero.
    pub fn local_derivative(&self, i: usize) -> Option<f64> {
        let out = self.outgoing.get(i)?.1.as_ref()?;
        if out.numel() != 1 || self.incoming.numel() != 1 {
            return None;
        }
        let g = self.incoming.item();
        (g != 0.0).then(|| out.item() / g)
    }
}

impl fmt::Display for TraceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |t: &Tensor<f64>| {
            if t.numel() == 1 {
                format!("{:.6}", t.item())
            } else {
                format!("<{:?}>", t.shape())
            }
        };
        match &self.name {
            Some(n) => write!(f, "{n} ({})", self.op)?,
            None => write!(f, "{}", self.op)?,
        }
        write!(
            f,
            " {:?}: upstream grad {}",
            self.shape,
            show(&self.incoming)
        )?;
        for (i, (name, g)) in self.outgoing.iter().enumerate() {
            if let Some(g) = g {
                match self.local_derivative(i) {
                    Some(d) => write!(
                        f,
                        "\n    -> {name}: local derivative {d:.6} × upstream {} = {}",
                        show(&self.incoming),
                        show(g)
                    )?,
                    None => write!(f, "\n    -> {name}: grad {}", show(g))?,
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn is_tracing() -> bool {
    TRACING.get()
}

pub(crate) fn record<T: Float>(
    node: &Var<T>,
    inputs: &[Var<T>],
    incoming: &Var<T>,
    outgoing: &[Option<Var<T>>],
) {
    let step = TraceStep {
        op: node.op_name(),
        name: node.name(),
        shape: node.shape(),
        incoming: incoming.data().cast(),
        outgoing: inputs
            .iter()
            .zip(outgoing)
            .map(|(i, g)| {
                let name = i.name().unwrap_or_else(|| i.op_name().to_string());
                (name, g.as_ref().map(|g| g.data().cast()))
            })
            .collect(),
    };
    TRACE.with(|t| {
        if let Some(v) = t.borrow_mut().as_mut() {
            v.push(step);
        }
    });
}

/// Runs `f` (typically a call to `backward`) and returns the steps of every backward pass
/// it ran on this thread, in the order they happened.
///
/// # Examples
///
/// ```
/// use backprop_autograd::{trace_backward, Var};
/// use backprop_tensor::Tensor;
/// let x = Var::parameter(Tensor::scalar(0.5f64));
/// let y = x.sin().exp();
/// let ((), steps) = trace_backward(|| y.backward());
/// assert_eq!(steps[0].op, "exp");
/// assert_eq!(steps[1].op, "sin");
/// assert!((steps[1].local_derivative(0).unwrap() - 0.5f64.cos()).abs() < 1e-12);
/// ```
pub fn trace_backward<R>(f: impl FnOnce() -> R) -> (R, Vec<TraceStep>) {
    /// Restores the enclosing trace (if any) when `f` returns or panics.
    struct Restore {
        prev: Option<Vec<TraceStep>>,
        was_tracing: bool,
    }
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.prev.take();
            TRACE.with(|t| *t.borrow_mut() = prev);
            TRACING.set(self.was_tracing);
        }
    }
    let restore = Restore {
        prev: TRACE.with(|t| t.borrow_mut().replace(Vec::new())),
        was_tracing: TRACING.replace(true),
    };
    let r = f();
    let steps = TRACE.with(|t| t.borrow_mut().take());
    drop(restore);
    (r, steps.unwrap_or_default())
}
