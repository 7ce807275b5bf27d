//! The [`Backward`] trait: the local derivative of one op.

use backprop_tensor::{Float, Tensor};

use crate::Var;

/// What an op's backward can see: its inputs and its own output.
pub struct BackwardCtx<'a, T: Float> {
    pub(crate) inputs: &'a [Var<T>],
    pub(crate) output: &'a Var<T>,
}

impl<'a, T: Float> BackwardCtx<'a, T> {
    /// Builds a context (for tests of a backward rule in isolation).
    pub fn new(inputs: &'a [Var<T>], output: &'a Var<T>) -> Self {
        BackwardCtx { inputs, output }
    }

    /// Input `i` of the op.
    pub fn input(&self, i: usize) -> &'a Var<T> {
        &self.inputs[i]
    }

    /// All inputs of the op.
    pub fn inputs(&self) -> &'a [Var<T>] {
        self.inputs
    }

    /// The op's output (its value is what the forward computed).
    pub fn output(&self) -> &'a Var<T> {
        self.output
    }

    /// Whether input `i` needs a gradient (ops skip the work for inputs that do not).
    pub fn needs_grad(&self, i: usize) -> bool {
        self.inputs[i].requires_grad()
    }

    /// The shape of input `i`.
    pub fn input_shape(&self, i: usize) -> Vec<usize> {
        self.inputs[i].shape()
    }
}

/// The backward rule of an op: given the gradient of the loss with respect to the op's
/// output, the gradient with respect to each input (the chain rule, one step).
///
/// Rules are written with [`Var`] ops, so the same rule serves first-order backward (run
/// with recording off: plain tensor math) and double backward (`create_graph`: the rule's
/// own ops are recorded and can be differentiated again).
pub trait Backward<T: Float>: Send + Sync + 'static {
    /// One entry per input: `Some(grad)` shaped like that input, or `None` when the input
    /// does not need a gradient.
    fn backward(&self, ctx: &BackwardCtx<'_, T>, grad: &Var<T>) -> Vec<Option<Var<T>>>;

    /// The same first-order gradients computed on plain tensors, for backward passes that
    /// do not record a graph (the usual `loss.backward()`). The upstream gradient is handed
    /// over by value, so an elementwise rule can compute its result in that buffer.
    ///
    /// The default runs [`backward`](Backward::backward) on the gradient wrapped in a
    /// [`Var`] (the engine has recording off then) and unwraps the results; hot ops
    /// implement it on tensors to skip the graph nodes a `Var` rule allocates for every
    /// intermediate. It must compute what `backward` computes: the first-order gradient
    /// checks run this path and the second-order checks run `backward`, and a test compares
    /// the two on every op's check cases.
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, grad: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        backward_on_tensors(self, ctx, grad)
    }

    /// [`backward_fast`](Backward::backward_fast) writing its results into `out`, which is
    /// empty on entry: one entry per input, in order. This is what the engine calls; it hands
    /// every node of a pass the same buffer, so a rule that implements this one (the hot
    /// binary ops and `linear` do) allocates no result vector per node. A rule implements
    /// either this or `backward_fast`, not both: the other keeps its default, which computes
    /// the same values.
    ///
    /// The default calls [`backward_fast`](Backward::backward_fast).
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        grad: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        out.extend(self.backward_fast(ctx, grad));
    }

    /// Whether the first-order gradient of every input is the upstream gradient itself,
    /// unchanged (`y = a + b` without broadcasting). The engine's first-order pass then hands
    /// the upstream gradient to the inputs on its own, without calling
    /// [`backward_fast_into`](Backward::backward_fast_into): it is added into an input's
    /// pending gradient or `.grad` by reference, so no copy of it is made per input.
    /// [`backward`](Backward::backward) must still compute the same gradients (it serves
    /// the recorded passes and the gradient checks). Return `true` only when every input has
    /// the output's shape: the gradient passed through is not checked against the inputs'
    /// shapes.
    ///
    /// The default is `false`.
    fn passes_gradient_through(&self) -> bool {
        false
    }

    /// Whether [`backward`](Backward::backward) is itself differentiable. An op whose rule
    /// uses plain tensor math returns `false`; asking for double backward through it is
    /// then an error naming the op instead of a silently wrong result.
    fn supports_double_backward(&self) -> bool {
        true
    }
}

/// Runs an op's [`Var`] rule ([`Backward::backward`]) on a plain tensor gradient and
/// returns the results as tensors (moved out, not copied, when nothing else holds them):
/// the default of [`Backward::backward_fast`], and the fallback of a tensor rule for the
/// cases it does not cover. Call it with recording off (`no_grad`) unless the results'
/// history is wanted.
pub fn backward_on_tensors<T: Float, B: Backward<T> + ?Sized>(
    rule: &B,
    ctx: &BackwardCtx<'_, T>,
    grad: Tensor<T>,
) -> Vec<Option<Tensor<T>>> {
    let g = Var::new(grad);
    let grads = rule.backward(ctx, &g);
    drop(g);
    grads
        .into_iter()
        .map(|gi| gi.map(Var::into_value))
        .collect()
}
