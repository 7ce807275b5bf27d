//! The backward pass on plain tensors: first-order gradients, nothing recorded.
//!
//! Same walk as the recorded pass (newest node first, each gradient complete when its node
//! is reached, contributions summed in the same order), but the pending gradients are
//! [`Tensor`]s held in the nodes, and each op's [`Backward::backward_fast`](crate::Backward::backward_fast) maps the
//! upstream tensor to its inputs' gradients directly. An op without a fast rule runs its
//! `Var` rule with recording off, and the results are unwrapped without copying when nothing
//! else holds them.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use backprop_tensor::{Float, Tensor};

use super::{
    BackwardRuleGuard, IN_BACKWARD_RULE, NEXT_PASS, check_rule_output, put_back_hooks,
    sort_newest_first,
};
use crate::backward::BackwardCtx;
use crate::mode::set_grad_enabled;
use crate::var::GradFn;
use crate::{Hook, Var};

/// The working memory of one pass: the reachable nodes newest first, the gradient pending
/// for each (indexed like `order`; a node finds its index in `Node::fast_slot`), the
/// traversal stack, and the buffer each op's rule writes its results into. Kept per thread
/// between passes, so a steady training loop allocates none of it.
struct Pass<T: Float> {
    order: Vec<Var<T>>,
    pending: Vec<Option<Tensor<T>>>,
    stack: Vec<Var<T>>,
    grads: Vec<Option<Tensor<T>>>,
}

