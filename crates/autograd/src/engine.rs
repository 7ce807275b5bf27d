//! The backward pass: reverse-mode accumulation of gradients over the recorded graph.
//!
//! Nodes are visited newest first. An op's output is always created after its inputs, so
//! when a node is reached every op that used it has already sent its gradient contribution:
//! the node's gradient is complete, it is passed through the node's backward rule once
//! (the chain rule: the local derivative times the upstream gradient), and the results are
//! summed into the inputs' pending gradients.
//!
//! Two walks share that order. A pass that records its own graph (`create_graph`) or is
//! traced runs in [`recorded`], through the ops' [`Backward::backward`] rules on [`Var`]s,
//! so the gradients can be differentiated again. Every other pass — the usual
//! `loss.backward()` — runs in [`fast`] on plain tensors, through each op's
//! [`Backward::backward_fast_into`] (by default [`Backward::backward_fast`]), with no graph
//! nodes allocated for intermediate gradients.
//!
//! [`Backward::backward`]: crate::Backward::backward
//! [`Backward::backward_fast`]: crate::Backward::backward_fast
//! [`Backward::backward_fast_into`]: crate::Backward::backward_fast_into

use std::cell::Cell;
use std::sync::atomic::AtomicU64;

use backprop_tensor::{Float, Tensor};

use crate::Var;
use crate::mode::is_anomaly_enabled;
use crate::trace;

mod fast;
mod recorded;

static NEXT_PASS: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Set while an op's backward rule runs on this thread.
    static IN_BACKWARD_RULE: Cell<bool> = const { Cell::new(false) };
}

/// Whether an op's backward rule is running on this thread. Anomaly mode then skips the
/// forward check of the ops the rule calls: a non-finite value there is reported by the
/// gradient check after the rule, naming the op and the user's line instead of a line
/// inside this crate.
pub(crate) fn in_backward_rule() -> bool {
    IN_BACKWARD_RULE.with(|f| f.get())
}

/// Restores the previous [`in_backward_rule`] flag when dropped.
struct BackwardRuleGuard(bool);

impl Drop for BackwardRuleGuard {
    fn drop(&mut self) {
        IN_BACKWARD_RULE.with(|f| f.set(self.0));
    }
}

/// Options of a backward pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackwardOptions {
    /// Keep the graph after the pass so backward can run through it again. By default the
    /// graph's saved state is freed as the pass goes (as in PyTorch).
    pub retain_graph: bool,
    /// Record the backward pass itself, so the resulting gradients have history and can be
    /// differentiated again (second derivatives, Hessian-vector products, gradient
    /// penalties). Implies `retain_graph`.
    pub create_graph: bool,
}

impl<T: Float> Var<T> {
    /// Computes the gradient of this one-element value with respect to every leaf that
    /// requires gradients, adding it to their [`grad`](Var::grad) (gradients accumulate
    /// across calls, as in PyTorch; clear them with `zero_grad`).
    ///
    /// # Panics
    ///
    /// If the value has more than one element (use [`backward_with`](Var::backward_with)),
    /// does not require gradients, or its graph was already freed by a previous backward.
    #[track_caller]
    pub fn backward(&self) {
        self.backward_opts(None, BackwardOptions::default());
    }

    /// Backward from a non-scalar value, seeded with `grad` (the gradient of some scalar
    /// with respect to this value; it must have this value's shape).
    ///
    /// # Panics
    ///
    /// If `grad` does not have this value's shape, or as for [`backward`](Var::backward).
    #[track_caller]
    pub fn backward_with(&self, grad: Tensor<T>) {
        self.backward_opts(Some(grad), BackwardOptions::default());
    }

