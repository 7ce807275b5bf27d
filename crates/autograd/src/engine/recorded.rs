//! The backward pass on [`Var`]s, used when the pass itself is recorded (`create_graph`) or
//! traced: each op's [`Backward::backward`] rule runs with recording as the pass asks, so
//! the gradients it returns can carry history and be differentiated again.

use std::sync::atomic::Ordering;
use triomphe::Arc;

use backprop_tensor::Float;

use super::{
    BackwardOptions, BackwardRuleGuard, IN_BACKWARD_RULE, NEXT_PASS, check_rule_output,
    put_back_hooks, sort_newest_first,
};
use crate::Var;
use crate::backward::{Backward, BackwardCtx};
use crate::mode::set_grad_enabled;
use crate::trace;
use crate::var::{GradFn, StoredGrad};

/// Adds `g` into a gradient slot. A slot value that nothing else references is updated in
/// place; otherwise (or when recording) a new value is made.
fn accumulate<T: Float>(slot: &mut Option<Var<T>>, g: Var<T>, create_graph: bool) {
    *slot = Some(match slot.take() {
        None => g,
        Some(prev) => {
            if create_graph {
                prev.add(&g)
            } else if Arc::count(&prev.inner) == 1 {
                prev.data_mut().add_scaled_(T::one(), &g.data());
                prev
            } else {
                Var::new(prev.data().add(&g.data()))
            }
        }
    });
}

/// [`accumulate`] into a `.grad` slot, which may hold a plain gradient (left by a
/// first-order pass): added into in place unless the sum is recorded.
fn accumulate_grad<T: Float>(slot: &mut Option<StoredGrad<T>>, g: Var<T>, create_graph: bool) {
    let mut prev = match slot.take() {
        None => None,
        Some(StoredGrad::Var(v)) => Some(v),
        Some(StoredGrad::Plain(mut prev)) if !create_graph => {
            prev.add_scaled_(T::one(), &g.data());
            *slot = Some(StoredGrad::Plain(prev));
            return;
        }
        Some(StoredGrad::Plain(prev)) => Some(Var::new(prev)),
    };
    accumulate(&mut prev, g, create_graph);
    *slot = prev.map(StoredGrad::Var);
}

/// A gradient to store in a `.grad` slot: without `create_graph` a history-free value that
/// nothing else shares (so later in-place accumulation cannot alias another gradient).
fn owned_grad<T: Float>(g: Var<T>, create_graph: bool) -> Var<T> {
    if create_graph || (g.is_leaf() && !g.requires_grad() && Arc::count(&g.inner) == 1) {
        g
    } else {
        Var::new(g.value())
    }
}

/// Every node that gradients from `roots` can reach, newest first, each marked as visited by
/// a new pass with its pending gradients cleared.
///
/// # Panics
///
/// If a reachable non-leaf's graph was freed by an earlier pass.
fn collect_order<'a, T: Float>(roots: impl Iterator<Item = &'a Var<T>>) -> Vec<Var<T>> {
    let pass = NEXT_PASS.fetch_add(1, Ordering::Relaxed);
    let mut order: Vec<Var<T>> = Vec::new();
    let mut stack: Vec<Var<T>> = roots.cloned().collect();
    while let Some(v) = stack.pop() {
        {
            let mut st = v.state();
            if st.visit == pass {
                continue;
            }
            st.visit = pass;
            st.pending = None;
            match st.grad_fn.as_ref() {
                Some(gf) => stack.extend(gf.inputs.iter().filter(|i| i.requires_grad()).cloned()),
                None if !v.is_leaf() => panic!(
                    "backward: trying to backward through the graph a second time: the graph \
                     behind `{}` was freed by an earlier backward (pass retain_graph: true to \
                     keep it)",
                    v.op_name()
                ),
                None => {}
            }
        }
        order.push(v);
    }
    sort_newest_first(&mut order);
    order
}