thread_local! {
    /// Spare [`Pass`] buffers, one per element type used on this thread.
    static SPARE: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

impl<T: Float> Pass<T> {
    /// This thread's spare buffers for `T`, or new ones (a backward pass started from a
    /// hook inside another pass gets its own).
    fn take() -> Box<Pass<T>> {
        let spare = SPARE.with(|s| {
            let mut s = s.borrow_mut();
            let i = s.iter().position(|b| b.is::<Pass<T>>())?;
            s.swap_remove(i).downcast::<Pass<T>>().ok()
        });
        spare.unwrap_or_else(|| {
            Box::new(Pass {
                order: Vec::new(),
                pending: Vec::new(),
                stack: Vec::new(),
                grads: Vec::new(),
            })
        })
    }

    /// Empties the buffers (releasing every node, so the graph can be freed) and keeps
    /// them for the next pass on this thread.
    fn give_back(mut self: Box<Self>) {
        self.order.clear();
        self.pending.clear();
        self.stack.clear();
        self.grads.clear();
        SPARE.with(|s| s.borrow_mut().push(self));
    }

    /// Every node that gradients from `roots` can reach, newest first (an op's output is
    /// newer than its inputs, so this is a reverse topological order), each told its index.
    ///
    /// # Panics
    ///
    /// If a reachable non-leaf's graph was freed by an earlier pass.
    fn collect(&mut self, roots: &[(Var<T>, Option<Tensor<T>>)]) {
        let pass = NEXT_PASS.fetch_add(1, Relaxed);
        self.stack.extend(roots.iter().map(|(r, _)| r.clone()));
        while let Some(v) = self.stack.pop() {
            if v.inner.fast_visit.load(Relaxed) == pass {
                continue;
            }
            v.inner.fast_visit.store(pass, Relaxed);
            if !v.is_leaf() {
                let st = v.state();
                match st.grad_fn.as_ref() {
                    Some(gf) => self
                        .stack
                        .extend(gf.inputs.iter().filter(|i| i.requires_grad()).cloned()),
                    None => panic!(
                        "backward: trying to backward through the graph a second time: the \
                         graph behind `{}` was freed by an earlier backward (pass \
                         retain_graph: true to keep it)",
                        v.op_name()
                    ),
                }
            }
            self.order.push(v);
        }
        sort_newest_first(&mut self.order);
        for (i, v) in self.order.iter().enumerate() {
            v.inner.fast_slot.store(i, Relaxed);
        }
        self.pending.resize_with(self.order.len(), || None);
    }
}

/// The index of `v` in this pass's order: the one recorded by `collect`, or, when another
/// pass on another thread has since reached the same node (two graphs sharing parameters,
/// trained from two threads), found by a search.
fn slot_of<T: Float>(order: &[Var<T>], v: &Var<T>) -> usize {
    let slot = v.inner.fast_slot.load(Relaxed);
    if order.get(slot).is_some_and(|o| o.ptr_eq(v)) {
        return slot;
    }
    order.iter().position(|o| o.ptr_eq(v)).unwrap_or_else(|| {
        panic!(
            "backward: `{}` was not reached by this pass's traversal (did requires_grad change \
             during backward?)",
            v.op_name()
        )
    })
}

/// Runs a first-order backward pass from `roots`, each seeded with its gradient (taken out
/// of the slice). With `capture`, the gradients of those values are returned instead of
/// accumulated into `.grad`.
pub(super) fn run_backward<T: Float>(
    roots: &mut [(Var<T>, Option<Tensor<T>>)],
    capture: Option<&[Var<T>]>,
    retain_graph: bool,
) -> Vec<Option<Var<T>>> {
    let _mode = set_grad_enabled(false);
    // A process that runs backward is training: keep freed buffers for the next step.
    backprop_tensor::keep_freed_memory();
    let mut pass = Pass::take();
    pass.collect(roots);
    let Pass {
        order,
        pending,
        grads,
        ..
    } = &mut *pass;
    for (root, seed) in roots.iter_mut() {
        if let Some(seed) = seed.take() {
            let slot = slot_of(order, root);
            add_into(&mut pending[slot], seed);
        }
    }
    let mut captured: Vec<Option<Var<T>>> = vec![None; capture.map_or(0, |c| c.len())];

    for i in 0..order.len() {
        let Some(g) = pending[i].take() else {
            continue;
        };
        let node = &order[i];
        let is_leaf = node.is_leaf();
        // One lock of the node's state: a leaf without hooks accumulates right here.
        let (hooks, grad_fn, retains_grad) = {
            let mut st = node.state();
            if is_leaf && st.hooks.is_empty() && capture.is_none() {
                accumulate_grad(&mut st.grad, g);
                continue;
            }
            let hooks = std::mem::take(&mut st.hooks);
            let grad_fn = if is_leaf { None } else { st.grad_fn.take() };
            (hooks, grad_fn, st.retains_grad)
        };
        let g = if hooks.is_empty() {
            g
        } else {
            // Hooks run without the node's lock held, so they may read the node.
            let g = run_hooks(node, &hooks, g);
            put_back_hooks(node, hooks);
            g
        };
        if let Some(inputs) = capture {
            for (slot, input) in captured.iter_mut().zip(inputs) {
                if input.ptr_eq(node) {
                    *slot = Some(Var::new(g.clone()));
                }
            }
        } else if is_leaf {
            accumulate_grad(&mut node.state().grad, g);
            continue;
        } else if retains_grad {
            accumulate_grad(&mut node.state().grad, g.clone());
        }
        if is_leaf {
            continue;
        }
        let Some(grad_fn) = grad_fn else {
            panic!(
                "backward: the graph behind `{}` was freed during this pass (is another thread \
                 running backward over the same graph?)",
                node.op_name()
            );
        };
        call_backward(node, &grad_fn, g, grads);
        for (i, (input, gi)) in grad_fn.inputs.iter().zip(grads.drain(..)).enumerate() {
            let Some(gi) = gi else { continue };
            if !input.requires_grad() {
                continue;
            }
            {
                let value = input.data();
                if gi.shape() != value.shape() {
                    panic!(
                        "backward of `{}` returned a gradient of shape {:?} for input {i} of shape {:?}",
                        node.op_name(),
                        gi.shape(),
                        value.shape()
                    );
                }
            }
            let slot = slot_of(order, input);
            add_into(&mut pending[slot], gi);
        }
        if retain_graph {
            node.state().grad_fn = Some(grad_fn);
        }
    }
    pass.give_back();
    captured
}

/// Adds `g` into a pending gradient, in place.
fn add_into<T: Float>(slot: &mut Option<Tensor<T>>, g: Tensor<T>) {
    match slot {
        None => *slot = Some(g),
        Some(prev) => prev.add_assign_(&g),
    }
}

/// Adds `g` into a value's `.grad` slot: in place when nothing else holds the stored
/// gradient, otherwise into a new value (so a gradient handed out earlier does not change).
fn accumulate_grad<T: Float>(slot: &mut Option<Var<T>>, g: Tensor<T>) {
    match slot.take() {
        None => *slot = Some(Var::new(g)),
        Some(prev) if Arc::strong_count(&prev.inner) == 1 => {
            prev.data_mut().add_assign_(&g);
            *slot = Some(prev);
        }
        Some(prev) => {
            let sum = prev.data().add(&g);
            *slot = Some(Var::new(sum));
        }
    }
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
