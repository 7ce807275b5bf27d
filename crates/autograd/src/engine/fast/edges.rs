//! Where a pass's gradients go: [`Grad`], a gradient owned or borrowed, and [`Edges`], which
//! sends the upstream gradient of an op that passes it through to the op's inputs.

use triomphe::Arc;

use backprop_tensor::{Float, Tensor};

use super::{Entry, same_shape, slot_of};
use crate::Var;
use crate::var::StoredGrad;

/// A gradient on its way through a pass: owned, or borrowed when one tensor goes to several
/// places (the upstream gradient of an op that passes it through, the cached seed 1). A
/// borrowed one is copied only where a buffer of its own is needed.
pub(super) enum Grad<'a, T: Float> {
    Owned(Tensor<T>),
    Shared(&'a Tensor<T>),
}

impl<T: Float> Grad<'_, T> {
    #[inline(always)]
    pub(super) fn get(&self) -> &Tensor<T> {
        match self {
            Grad::Owned(t) => t,
            Grad::Shared(t) => t,
        }
    }

    #[inline(always)]
    pub(super) fn share(&self) -> Grad<'_, T> {
        Grad::Shared(self.get())
    }

    /// Adds this gradient into a pending gradient.
    #[inline(always)]
    pub(super) fn add_into(self, slot: &mut Option<Tensor<T>>) {
        match self {
            Grad::Owned(t) => add_into(slot, t),
            Grad::Shared(t) => add_shared_into(slot, t),
        }
    }

    /// Adds this gradient into a value's `.grad`.
    #[inline(always)]
    pub(super) fn accumulate_into(self, slot: &mut Option<StoredGrad<T>>) {
        match self {
            Grad::Owned(t) => accumulate_grad(slot, t),
            Grad::Shared(t) => accumulate_shared_grad(slot, t),
        }
    }

    #[inline(always)]
    pub(super) fn into_owned(self) -> Tensor<T> {
        match self {
            Grad::Owned(t) => t,
            Grad::Shared(t) => t.clone(),
        }
    }
}

/// Where the gradients of a pass's edges go.
pub(super) struct Edges<'p, T: Float> {
    /// The reached nodes, newest first.
    pub(super) order: &'p [Entry<T>],
    /// How many gradient contributions each node gets in this pass (indexed like `order`).
    pub(super) deps: &'p [usize],
    /// Whether leaves get their gradients in `.grad` (not captured for `grad`).
    pub(super) direct: bool,
}

impl<T: Float> Edges<'_, T> {
    /// Panics unless `g`, the gradient `node`'s rule computed for its input `j`, has that
    /// input's shape.
    #[inline(always)]
    pub(super) fn check_shape(&self, node: &Var<T>, j: usize, input: &Var<T>, g: &Tensor<T>) {
        let value = input.data();
        if !same_shape(g.shape(), value.shape()) {
            panic!(
                "backward of `{}` returned a gradient of shape {:?} for input {j} of shape {:?}",
                node.op_name(),
                g.shape(),
                value.shape()
            );
        }
    }

    /// Sends `g`, the upstream gradient that an op passes through to its input `input`, to
    /// that input. Its shape is not checked against the input's (which would take the input's
    /// value lock): an op passes its gradient through only when each input has the op's
    /// output shape (add's same-shape rule is chosen only then), and the upstream gradient
    /// has that shape, checked when it was computed (a rule's output, a hook's result, or
    /// the implicit seed built from the root's shape). A leaf without hooks that gets no
    /// other contribution in this pass has it added straight into its `.grad` (the sum is
    /// the same as going through the pending slot, one step sooner); otherwise it is summed
    /// into the input's pending gradient.
    #[inline(always)]
    pub(super) fn send(&self, input: &Var<T>, g: Grad<'_, T>, pending: &mut [Option<Tensor<T>>]) {
        let slot = slot_of(self.order, input);
        if self.direct && self.deps[slot] == 1 && input.is_leaf() {
            let mut st = input.state();
            if st.hooks.is_empty() {
                g.accumulate_into(&mut st.grad);
                return;
            }
        }
        g.add_into(&mut pending[slot]);
    }
}

/// Adds `g` into a pending gradient, in place.
pub(super) fn add_into<T: Float>(slot: &mut Option<Tensor<T>>, g: Tensor<T>) {
    match slot {
        None => *slot = Some(g),
        Some(prev) => prev.add_assign_(&g),
    }
}

/// [`add_into`] for a gradient that is not ours to keep: copied only into an empty slot.
fn add_shared_into<T: Float>(slot: &mut Option<Tensor<T>>, g: &Tensor<T>) {
    match slot {
        None => *slot = Some(g.clone()),
        Some(prev) => prev.add_assign_(g),
    }
}

/// Adds `g` into a value's `.grad` slot: in place when nothing else holds the stored
/// gradient, otherwise into a new value (so a gradient handed out earlier does not change).
pub(super) fn accumulate_grad<T: Float>(slot: &mut Option<StoredGrad<T>>, g: Tensor<T>) {
    match slot {
        None => *slot = Some(StoredGrad::Plain(g)),
        Some(StoredGrad::Plain(prev)) => prev.add_assign_(&g),
        Some(StoredGrad::Var(_)) => add_to_shared(slot, &g),
    }
}

/// [`accumulate_grad`] for a gradient that is not ours to keep: copied only into an empty
/// slot.
pub(super) fn accumulate_shared_grad<T: Float>(slot: &mut Option<StoredGrad<T>>, g: &Tensor<T>) {
    match slot {
        None => *slot = Some(StoredGrad::Plain(g.clone())),
        Some(StoredGrad::Plain(prev)) => prev.add_assign_(g),
        Some(StoredGrad::Var(_)) => add_to_shared(slot, g),
    }
}

/// `prev + g` for a gradient stored as a `Var`, as a plain gradient again: in `prev`'s own
/// value when nothing else holds it, else in a new one.
#[inline(never)]
fn add_to_shared<T: Float>(slot: &mut Option<StoredGrad<T>>, g: &Tensor<T>) {
    let Some(StoredGrad::Var(prev)) = slot.take() else {
        unreachable!("add_to_shared is called on a Var gradient")
    };
    let sum = match Arc::try_unwrap(prev.inner) {
        Ok(node) => {
            let mut value = node.data.into_inner().unwrap_or_else(|e| e.into_inner());
            value.add_assign_(g);
            value
        }
        Err(inner) => Var { inner }.data().add(g),
    };
    *slot = Some(StoredGrad::Plain(sum));
}
