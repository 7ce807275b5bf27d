//! The backward pass on plain tensors: first-order gradients, nothing recorded.
//!
//! Same walk as the recorded pass (newest node first, each gradient complete when its node
//! is reached, contributions summed in the same order), but the pending gradients are
//! [`Tensor`]s held in the nodes, and each op's [`Backward::backward_fast`](crate::Backward::backward_fast) maps the
//! upstream tensor to its inputs' gradients directly. An op without a fast rule runs its
//! `Var` rule with recording off, and the results are unwrapped without copying when nothing
//! else holds them.

use std::any::Any;
use std::cell::Cell;
use std::sync::atomic::Ordering::Relaxed;

use backprop_tensor::{Float, Tensor};

use super::{BackwardRuleGuard, IN_BACKWARD_RULE, NEXT_PASS, check_rule_output, put_back_hooks};
use crate::backward::BackwardCtx;
use crate::mode::{is_anomaly_enabled, set_grad_enabled};
use crate::var::GradFn;
use crate::{Hook, Var};

mod borrowed;
mod edges;

use self::borrowed::Borrowed;

use self::edges::{Edges, Grad, accumulate_shared_grad, add_into};

/// A node reached by a pass, in `Pass::entries`: an uncounted handle to it (see
/// [`Borrowed`]), its op, taken out of it by `collect` (none for a leaf), and what the pass
/// needs of its state, read in the same lock.
struct Entry<T: Float> {
    node: Borrowed<T>,
    grad_fn: Option<GradFn<T>>,
    has_hooks: bool,
    retains_grad: bool,
}

/// The working memory of one pass: the reachable nodes newest first, the gradient pending
/// for each and how many contributions it gets (indexed like `entries`; a node finds its
/// index in `Node::fast_slot`), the traversal stack, the buffer each op's rule writes its
/// results into, and the implicit seed (a one-element 1, read in place by a pass from one
/// root and copied for each root of a pass from several). Kept per thread between
/// passes, so a steady training loop allocates none of it.
///
/// The ops in `entries` hold the handles that keep the graph's nodes alive during the
/// pass (with the roots, which the caller lends for the whole pass): the pass drops them,
/// or puts them back into their nodes, only once it no longer reads any node.
struct Pass<T: Float> {
    entries: Vec<Entry<T>>,
    pending: Vec<Option<Tensor<T>>>,
    deps: Vec<usize>,
    stack: Vec<Borrowed<T>>,
    grads: Vec<Option<Tensor<T>>>,
    ones: Option<Tensor<T>>,
}

thread_local! {
    /// The spare [`Pass`] of the last pass that ended on this thread. One slot: a thread
    /// that alternates element types only rebuilds its buffers each time.
    static SPARE: Cell<Option<Box<dyn Any>>> = const { Cell::new(None) };
}

impl<T: Float> Pass<T> {
    /// This thread's spare buffers for `T`, or new ones (a backward pass started from a
    /// hook inside another pass gets its own).
    fn take() -> Box<Pass<T>> {
        match SPARE.take().map(|b| b.downcast::<Pass<T>>()) {
            Some(Ok(pass)) => pass,
            // Spare buffers of another element type are kept for that type.
            Some(Err(other)) => {
                SPARE.set(Some(other));
                Self::new()
            }
            None => Self::new(),
        }
    }

    fn new() -> Box<Pass<T>> {
        Box::new(Pass {
            entries: Vec::new(),
            pending: Vec::new(),
            deps: Vec::new(),
            stack: Vec::new(),
            grads: Vec::new(),
            ones: None,
        })
    }

    /// Ends a pass: puts each op back into its node when the graph is retained, drops
    /// them otherwise (releasing the graph), empties the buffers and keeps them for the
    /// next pass on this thread. The pending gradients are all `None` already (a pass
    /// takes each node's before it sends any to the node's inputs, which come later in
    /// the order), so their slots are kept for the next pass rather than refilled.
    fn give_back(mut self: Box<Self>, retain_graph: bool) {
        debug_assert!(self.pending.iter().all(Option::is_none));
        if retain_graph {
            for e in &mut self.entries {
                if let Some(gf) = e.grad_fn.take() {
                    e.node.state().grad_fn = Some(gf);
                }
            }
        }
        // The uncounted handles first: nothing reads them once the ops are gone.
        self.stack.clear();
        self.entries.clear();
        self.deps.clear();
        self.grads.clear();
        SPARE.set(Some(self));
    }

