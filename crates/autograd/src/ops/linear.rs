//! linear: y = x·Wᵀ + b for x `[n, in]`, W `[out, in]` (PyTorch's layout), b `[out]` or
//! none — the affine map of `nn.Linear` in one op.
//!
//! dx = dy·W, dW = dyᵀ·x, db = Σₙ dy (the sum over the rows). Fused rather than composed
//! from `t`, `matmul` and `add` because the composition copies Wᵀ in the forward and, in the
//! backward, copies Wᵀ again and the transposed input and gradient: here the products read
//! the operands in place (the GEMM takes strides) and the bias is added into the product's
//! buffer. Saves the inputs.

use backprop_tensor::{Float, Rng, Tensor, vectorized};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The affine map `self · weightᵀ + bias` of a batch `self` `[n, in]`, with `weight`
    /// `[out, in]` and `bias` `[out]` (like `torch.nn.functional.linear`).
    ///
    /// # Panics
    ///
    /// If `self` or `weight` is not 2-D, the `in` extents differ, or `bias` is not `[out]`
    /// (the message names `linear` and the shapes).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0f64, 2.0], &[1, 2]).unwrap());
    /// let w = Var::parameter(Tensor::from_vec(vec![1.0, 0.0, 1.0, 1.0, 0.0, -1.0], &[3, 2]).unwrap());
    /// let b = Var::parameter(Tensor::from_vec(vec![0.5, 0.5, 0.5], &[3]).unwrap());
    /// let y = x.linear(&w, Some(&b));
    /// assert_eq!(y.value().to_vec(), vec![1.5, 3.5, -1.5]);
    /// y.sum().backward();
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn linear(&self, weight: &Var<T>, bias: Option<&Var<T>>) -> Var<T> {
        let y = {
            let (x, w) = (self.data(), weight.data());
            let (sx, sw) = (x.shape(), w.shape());
            assert!(
                sx.len() == 2 && sw.len() == 2 && sx[1] == sw[1],
                "linear: input of shape {sx:?} and weight of shape {sw:?} do not fit \
                 (expected [n, in] and [out, in])"
            );
            let mut y = x.matmul_t(&w);
            if let Some(b) = bias {
                let b = b.data();
                assert!(
                    b.shape() == [sw[0]],
                    "linear: bias of shape {:?} does not fit weight of shape {sw:?} (expected [{}])",
                    b.shape(),
                    sw[0]
                );
                add_rows(&mut y, &b);
            }
            y
        };
        let mut inputs = Vec::with_capacity(3);
        inputs.extend([self.clone(), weight.clone()]);
        inputs.extend(bias.cloned());
        Var::from_op("linear", y, inputs, LinearBackward)
    }
}

