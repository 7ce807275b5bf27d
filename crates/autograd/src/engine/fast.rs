//! The backward pass on plain tensors: first-order gradients, nothing recorded.
//!
//! Same walk as the recorded pass (newest node first, each gradient complete when its node
//! is reached, contributions summed in the same order), but the pending gradients are
//! [`Tensor`]s held in the nodes, and each op's [`Backward::backward_fast`](crate::Backward::backward_fast) maps the
//! upstream tensor to its inputs' gradients directly. An op without a fast rule runs its
//! `Var` rule with recording off, and the results are unwrapped without copying when nothing
//! else holds them.

use std::sync::Arc;

use backprop_tensor::{Float, Tensor};

use super::{BackwardRuleGuard, IN_BACKWARD_RULE, check_rule_output, collect_order};
use crate::backward::BackwardCtx;
use crate::mode::set_grad_enabled;
use crate::var::GradFn;
use crate::{Hook, Var};

pub(super) fn run_backward<T: Float>(
    roots: Vec<(Var<T>, Tensor<T>)>,
    capture: Option<&[Var<T>]>,
    retain_graph: bool,
) -> Vec<Option<Var<T>>> {
    let _mode = set_grad_enabled(false);
    let order = collect_order(roots.iter().map(|(r, _)| r));
    for (root, seed) in roots {
        add_into(&mut root.state().pending_tensor, seed);
    }
    let mut captured: Vec<Option<Var<T>>> = vec![None; capture.map_or(0, |c| c.len())];

    for node in &order {
        let (g, hooks, grad_fn, retains_grad) = {
            let mut st = node.state();
            let Some(g) = st.pending_tensor.take() else {
                continue;
            };
            let hooks = std::mem::take(&mut st.hooks);
            let grad_fn = if node.is_leaf() {
                None
            } else {
                st.grad_fn.take()
            };
            (g, hooks, grad_fn, st.retains_grad)
        };
        let g = if hooks.is_empty() {
            g
        } else {
            // Hooks run without the node's lock held, so they may read the node.
            let g = run_hooks(node, &hooks, g);
            let mut st = node.state();
            let added = std::mem::replace(&mut st.hooks, hooks);
            st.hooks.extend(added);
            g
        };
        if let Some(inputs) = capture {
            for (slot, input) in captured.iter_mut().zip(inputs) {
                if input.ptr_eq(node) {
                    *slot = Some(Var::new(g.clone()));
                }
            }
        } else if node.is_leaf() {
            add_to_grad(node, g);
            continue;
        } else if retains_grad {
            add_to_grad(node, g.clone());
        }
        if node.is_leaf() {
            continue;
        }
        let Some(grad_fn) = grad_fn else {
            panic!(
                "backward: the graph behind `{}` was freed during this pass (is another thread \
                 running backward over the same graph?)",
                node.op_name()
            );
        };
        let grads = call_backward(node, &grad_fn, g);
        for (i, (input, gi)) in grad_fn.inputs.iter().zip(grads).enumerate() {
            let Some(gi) = gi else { continue };
            if !input.requires_grad() {
                continue;
            }
            if gi.shape() != input.data().shape() {
                panic!(
                    "backward of `{}` returned a gradient of shape {:?} for input {i} of shape {:?}",
                    node.op_name(),
                    gi.shape(),
                    input.shape()
                );
            }
            add_into(&mut input.state().pending_tensor, gi);
        }
        if retain_graph {
            node.state().grad_fn = Some(grad_fn);
        }
    }
    captured
}

/// Adds `g` into a pending gradient, in place.
fn add_into<T: Float>(slot: &mut Option<Tensor<T>>, g: Tensor<T>) {
    match slot {
        None => *slot = Some(g),
        Some(prev) => prev.add_assign_(&g),
    }
}

/// Adds `g` into a value's `.grad`: in place when nothing else holds the stored gradient,
/// otherwise into a new value (so a gradient handed out earlier does not change).
fn add_to_grad<T: Float>(node: &Var<T>, g: Tensor<T>) {
    let mut st = node.state();
    match st.grad.take() {
        None => st.grad = Some(Var::new(g)),
        Some(prev) if Arc::strong_count(&prev.inner) == 1 => {
            prev.data_mut().add_assign_(&g);
            st.grad = Some(prev);
        }
        Some(prev) => {
            let sum = prev.data().add(&g);
            st.grad = Some(Var::new(sum));
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

fn call_backward<T: Float>(
    node: &Var<T>,
    grad_fn: &GradFn<T>,
    g: Tensor<T>,
) -> Vec<Option<Tensor<T>>> {
    let ctx = BackwardCtx {
        inputs: &grad_fn.inputs,
        output: node,
    };
    let rule = BackwardRuleGuard(IN_BACKWARD_RULE.with(|f| f.replace(true)));
    let grads = match grad_fn.op.backward_fast(&ctx, &g) {
        Some(grads) => grads,
        None => {
            let g = Var::new(g);
            let grads = grad_fn.op.backward(&ctx, &g);
            drop(g);
            grads
                .into_iter()
                .map(|gi| gi.map(Var::into_value))
                .collect()
        }
    };
    drop(rule);
    check_rule_output(node, grad_fn.inputs.len(), grads.len(), || {
        grads.iter().enumerate().find_map(|(i, g)| {
            g.as_ref()
                .filter(|g| !g.all_finite())
                .map(|g| (i, g.shape().to_vec()))
        })
    });
    grads
}