    /// Makes `self.ones` a one-element tensor of `shape` holding 1 (the gradient of a scalar
    /// with respect to itself), kept between passes: reading or copying it costs less than
    /// building one.
    fn cache_ones(&mut self, shape: &[usize]) {
        if !self
            .ones
            .as_ref()
            .is_some_and(|o| same_shape(o.shape(), shape))
        {
            self.ones = Some(Tensor::ones(shape));
        }
    }

    /// Every node that gradients from `roots` can reach, newest first (an op's output is
    /// newer than its inputs, so this is a reverse topological order), each told its index,
    /// with how many gradient contributions each will get in `deps`. Each non-leaf's op is
    /// taken out of it here, in the one lock of its state the pass needs.
    ///
    /// # Panics
    ///
    /// If a reachable non-leaf's graph was freed by an earlier pass.
    #[allow(unsafe_code)] // uncounted handles; see `Borrowed::new` and the SAFETY notes
    fn collect(&mut self, roots: &[(&Var<T>, Option<Tensor<T>>)]) {
        let pass = next_pass();
        // A node is marked when first pushed, and counts the contributions it will get in
        // its `fast_slot` until it is given its index: one per root seed and one per edge
        // from a reached node.
        for (root, _) in roots {
            let inner = &root.inner;
            if inner.fast_visit.load(Relaxed) != pass {
                inner.fast_visit.store(pass, Relaxed);
                inner.fast_slot.store(0, Relaxed);
                // SAFETY: the caller lends the roots for the whole pass.
                self.stack.push(unsafe { Borrowed::new(root) });
            }
            inner
                .fast_slot
                .store(inner.fast_slot.load(Relaxed) + 1, Relaxed);
        }
        while let Some(v) = self.stack.pop() {
            let mut entry = Entry {
                node: v,
                grad_fn: None,
                has_hooks: false,
                retains_grad: false,
            };
            if !entry.node.is_leaf() {
                let gf = {
                    let mut st = entry.node.state();
                    entry.has_hooks = !st.hooks.is_empty();
                    entry.retains_grad = st.retains_grad;
                    st.grad_fn.take()
                };
                let Some(gf) = gf else {
                    panic!(
                        "backward: trying to backward through the graph a second time: the \
                         graph behind `{}` was freed by an earlier backward (pass \
                         retain_graph: true to keep it)",
                        entry.node.op_name()
                    )
                };
                for input in gf.inputs.iter().filter(|i| i.requires_grad()) {
                    let inner = &input.inner;
                    if inner.fast_visit.load(Relaxed) == pass {
                        let deps = inner.fast_slot.load(Relaxed);
                        inner.fast_slot.store(deps + 1, Relaxed);
                    } else {
                        inner.fast_visit.store(pass, Relaxed);
                        inner.fast_slot.store(1, Relaxed);
                        // SAFETY: `gf`, which holds a counted handle to the input, moves
                        // into `entries` just below and stays there until `give_back`,
                        // after the pass's last use of any node.
                        self.stack.push(unsafe { Borrowed::new(input) });
                    }
                }
                entry.grad_fn = Some(gf);
            }
            self.entries.push(entry);
        }
        if !self.entries.is_sorted_by(|a, b| a.node.id() > b.node.id()) {
            self.entries
                .sort_unstable_by_key(|e| std::cmp::Reverse(e.node.id()));
        }
        self.deps.clear();
        for (i, e) in self.entries.iter().enumerate() {
            self.deps.push(e.node.inner.fast_slot.load(Relaxed));
            e.node.inner.fast_slot.store(i, Relaxed);
        }
        // Every slot is empty between passes (see `give_back`): only a longer pass adds some.
        if self.pending.len() < self.entries.len() {
            self.pending.resize_with(self.entries.len(), || None);
        }
    }
}