/// The backward pass on [`Var`]s: used when the pass itself is recorded (`create_graph`) or
/// traced.
pub(super) fn run_backward_recorded<T: Float>(
    roots: &[(Var<T>, Var<T>)],
    capture: Option<&[Var<T>]>,
    opts: BackwardOptions,
) -> Vec<Option<Var<T>>> {
    let create_graph = opts.create_graph;
    let retain_graph = opts.retain_graph || opts.create_graph;
    let _mode = set_grad_enabled(create_graph);
    let order = collect_order(roots.iter().map(|(r, _)| r));

    for (root, seed) in roots {
        accumulate(&mut root.state().pending, seed.clone(), create_graph);
    }
    let mut captured: Vec<Option<Var<T>>> = vec![None; capture.map_or(0, |c| c.len())];
    let tracing = trace::is_tracing();

    for node in &order {
        let (g, hooks, grad_fn) = {
            let mut st = node.state();
            let Some(g) = st.pending.take() else {
                continue;
            };
            let hooks = std::mem::take(&mut st.hooks);
            (
                g,
                hooks,
                if node.is_leaf() {
                    None
                } else {
                    st.grad_fn.take()
                },
            )
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
                    *slot = Some(g.clone());
                }
            }
        } else if node.is_leaf() || node.state().retains_grad {
            let g = owned_grad(g.clone(), create_graph);
            accumulate_grad(&mut node.state().grad, g, create_graph);
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
        let grads = call_backward(node, &grad_fn, &g, create_graph);
        if tracing {
            trace::record(node, &grad_fn.inputs, &g, &grads);
        }
        for (i, (input, gi)) in grad_fn.inputs.iter().zip(grads).enumerate() {
            let Some(gi) = gi else { continue };
            if !input.requires_grad() {
                continue;
            }
            if gi.data().shape() != input.data().shape() {
                panic!(
                    "backward of `{}` returned a gradient of shape {:?} for input {i} of shape {:?}",
                    node.op_name(),
                    gi.shape(),
                    input.shape()
                );
            }
            accumulate(&mut input.state().pending, gi, create_graph);
        }
        if retain_graph {
            node.state().grad_fn = Some(grad_fn);
        }
    }
    captured
}

fn run_hooks<T: Float>(node: &Var<T>, hooks: &[crate::var::Hook<T>], mut g: Var<T>) -> Var<T> {
    for hook in hooks {
        let replaced = {
            let current = g.data();
            hook(&current)
        };
        if let Some(new) = replaced {
            assert!(
                new.shape() == g.data().shape(),
                "hook on `{}` returned a gradient of shape {:?}, expected {:?}",
                node.op_name(),
                new.shape(),
                g.shape()
            );
            g = Var::new(new);
        }
    }
    g
}

fn call_backward<T: Float>(
    node: &Var<T>,
    grad_fn: &GradFn<T>,
    g: &Var<T>,
    create_graph: bool,
) -> Vec<Option<Var<T>>> {
    let ctx = BackwardCtx {
        inputs: &grad_fn.inputs,
        output: node,
    };
    let rule = BackwardRuleGuard(IN_BACKWARD_RULE.with(|f| f.replace(true)));
    let grads = if create_graph && !grad_fn.op.supports_double_backward() {
        // Compute first-order gradients, then mark them so that differentiating them again
        // fails loudly, naming the op.
        let plain = {
            let _off = set_grad_enabled(false);
            grad_fn.op.backward(&ctx, g)
        };
        let mut deps: Vec<Var<T>> = grad_fn.inputs.to_vec();
        deps.push(g.clone());
        plain
            .into_iter()
            .map(|gi| {
                gi.map(|gi| {
                    Var::from_op(
                        node.op_name(),
                        gi.value(),
                        deps.clone(),
                        NoDoubleBackward { op: node.op_name() },
                    )
                })
            })
            .collect()
    } else {
        grad_fn.op.backward(&ctx, g)
    };
    drop(rule);
    check_rule_output(node, grad_fn.inputs.len(), grads.len(), || {
        grads.iter().enumerate().find_map(|(i, g)| {
            g.as_ref()
                .filter(|g| !g.data().all_finite())
                .map(|g| (i, g.shape()))
        })
    });
    grads
}

/// Stands for a gradient computed by an op whose backward is not differentiable.
struct NoDoubleBackward {
    op: &'static str,
}

impl<T: Float> Backward<T> for NoDoubleBackward {
    fn backward(&self, _ctx: &BackwardCtx<'_, T>, _grad: &Var<T>) -> Vec<Option<Var<T>>> {
        panic!(
            "double backward: op `{}` does not support create_graph (its backward rule is not \
             differentiable)",
            self.op
        )
    }
}
