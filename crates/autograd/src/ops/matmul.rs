//! matmul: Y = A·B for 2-D [n,k]·[k,m], batched 3-D [b,n,k]·[b,k,m], and a 2-D operand
//! shared across the batch of a 3-D one.
//!
//! dA = dY·Bᵀ, dB = Aᵀ·dY (per batch entry); a 2-D operand used by every batch entry gets
//! the sum over the batch. Saves both inputs.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The matrix product (see [`Tensor::matmul`](backprop_tensor::Tensor::matmul)).
    ///
    /// # Panics
    ///
    /// If the operands are not 2-D/3-D or their inner extents differ (the message names
    /// `matmul` and both shapes).
    #[track_caller]
    pub fn matmul(&self, other: &Var<T>) -> Var<T> {
        let y = self.data().matmul(&other.data());
        Var::from_op("matmul", y, vec![self.clone(), other.clone()], MatmulBackward)
    }
}

/// Swaps the last two axes.
fn mt<T: Float>(x: &Var<T>) -> Var<T> {
    let n = x.data().ndim();
    x.transpose(n - 2, n - 1)
}

struct MatmulBackward;

impl<T: Float> Backward<T> for MatmulBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let (a, b) = (ctx.input(0).data(), ctx.input(1).data());
        if a.ndim() != 2 || b.ndim() != 2 {
            drop((a, b));
            return crate::backward_on_tensors(self, ctx, g);
        }
        // dA = dY·Bᵀ and dB = Aᵀ·dY without materializing the transposes.
        vec![
            ctx.needs_grad(0).then(|| g.matmul_t(&b)),
            ctx.needs_grad(1).then(|| a.t_matmul(&g)),
        ]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (a, b) = (ctx.input(0), ctx.input(1));
        let reduce = |x: Var<T>, ndim: usize| {
            if x.data().ndim() > ndim {
                x.sum_axes(&[0], false)
            } else {
                x
            }
        };
        vec![
            ctx.needs_grad(0)
                .then(|| reduce(g.matmul(&mt(b)), a.data().ndim())),
            ctx.needs_grad(1)
                .then(|| reduce(mt(a).matmul(g), b.data().ndim())),
        ]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, k, m) = (1 + rng.below(4), 1 + rng.below(4), 1 + rng.below(4));
    vec![
        GradCase::new(
            "2-d",
            vec![inputs::normal(rng, &[n, k]), inputs::normal(rng, &[k, m])],
            |v| v[0].matmul(&v[1]),
        ),
        GradCase::new(
            "batched 3-d",
            vec![inputs::normal(rng, &[2, n, k]), inputs::normal(rng, &[2, k, m])],
            |v| v[0].matmul(&v[1]),
        ),
        GradCase::new(
            "3-d x shared 2-d",
            vec![inputs::normal(rng, &[3, n, k]), inputs::normal(rng, &[k, m])],
            |v| v[0].matmul(&v[1]),
        ),
        GradCase::new(
            "shared 2-d x 3-d",
            vec![inputs::normal(rng, &[n, k]), inputs::normal(rng, &[2, k, m])],
            |v| v[0].matmul(&v[1]),
        ),
    ]
}