/// The index of `v` in this pass's order: the one recorded by `collect`, or, when another
/// pass on another thread has since reached the same node (two graphs sharing parameters,
/// trained from two threads), found by a search.
fn slot_of<T: Float>(order: &[Entry<T>], v: &Var<T>) -> usize {
    let slot = v.inner.fast_slot.load(Relaxed);
    if order.get(slot).is_some_and(|o| o.node.ptr_eq(v)) {
        return slot;
    }
    order
        .iter()
        .position(|o| o.node.ptr_eq(v))
        .unwrap_or_else(|| {
            panic!(
                "backward: `{}` was not reached by this pass's traversal (did requires_grad change \
             during backward?)",
                v.op_name()
            )
        })
}

/// A number no other pass has used: a pass marks the nodes it reached with it. Taken from a
/// per-thread block of numbers, so that most passes touch no shared counter.
fn next_pass() -> u64 {
    /// How many pass numbers a thread takes from the shared counter at a time.
    const BLOCK: u64 = 1 << 16;
    thread_local! {
        /// The next number of this thread's block, and the end of the block.
        static BLOCK_LEFT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    BLOCK_LEFT.with(|left| {
        let (mut next, mut end) = left.get();
        if next == end {
            next = NEXT_PASS.fetch_add(BLOCK, Relaxed);
            end = next + BLOCK;
        }
        left.set((next + 1, end));
        next
    })
}

/// Runs a first-order backward pass from `roots`, each seeded with its gradient (taken out
/// of the slice), or with 1 when it has none (checked here to have one element; the caller
/// checked that it requires grad). With `capture`, the gradients of those values are
/// returned instead of accumulated into `.grad`.
///
/// # Panics
///
/// If a root without a seed has more than one element, or as described at `collect`.
#[track_caller]
pub(super) fn run_backward<T: Float>(
    roots: &mut [(&Var<T>, Option<Tensor<T>>)],
    capture: Option<&[Var<T>]>,
    retain_graph: bool,
) -> Vec<Option<Var<T>>> {
    let mut pass = Pass::take();
    // Implicit seeds first (one read of each root's value for the check and the seed), so
    // that a root of several elements panics before any node is touched. A single root
    // reads the cached 1 in place; several get a copy each.
    let single_root = roots.len() == 1;
    for (root, seed) in roots.iter_mut() {
        if seed.is_none() {
            let value = root.data();
            super::check_one_element(value.shape(), "backward");
            pass.cache_ones(value.shape());
            if !single_root {
                *seed = pass.ones.clone();
            }
        }
    }
    let _mode = set_grad_enabled(false);
    // A process that runs backward is training: keep freed buffers for the next step.
    backprop_tensor::keep_freed_memory();
    pass.collect(roots);
    let mut seed_slot = None;
    for (root, seed) in roots.iter_mut() {
        let slot = slot_of(&pass.entries, root);
        match seed.take() {
            Some(seed) => add_into(&mut pass.pending[slot], seed),
            None => seed_slot = Some(slot),
        }
    }
    let Pass {
        entries,
        pending,
        deps,
        grads,
        ones,
        ..
    } = &mut *pass;
    let edges = Edges {
        order: entries,
        deps,
        direct: capture.is_none(),
    };
    // No allocation (nor `vec!`'s fill call) when nothing is captured.
    let mut captured: Vec<Option<Var<T>>> = match capture {
        Some(c) => vec![None; c.len()],
        None => Vec::new(),
    };

    for (i, entry) in edges.order.iter().enumerate() {
        let g = match pending[i].take() {
            Some(g) => Grad::Owned(g),
            None => match ones.as_ref().filter(|_| seed_slot == Some(i)) {
                Some(seed) => Grad::Shared(seed),
                None => continue,
            },
        };
        let node = &*entry.node;
        let Some(grad_fn) = &entry.grad_fn else {
            // A leaf: one lock of its state, and without hooks it accumulates right here.
            let mut st = node.state();
            if st.hooks.is_empty() && capture.is_none() {
                g.accumulate_into(&mut st.grad);
                continue;
            }
            let hooks = std::mem::take(&mut st.hooks);
            drop(st);
            let g = run_and_put_back_hooks(node, hooks, g);
            match capture {
                Some(inputs) => capture_into(&mut captured, inputs, node, g.get()),
                None => g.accumulate_into(&mut node.state().grad),
            }
            continue;
        };
        let g = if entry.has_hooks {
            // Hooks run without the node's lock held, so they may read the node.
            let hooks = std::mem::take(&mut node.state().hooks);
            run_and_put_back_hooks(node, hooks, g)
        } else {
            g
        };
        if let Some(inputs) = capture {
            capture_into(&mut captured, inputs, node, g.get());
        } else if entry.retains_grad {
            accumulate_shared_grad(&mut node.state().grad, g.get());
        }
        // Anomaly mode runs every rule, so that its output is checked.
        if grad_fn.op.passes_gradient_through() && !is_anomaly_enabled() {
            // The upstream gradient goes to each input by reference; the last input that
            // needs it takes it.
            let inputs = &grad_fn.inputs;
            let last = inputs.iter().rposition(|x| x.requires_grad());
            let mut g = Some(g);
            for (j, input) in inputs.iter().enumerate() {
                if !input.requires_grad() {
                    continue;
                }
                let gj = if Some(j) == last {
                    g.take()
                } else {
                    g.as_ref().map(Grad::share)
                };
                if let Some(gj) = gj {
                    edges.send(input, gj, pending);
                }
            }
        } else {
            call_backward(node, grad_fn, g.into_owned(), grads);
            for (j, (input, gi)) in grad_fn.inputs.iter().zip(grads.drain(..)).enumerate() {
                let Some(gi) = gi else { continue };
                if !input.requires_grad() {
                    continue;
                }
                edges.check_shape(node, j, input, &gi);
                let slot = slot_of(edges.order, input);
                add_into(&mut pending[slot], gi);
            }
        }
    }
    pass.give_back(retain_graph);
    captured
}

/// Runs `hooks` (taken out of `node`) on `g`, then returns them to the node.
fn run_and_put_back_hooks<'a, T: Float>(
    node: &Var<T>,
    hooks: Vec<Hook<T>>,
    g: Grad<'a, T>,
) -> Grad<'a, T> {
    if hooks.is_empty() {
        return g;
    }
    let g = run_hooks(node, &hooks, g.into_owned());
    put_back_hooks(node, hooks);
    Grad::Owned(g)
}

