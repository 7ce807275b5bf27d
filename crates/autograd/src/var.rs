//! [`Var`]: a tensor that remembers how it was computed.

use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use triomphe::Arc;

use backprop_tensor::{Float, Tensor};

use crate::backward::Backward;
use crate::engine::in_backward_rule;
use crate::mode::{is_anomaly_enabled, is_grad_enabled};

/// The start of the next block of node ids a thread takes (see [`next_id`]).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A new node id, unique in the process and larger than `after` (the largest id among the
/// node's inputs, 0 for none). An op's output thus has a larger id than its inputs, so
/// walking nodes from the largest id down is a valid reverse topological order (no
/// explicit sort of the graph); on one thread, ids also follow creation order.
///
/// Ids come from a per-thread block, so most nodes touch no shared counter (an atomic
/// read-modify-write costs ~20 cycles). A fresh block starts past every id handed out so
/// far, so a thread whose block is behind an input's id (made on another thread) takes
/// one.
#[inline]
fn next_id(after: u64) -> u64 {
    /// How many ids a thread takes from the shared counter at a time.
    const BLOCK: u64 = 1 << 16;
    thread_local! {
        /// The next id of this thread's block, and the end of the block.
        static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    let (mut next, mut end) = IDS.get();
    if next == end || next <= after {
        next = NEXT_ID.fetch_add(BLOCK, Ordering::Relaxed);
        end = next + BLOCK;
    }
    IDS.set((next + 1, end));
    next
}

/// A hook called with a value's gradient during backward; returning `Some` replaces it.
pub type Hook<T> = Box<dyn Fn(&Tensor<T>) -> Option<Tensor<T>> + Send + Sync>;

/// The recorded op that produced a value: how to send a gradient back to its inputs.
pub(crate) struct GradFn<T: Float> {
    pub(crate) op: Box<dyn Backward<T>>,
    pub(crate) inputs: Inputs<T>,
}

/// The inputs of a recorded op. Most ops take one or two, held inline so that recording
/// them allocates nothing beyond the node itself.
pub(crate) enum Inputs<T: Float> {
    /// The operand of a unary op.
    One([Var<T>; 1]),
    /// The two operands of a binary op.
    Two([Var<T>; 2]),
    /// Any other number of inputs.
    Many(Vec<Var<T>>),
}

impl<T: Float> std::ops::Deref for Inputs<T> {
    type Target = [Var<T>];

    fn deref(&self) -> &[Var<T>] {
        match self {
            Inputs::One(one) => one,
            Inputs::Two(two) => two,
            Inputs::Many(many) => many,
        }
    }
}

impl<T: Float> Inputs<T> {
    /// The largest id among the inputs (0 for none).
    #[inline]
    fn max_id(&self) -> u64 {
        match self {
            Inputs::One([a]) => a.inner.id,
            Inputs::Two([a, b]) => a.inner.id.max(b.inner.id),
            Inputs::Many(many) => many.iter().map(|v| v.inner.id).max().unwrap_or(0),
        }
    }
}

pub(crate) struct Node<T: Float> {
    pub(crate) id: u64,
    pub(crate) data: RwLock<Tensor<T>>,
    pub(crate) requires_grad: AtomicBool,
    pub(crate) is_leaf: bool,
    pub(crate) op_name: &'static str,
    pub(crate) location: Option<&'static Location<'static>>,
    /// Everything mutable besides the value, behind one lock: a backward pass takes it
    /// once or twice per node rather than once per field.
    pub(crate) state: Mutex<NodeState<T>>,
    /// The first-order backward pass (`engine::fast`) that last reached this node, and the
    /// node's index in that pass's order (while the pass collects its nodes, the number of
    /// gradient contributions the node will get). Relaxed atomics (plain loads and stores on x86):
    /// a pass is single-threaded, and two passes over one graph at once are refused anyway.
    pub(crate) fast_visit: AtomicU64,
    pub(crate) fast_slot: AtomicUsize,
}

/// A value's accumulated gradient: a plain tensor, which is what a first-order pass
/// stores (no node to allocate each step and free at each `zero_grad`), or a [`Var`] once
/// one was handed out ([`Var::grad_var`]) or recorded with history (`create_graph`).
pub(crate) enum StoredGrad<T: Float> {
    Plain(Tensor<T>),
    Var(Var<T>),
}

impl<T: Float> StoredGrad<T> {
    /// The gradient as a `Var` handle, turning a plain one into a `Var` in place, so that
    /// the handle and the slot share it (a later accumulation then makes a new value).
    pub(crate) fn share(slot: &mut Option<StoredGrad<T>>) -> Option<Var<T>> {
        let v = match slot.take()? {
            StoredGrad::Var(v) => v,
            StoredGrad::Plain(t) => Var::new(t),
        };
        *slot = Some(StoredGrad::Var(v.clone()));
        Some(v)
    }
}

pub(crate) struct NodeState<T: Float> {
    pub(crate) grad: Option<StoredGrad<T>>,
    pub(crate) grad_fn: Option<GradFn<T>>,
    pub(crate) hooks: Vec<Hook<T>>,
    pub(crate) retains_grad: bool,
    /// Marks the backward pass that last visited this node.
    pub(crate) visit: u64,
    /// The gradient accumulated for this node during the current recorded backward pass.
    pub(crate) pending: Option<Var<T>>,
    pub(crate) name: Option<String>,
}

/// A differentiable tensor: a value plus, when it was computed from values that require
/// gradients, the op that computed it (the graph is recorded as ops run, like PyTorch).
///
/// `Var` is a cheap handle (`Arc` inside): cloning it shares the value, gradient and history.
/// It is `Send + Sync`, so a trained model's parameters can serve inference from several
/// threads.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_tensor::Tensor;
///
/// let x = Var::parameter(Tensor::from_vec(vec![3.0f64], &[1]).unwrap());
/// let y = x.mul(&x).sum(); // y = x²
/// y.backward();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![6.0]); // dy/dx = 2x
/// ```
pub struct Var<T: Float = f32> {
    pub(crate) inner: Arc<Node<T>>,
}

impl<T: Float> Clone for Var<T> {
    fn clone(&self) -> Self {
        Var {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T: Float> std::fmt::Debug for Var<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Var(op={}, requires_grad={}, {:?})",
            self.inner.op_name,
            self.requires_grad(),
            *self.data()
        )
    }
}

fn lock<M>(m: &Mutex<M>) -> MutexGuard<'_, M> {
    // A panic inside a hook or op must not make every later access panic too.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T: Float> Var<T> {
    fn make(
        data: Tensor<T>,
        requires_grad: bool,
        op_name: &'static str,
        location: Option<&'static Location<'static>>,
        grad_fn: Option<GradFn<T>>,
    ) -> Self {
        let is_leaf = grad_fn.is_none();
        let after = grad_fn.as_ref().map_or(0, |gf| gf.inputs.max_id());
        Var {
            inner: Arc::new(Node {
                id: next_id(after),
                data: RwLock::new(data),
                requires_grad: AtomicBool::new(requires_grad),
                is_leaf,
                op_name,
                location,
                state: Mutex::new(NodeState {
                    grad: None,
                    grad_fn,
                    hooks: Vec::new(),
                    retains_grad: false,
                    visit: 0,
                    pending: None,
                    name: None,
                }),
                fast_visit: AtomicU64::new(0),
                fast_slot: AtomicUsize::new(0),
            }),
        }
    }

    /// A value that does not require gradients (input data, targets, constants).
    pub fn new(data: Tensor<T>) -> Self {
        Self::make(data, false, "leaf", None, None)
    }

    /// A leaf that requires gradients: a trainable parameter.
    pub fn parameter(data: Tensor<T>) -> Self {
        Self::make(data, true, "leaf", None, None)
    }

    /// A leaf with `requires_grad` as given.
    pub fn leaf(data: Tensor<T>, requires_grad: bool) -> Self {
        Self::make(data, requires_grad, "leaf", None, None)
    }

    /// A 0-d constant.
    pub fn scalar(value: T) -> Self {
        Self::new(Tensor::scalar(value))
    }

    /// Records the output of an op. This is how every differentiable op is built: compute
    /// `data` from the inputs' values, then hand it here with the op's [`Backward`].
    ///
    /// The graph is recorded only when gradient mode is on and some input requires
    /// gradients; otherwise the result is a plain value. In anomaly mode a non-finite
    /// `data` panics here, naming `op_name` and the caller's source line.
    #[track_caller]
    pub fn from_op(
        op_name: &'static str,
        data: Tensor<T>,
        inputs: Vec<Var<T>>,
        op: impl Backward<T>,
    ) -> Self {
        let requires_grad = inputs.iter().any(|v| v.requires_grad());
        Self::from_inputs(op_name, data, requires_grad, || Inputs::Many(inputs), op)
    }

    /// [`from_op`](Var::from_op) for an op of two inputs, `a` and `b` in that order: the
    /// inputs are stored inline and cloned only when the graph is recorded.
    #[track_caller]
    pub(crate) fn from_binary_op(
        op_name: &'static str,
        data: Tensor<T>,
        a: &Var<T>,
        b: &Var<T>,
        op: impl Backward<T>,
    ) -> Self {
        let requires_grad = a.requires_grad() || b.requires_grad();
        let inputs = || Inputs::Two([a.clone(), b.clone()]);
        Self::from_inputs(op_name, data, requires_grad, inputs, op)
    }

    /// [`from_op`](Var::from_op) for an op of one input: the input is stored inline and
    /// cloned only when the graph is recorded.
    #[track_caller]
    pub(crate) fn from_unary_op(
        op_name: &'static str,
        data: Tensor<T>,
        a: &Var<T>,
        op: impl Backward<T>,
    ) -> Self {
        let inputs = || Inputs::One([a.clone()]);
        Self::from_inputs(op_name, data, a.requires_grad(), inputs, op)
    }

    /// The body shared by [`from_op`](Var::from_op) and [`from_binary_op`](Var::from_binary_op):
    /// checks the forward value, and records `op` with its inputs (built only then) when
    /// gradients are enabled and an input requires one.
    #[track_caller]
    fn from_inputs(
        op_name: &'static str,
        data: Tensor<T>,
        requires_grad: bool,
        inputs: impl FnOnce() -> Inputs<T>,
        op: impl Backward<T>,
    ) -> Self {
        let location = Location::caller();
        check_forward(op_name, &data, location);
        if !is_grad_enabled() || !requires_grad {
            return Self::make(data, false, op_name, Some(location), None);
        }
        Self::make(
            data,
            true,
            op_name,
            Some(location),
            Some(GradFn {
                op: Box::new(op),
                inputs: inputs(),
            }),
        )
    }

    /// The value (a read guard; clone it with [`value`](Var::value) to keep it).
    pub fn data(&self) -> RwLockReadGuard<'_, Tensor<T>> {
        self.inner.data.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The value, mutably — for in-place updates outside the graph (optimizer steps,
    /// loading weights). Changing a value that a recorded op saved changes its backward.
    pub fn data_mut(&self) -> RwLockWriteGuard<'_, Tensor<T>> {
        self.inner.data.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the value.
    pub fn value(&self) -> Tensor<T> {
        self.data().clone()
    }

    /// The value, moved out when this is the only handle, copied otherwise.
    pub(crate) fn into_value(self) -> Tensor<T> {
        match Arc::try_unwrap(self.inner) {
            Ok(node) => node.data.into_inner().unwrap_or_else(|e| e.into_inner()),
            Err(inner) => inner.data.read().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    /// Replaces the value (the shape may change; no graph is recorded).
    pub fn set_data(&self, data: Tensor<T>) {
        *self.data_mut() = data;
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.data().shape().to_vec()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.data().numel()
    }

    /// The single element of a one-element value.
    ///
    /// # Panics
    ///
    /// If the value does not have exactly one element.
    #[track_caller]
    pub fn item(&self) -> T {
        self.data().item()
    }

    /// Whether gradients flow to this value.
    pub fn requires_grad(&self) -> bool {
        self.inner.requires_grad.load(Ordering::Relaxed)
    }

    /// Sets whether a leaf requires gradients (like `tensor.requires_grad_()`); returns `self`.
    ///
    /// # Panics
    ///
    /// On a value computed by an op (only leaves can change this).
    #[track_caller]
    pub fn requires_grad_(&self, requires_grad: bool) -> &Self {
        assert!(
            self.inner.is_leaf,
            "requires_grad_: can only change leaves; this value was computed by `{}` (use detach())",
            self.inner.op_name
        );
        self.inner
            .requires_grad
            .store(requires_grad, Ordering::Relaxed);
        self
    }

    /// Whether this value was created directly rather than computed by a recorded op.
    pub fn is_leaf(&self) -> bool {
        self.inner.is_leaf
    }

    /// The name of the op that computed this value (`"leaf"` for leaves).
    pub fn op_name(&self) -> &'static str {
        self.inner.op_name
    }

    /// Where in the user's code the op that computed this value was called.
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.inner.location
    }

    /// A unique id: an op's output has a larger id than its inputs, and on one thread ids
    /// increase in creation order (values made on different threads are not ordered).
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Whether two handles refer to the same value.
    pub fn ptr_eq(&self, other: &Var<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A label for this value in [`to_dot`](Var::to_dot) output (e.g. a parameter name).
    pub fn set_name(&self, name: impl Into<String>) {
        self.state().name = Some(name.into());
    }

    /// The label set by [`set_name`](Var::set_name).
    pub fn name(&self) -> Option<String> {
        self.state().name.clone()
    }

    /// The accumulated gradient, if backward has reached this value.
    pub fn grad(&self) -> Option<Tensor<T>> {
        let held = match &self.state().grad {
            None => return None,
            Some(StoredGrad::Plain(t)) => return Some(t.clone()),
            Some(StoredGrad::Var(v)) => v.clone(),
        };
        // Read without this node's lock held (the gradient may be this value itself).
        Some(held.value())
    }

    /// The accumulated gradient as a `Var`: after `backward` with `create_graph`, it carries
    /// its own history, so it can be differentiated again.
    pub fn grad_var(&self) -> Option<Var<T>> {
        StoredGrad::share(&mut self.state().grad)
    }

    /// Replaces the gradient (used by gradient clipping and tests).
    pub fn set_grad(&self, grad: Option<Tensor<T>>) {
        self.state().grad = grad.map(StoredGrad::Plain);
    }

    /// Calls `f` with the gradient without copying it (`None` before any backward).
    pub fn with_grad<R>(&self, f: impl FnOnce(Option<&Tensor<T>>) -> R) -> R {
        // Clone the handle so the user's closure runs without the node's lock held.
        match self.grad_var() {
            Some(v) => f(Some(&v.data())),
            None => f(None),
        }
    }

    /// Calls `f` with the gradient, mutably (in-place clipping or scaling).
    pub fn with_grad_mut<R>(&self, f: impl FnOnce(Option<&mut Tensor<T>>) -> R) -> R {
        match self.grad_var() {
            Some(v) => f(Some(&mut v.data_mut())),
            None => f(None),
        }
    }

    /// Calls `f` with the gradient and the value, mutably: an optimizer's update of one
    /// parameter, with one lock of each instead of a lock round trip per access. Returns
    /// `None`, without calling `f`, when there is no gradient.
    ///
    /// The gradient and the value stay locked while `f` runs, so `f` must not reach this
    /// `Var` (its value, gradient, hooks or name): that would deadlock.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let w = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap());
    /// w.mul(&w).sum().backward(); // grad = 2w
    /// w.with_grad_and_data_mut(|g, w| w.add_scaled_(-0.25, g));
    /// assert_eq!(w.value().to_vec(), vec![0.5, 1.0]);
    /// ```
    pub fn with_grad_and_data_mut<R>(
        &self,
        f: impl FnOnce(&Tensor<T>, &mut Tensor<T>) -> R,
    ) -> Option<R> {
        let mut st = self.state();
        let grad = match st.grad.as_mut()? {
            StoredGrad::Plain(g) => return Some(f(g, &mut self.data_mut())),
            StoredGrad::Var(v) => v,
        };
        if grad.ptr_eq(self) {
            // A value that is its own gradient (possible only with a `grad_outputs` seed
            // under `create_graph`): its lock cannot be read and written at once.
            let g = grad.value();
            return Some(f(&g, &mut self.data_mut()));
        }
        let mut data = self.data_mut();
        Some(match Arc::get_mut(&mut grad.inner) {
            // A gradient nothing else holds is reached without its lock.
            Some(node) => f(
                node.data.get_mut().unwrap_or_else(|e| e.into_inner()),
                &mut data,
            ),
            None => f(&grad.data(), &mut data),
        })
    }

    /// Clears the gradient (sets it to `None`, as PyTorch's `zero_grad()` does by default).
    pub fn zero_grad(&self) {
        self.state().grad = None;
    }

    /// A new leaf with a copy of this value and no history.
    pub fn detach(&self) -> Var<T> {
        Var::new(self.value())
    }

    /// Keeps the gradient of this non-leaf value in [`grad`](Var::grad) after backward
    /// (leaves always keep theirs).
    pub fn retain_grad(&self) {
        self.state().retains_grad = true;
    }

    /// Registers a hook called with this value's gradient during backward, before the
    /// gradient is used; returning `Some(g)` replaces it (like PyTorch's `register_hook`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap());
    /// x.register_hook(|g| Some(g.mul_scalar(10.0)));
    /// x.mul_scalar(3.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![30.0, 30.0]);
    /// ```
    pub fn register_hook(
        &self,
        hook: impl Fn(&Tensor<T>) -> Option<Tensor<T>> + Send + Sync + 'static,
    ) {
        self.state().hooks.push(Box::new(hook));
    }

    /// The inputs of the op that computed this value (empty for leaves, or once the graph
    /// was freed by a backward pass).
    pub fn inputs(&self) -> Vec<Var<T>> {
        self.state()
            .grad_fn
            .as_ref()
            .map(|g| g.inputs.to_vec())
            .unwrap_or_default()
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, NodeState<T>> {
        lock(&self.inner.state)
    }
}

/// In anomaly mode, panics when an op's forward output has a NaN or Inf, naming the op and
/// the caller's line (ops run inside a backward rule are checked by the engine instead).
fn check_forward<T: Float>(op_name: &str, data: &Tensor<T>, location: &Location<'_>) {
    if is_anomaly_enabled() && !in_backward_rule() && !data.all_finite() {
        panic!(
            "anomaly: op `{op_name}` produced NaN or Inf in its forward output (shape {:?}), called at {location}",
            data.shape()
        );
    }
}

impl<T: Float> From<Tensor<T>> for Var<T> {
    fn from(t: Tensor<T>) -> Self {
        Var::new(t)
    }
}

#[cfg(test)]
mod tests;