    /// Backward with explicit [`BackwardOptions`]; `grad: None` means a one-element value
    /// seeded with 1.
    ///
    /// # Panics
    ///
    /// As for [`backward`](Var::backward) and [`backward_with`](Var::backward_with).
    #[track_caller]
    pub fn backward_opts(&self, grad: Option<Tensor<T>>, opts: BackwardOptions) {
        if records(opts) {
            let seed = seed_for(self, grad, "backward");
            run_backward(vec![(self.clone(), seed)], None, opts);
        } else {
            // Without a seed, the fast pass checks the value's size and seeds it with a copy
            // of a cached one-element 1 (one read of the value for both).
            let seed = match grad {
                None => {
                    check_requires_grad(self, "backward");
                    None
                }
                grad => Some(seed_for(self, grad, "backward")),
            };
            fast::run_backward(&mut [(self, seed)], None, opts.retain_graph);
        }
    }
}

/// Checks that `out` can be seeded implicitly with 1: it requires grad and has one element.
#[track_caller]
fn check_implicit_seed<T: Float>(out: &Var<T>, op: &str) {
    check_requires_grad(out, op);
    check_one_element(out.data().shape(), op);
}

/// Checks that a value of `shape` has one element, so that it can be seeded with 1.
#[track_caller]
#[inline]
fn check_one_element(shape: &[usize], op: &str) {
    assert!(
        // One element: every extent is 1 (checked without multiplying them out).
        shape.iter().all(|&n| n == 1),
        "{op}: output of shape {shape:?} is not a scalar; a gradient can be created \
         implicitly only for one-element outputs (use backward_with(grad))",
    );
}

#[track_caller]
fn check_requires_grad<T: Float>(out: &Var<T>, op: &str) {
    assert!(
        out.requires_grad(),
        "{op}: the value does not require grad (no input of the ops that computed it requires \
         grad, or it was computed under no_grad)"
    );
}

#[track_caller]
fn seed_for<T: Float>(out: &Var<T>, grad: Option<Tensor<T>>, op: &str) -> Tensor<T> {
    match grad {
        None => {
            check_implicit_seed(out, op);
            Tensor::ones(out.data().shape())
        }
        Some(g) => {
            check_requires_grad(out, op);
            let value = out.data();
            assert!(
                g.shape() == value.shape(),
                "{op}: seed gradient of shape {:?} does not match the output shape {:?}",
                g.shape(),
                value.shape()
            );
            g
        }
    }
}

/// The gradients of `outputs` with respect to `inputs` (like `torch.autograd.grad`),
/// returned instead of accumulated into `.grad`. `grad_outputs` seeds each output (empty:
/// each output must have one element and is seeded with 1). An input that the outputs do
/// not depend on gets `None`.
///
/// With `create_graph`, the returned gradients carry history and can be differentiated
/// again.
///
/// # Panics
///
/// If an output does not require grad, a seed's shape differs from its output's, or
/// `grad_outputs` is neither empty nor one per output.
///
/// # Examples
///
/// ```
/// use backprop_autograd::{grad, BackwardOptions, Var};
/// use backprop_tensor::Tensor;
/// let x = Var::parameter(Tensor::from_vec(vec![2.0f64], &[1]).unwrap());
/// let y = x.powf(3.0).sum(); // y = x³
/// let opts = BackwardOptions { create_graph: true, ..Default::default() };
/// let dy = grad(&[y], &[x.clone()], &[], opts)[0].clone().unwrap(); // 3x² = 12
/// assert_eq!(dy.item(), 12.0);
/// let d2y = grad(&[dy.sum()], &[x], &[], BackwardOptions::default())[0].clone().unwrap();
/// assert_eq!(d2y.item(), 12.0); // 6x = 12
/// ```
#[track_caller]
pub fn grad<T: Float>(
    outputs: &[Var<T>],
    inputs: &[Var<T>],
    grad_outputs: &[Var<T>],
    opts: BackwardOptions,
) -> Vec<Option<Var<T>>> {
    assert!(
        grad_outputs.is_empty() || grad_outputs.len() == outputs.len(),
        "grad: {} grad_outputs given for {} outputs",
        grad_outputs.len(),
        outputs.len()
    );
    let roots: Vec<(Var<T>, Seed<T>)> = outputs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let seed = match grad_outputs.get(i) {
                None => Seed::Tensor(seed_for(o, None, "grad")),
                Some(g) => {
                    assert!(
                        g.shape() == o.shape(),
                        "grad: grad_output of shape {:?} does not match the output shape {:?}",
                        g.shape(),
                        o.shape()
                    );
                    assert!(o.requires_grad(), "grad: output {i} does not require grad");
                    Seed::Var(g.clone())
                }
            };
            (o.clone(), seed)
        })
        .collect();
    run_backward(roots, Some(inputs), opts)
}