/// Stores `g`, the gradient of `node`, in the slot of each of `inputs` that is `node`.
fn capture_into<T: Float>(
    captured: &mut [Option<Var<T>>],
    inputs: &[Var<T>],
    node: &Var<T>,
    g: &Tensor<T>,
) {
    for (slot, input) in captured.iter_mut().zip(inputs) {
        if input.ptr_eq(node) {
            *slot = Some(Var::new(g.clone()));
        }
    }
}

/// Whether two shapes are equal, compared inline: slice equality calls `memcmp`, which
/// costs more than the comparison for the few axes of a shape, on every gradient.
#[inline]
fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn run_hooks<T: Float>(node: &Var<T>, hooks: &[Hook<T>], mut g: Tensor<T>) -> Tensor<T> {
    for hook in hooks {
        if let Some(new) = hook(&g) {
            assert!(
                new.shape() == g.shape(),
                "hook on `{}` returned a gradient of shape {:?}, expected {:?}",
                node.op_name(),
                new.shape(),
                g.shape()
            );
            g = new;
        }
    }
    g
}

/// Runs `node`'s rule on its gradient `g`, leaving the inputs' gradients in `grads`.
fn call_backward<T: Float>(
    node: &Var<T>,
    grad_fn: &GradFn<T>,
    g: Tensor<T>,
    grads: &mut Vec<Option<Tensor<T>>>,
) {
    let ctx = BackwardCtx {
        inputs: &grad_fn.inputs,
        output: node,
    };
    let rule = BackwardRuleGuard(IN_BACKWARD_RULE.with(|f| f.replace(true)));
    grads.clear();
    grad_fn.op.backward_fast_into(&ctx, g, grads);
    drop(rule);
    check_rule_output(node, grad_fn.inputs.len(), grads.len(), || {
        grads.iter().enumerate().find_map(|(i, g)| {
            g.as_ref()
                .filter(|g| !g.all_finite())
                .map(|g| (i, g.shape().to_vec()))
        })
    });
}

#[cfg(test)]
mod tests;