/// `y[i, :] += b` for every row, in place; each element gets exactly one addition.
///
/// A narrow bias (W1's 8, 9 or 3 outputs) makes rows too short for a loop of their own, so
/// the bias is repeated into a lane of at least 64 elements that is a whole number of rows
/// and of 8-element vectors (a multiple of lcm(out, 8)), and `y` is walked lane by lane with
/// one flat loop per lane (vectorized, no remainder but in the last lane). Wider biases are
/// added row by row. Both run eight lanes wide with AVX2 when the CPU has it (the same
/// additions, the same bits).
fn add_rows<T: Float>(y: &mut Tensor<T>, b: &Tensor<T>) {
    vectorized(#[inline(always)] || add_rows_loop(y, b));
}

/// The body of [`add_rows`], inlined into both of its compiled versions.
#[inline(always)]
fn add_rows_loop<T: Float>(y: &mut Tensor<T>, b: &Tensor<T>) {
    const VECTOR: usize = 8;
    const MIN_LANE: usize = 64;
    const MAX_LANE: usize = 256;
    let out = b.numel();
    let y = y.as_slice_mut().expect("a fresh product is contiguous");
    if out == 0 {
        return;
    }
    let copied;
    let b = match b.as_slice() {
        Some(b) => b,
        None => {
            copied = b.to_contiguous();
            copied.as_slice().expect("contiguous")
        }
    };
    let unit = lcm(out, VECTOR);
    if unit > MAX_LANE {
        for row in y.chunks_exact_mut(out) {
            for (v, &bj) in row.iter_mut().zip(b) {
                *v += bj;
            }
        }
        return;
    }
    // At most max(unit, 64 + unit - 8) <= 256 elements.
    let lane_len = unit * MIN_LANE.div_ceil(unit);
    let mut lane = [T::zero(); MAX_LANE];
    for rep in lane[..lane_len].chunks_exact_mut(out) {
        rep.copy_from_slice(b);
    }
    let lane = &lane[..lane_len];
    for chunk in y.chunks_mut(lane_len) {
        for (v, &bj) in chunk.iter_mut().zip(lane) {
            *v += bj;
        }
    }
}

/// The least common multiple of two positive integers.
fn lcm(a: usize, b: usize) -> usize {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

struct LinearBackward;

impl<T: Float> Backward<T> for LinearBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (x, w) = (ctx.input(0), ctx.input(1));
        let mut grads = vec![
            ctx.needs_grad(0).then(|| g.matmul(w)),
            ctx.needs_grad(1).then(|| g.t().matmul(x)),
        ];
        if ctx.inputs().len() == 3 {
            grads.push(ctx.needs_grad(2).then(|| g.sum_axes(&[0], false)));
        }
        grads
    }

    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        out.push(
            ctx.needs_grad(0)
                .then(|| g.matmul(&ctx.input(1).data())),
        );
        out.push(
            ctx.needs_grad(1)
                .then(|| g.t_matmul(&ctx.input(0).data())),
        );
        if ctx.inputs().len() == 3 {
            out.push(ctx.needs_grad(2).then(|| g.sum(&[0], false)));
        }
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, i, o) = (1 + rng.below(4), 1 + rng.below(4), 1 + rng.below(4));
    vec![
        GradCase::new(
            "with bias",
            vec![
                inputs::normal(rng, &[n, i]),
                inputs::normal(rng, &[o, i]),
                inputs::normal(rng, &[o]),
            ],
            |v| v[0].linear(&v[1], Some(&v[2])),
        ),
        GradCase::new(
            "without bias",
            vec![inputs::normal(rng, &[n, i]), inputs::normal(rng, &[o, i])],
            |v| v[0].linear(&v[1], None),
        ),
        GradCase::new(
            "wider than the plain-loop kernel",
            vec![
                inputs::normal(rng, &[9, 40]),
                inputs::normal(rng, &[50, 40]),
                inputs::normal(rng, &[50]),
            ],
            |v| v[0].linear(&v[1], Some(&v[2])),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Rng, Tensor};

    use crate::Var;

    #[test]
    fn equals_matmul_with_transpose_plus_bias() {
        let mut rng = Rng::seed_from_u64(4);
        // Narrow and wide outputs, batches shorter and longer than the bias lane.
        for (n, i, o) in [(5, 3, 4), (130, 4, 3), (121, 9, 8), (7, 5, 70), (1, 2, 1)] {
            let x = Var::new(Tensor::<f64>::randn(&[n, i], &mut rng));
            let w = Var::new(Tensor::<f64>::randn(&[o, i], &mut rng));
            let b = Var::new(Tensor::<f64>::randn(&[o], &mut rng));
            let fused = x.linear(&w, Some(&b)).value();
            let composed = x.matmul(&w.t()).add(&b).value();
            assert!(fused.allclose(&composed, 1e-14, 1e-14), "{n}x{i} -> {o}");
        }
    }

    #[test]
    fn bias_is_added_once_to_every_element() {
        let mut rng = Rng::seed_from_u64(5);
        // Every narrow width, lanes of 16 to 240 elements, batches that end in a partial
        // lane or a partial block, and wide outputs added row by row.
        let widths = (1..=20).chain([24, 32, 40, 48, 64, 100, 512]);
        for out in widths {
            for n in [1, 2, 7, 120, 121] {
                let mut y = Tensor::<f32>::randn(&[n, out], &mut rng);
                let b = Tensor::<f32>::randn(&[out], &mut rng);
                let mut want = y.to_vec();
                for row in want.chunks_exact_mut(out) {
                    for (v, &bj) in row.iter_mut().zip(&b.to_vec()) {
                        *v += bj;
                    }
                }
                super::add_rows(&mut y, &b);
                let bits = |v: &[f32]| v.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y.to_vec()), bits(&want), "{n}x{out}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "linear: input of shape [2, 3] and weight of shape [4, 2]")]
    fn mismatched_weight_names_the_op() {
        let x = Var::<f32>::new(Tensor::zeros(&[2, 3]));
        let _ = x.linear(&Var::new(Tensor::zeros(&[4, 2])), None);
    }
}
