//! [`Borrowed`]: a handle to a node that a pass holds without counting it.
//!
//! A pass reaches every node of the graph behind its roots. Cloning a [`Var`] for each
//! (and dropping the clone at the end) is two atomic read-modify-writes per node, ~20
//! cycles each, more than the rest of the bookkeeping of a small node. The pass does not
//! need the counts: the nodes it reaches are kept alive by the roots (borrowed for the
//! whole pass) and by the ops the pass takes out of the nodes it reaches (`collect` moves
//! each op, with the handles to its inputs, into the pass, and the pass drops or returns
//! them only after its last use of any node). So the pass holds plain copies of the
//! handles, never dropped.
//!
//! The one `unsafe` is making such a copy; its contract is on [`Borrowed::new`].

#![allow(unsafe_code)]

use std::mem::ManuallyDrop;
use std::ops::Deref;

use backprop_tensor::Float;

use crate::Var;

/// A copy of a [`Var`] handle that does not own a count of its node: it reads as a `Var`
/// and is never dropped as one.
pub(super) struct Borrowed<T: Float>(ManuallyDrop<Var<T>>);

impl<T: Float> Borrowed<T> {
    /// A handle to `v`'s node, without touching its count.
    ///
    /// # Safety
    ///
    /// `v`'s node must stay alive (some counted handle to it must exist) for as long as
    /// the result is used. The result must not be used after that, and may be dropped at
    /// any time (dropping it does nothing).
    #[inline(always)]
    pub(super) unsafe fn new(v: &Var<T>) -> Self {
        // SAFETY: a bitwise copy of the handle (a pointer to the node); `ManuallyDrop`
        // keeps it from ever releasing the count it does not own, and the caller keeps
        // the node alive while the copy is used.
        Borrowed(ManuallyDrop::new(unsafe { std::ptr::read(v) }))
    }
}

impl<T: Float> Deref for Borrowed<T> {
    type Target = Var<T>;

    #[inline(always)]
    fn deref(&self) -> &Var<T> {
        &self.0
    }
}