/// The gradient a backward pass starts from at one output.
enum Seed<T: Float> {
    Tensor(Tensor<T>),
    /// A seed given as a `Var` (`grad_outputs`), which may carry history under
    /// `create_graph`.
    Var(Var<T>),
}

impl<T: Float> From<Tensor<T>> for Seed<T> {
    fn from(t: Tensor<T>) -> Self {
        Seed::Tensor(t)
    }
}

/// Whether a pass runs the ops' `Var` rules (its gradients get history, or it is traced)
/// rather than the tensor fast path.
fn records(opts: BackwardOptions) -> bool {
    opts.create_graph || trace::is_tracing()
}

fn run_backward<T: Float>(
    roots: Vec<(Var<T>, impl Into<Seed<T>>)>,
    capture: Option<&[Var<T>]>,
    opts: BackwardOptions,
) -> Vec<Option<Var<T>>> {
    let roots: Vec<(Var<T>, Seed<T>)> = roots.into_iter().map(|(r, s)| (r, s.into())).collect();
    if records(opts) {
        let roots: Vec<(Var<T>, Var<T>)> = roots
            .into_iter()
            .map(|(r, s)| {
                let s = match s {
                    Seed::Tensor(t) => Var::new(t),
                    Seed::Var(v) => v,
                };
                (r, s)
            })
            .collect();
        recorded::run_backward_recorded(&roots, capture, opts)
    } else {
        let (vars, seeds): (Vec<Var<T>>, Vec<Seed<T>>) = roots.into_iter().unzip();
        let mut roots: Vec<(&Var<T>, Option<Tensor<T>>)> = vars
            .iter()
            .zip(seeds)
            .map(|(r, s)| {
                let s = match s {
                    Seed::Tensor(t) => t,
                    Seed::Var(v) => v.value(),
                };
                (r, Some(s))
            })
            .collect();
        fast::run_backward(&mut roots, capture, opts.retain_graph)
    }
}

/// Sorts a traversal's nodes newest first, unless they already are (a chain or a tree
/// traversed depth first usually is).
fn sort_newest_first<T: Float>(order: &mut [Var<T>]) {
    if !order.is_sorted_by(|a, b| a.id() > b.id()) {
        order.sort_unstable_by_key(|v| std::cmp::Reverse(v.id()));
    }
}

/// Returns the hooks a pass took out of `node` to run them, ahead of any registered while
/// they ran.
fn put_back_hooks<T: Float>(node: &Var<T>, hooks: Vec<crate::var::Hook<T>>) {
    let mut st = node.state();
    let added = std::mem::replace(&mut st.hooks, hooks);
    st.hooks.extend(added);
}

/// Checks what a backward rule returned: one gradient slot per input, and, in anomaly mode,
/// no NaN or Inf (`first_non_finite` gives the first offending input and its shape; it is
/// only called in anomaly mode, so the common path pays nothing for it).
#[inline]
pub(crate) fn check_rule_output<T: Float>(
    node: &Var<T>,
    n_inputs: usize,
    n_grads: usize,
    first_non_finite: impl FnOnce() -> Option<(usize, Vec<usize>)>,
) {
    assert_eq!(
        n_grads,
        n_inputs,
        "backward of `{}` returned {n_grads} gradients for {n_inputs} inputs",
        node.op_name()
    );
    if is_anomaly_enabled() {
        if let Some((i, shape)) = first_non_finite() {
            let at = node
                .location()
                .map_or_else(|| "an unknown place".to_string(), |l| l.to_string());
            panic!(
                "anomaly: backward of op `{}` produced NaN or Inf in the gradient of input {i} \
                 (shape {shape:?}); the op was called at {at}",
                node.op_name()
            );
        }
    }
}
