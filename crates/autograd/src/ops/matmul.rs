//! matmul: Y = A·B for 2-D [n,k]·[k,m], batched 3-D [b,n,k]·[b,k,m], and a 2-D operand
//! shared across the batch of a 3-D one. A 1-D operand follows `torch.matmul`: a first
//! operand [k] is the row [1,k], a second operand [k] the column [k,1], and the added axis
//! is removed from the result (so [k]·[k] is a 0-d dot product); that case is composed from
//! `unsqueeze`/`squeeze`, whose gradients undo it.
//!
//! dA = dY·Bᵀ, dB = Aᵀ·dY (per batch entry); a 2-D operand used by every batch entry gets
//! the sum over the batch. Saves both inputs.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The matrix product (see [`Tensor::matmul`](backprop_tensor::Tensor::matmul)); as in
    /// `torch.matmul`, a 1-D first operand is treated as a row and a 1-D second operand as
    /// a column, and that axis is dropped from the result.
    ///
    /// # Panics
    ///
    /// If the operands are not 1-D/2-D/3-D or their inner extents differ (the message
    /// names `matmul` and both shapes).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let a = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
    /// let v = Var::parameter(Tensor::from_vec(vec![1.0f64, -1.0], &[2]).unwrap());
    /// let y = a.matmul(&v); // [1 - 2, 3 - 4]
    /// assert_eq!(y.shape(), [2]);
    /// assert_eq!(y.value().to_vec(), vec![-1.0, -1.0]);
    /// assert_eq!(v.matmul(&v).shape(), [0usize; 0]); // a dot product
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Var<T>) -> Var<T> {
        let (a_shape, b_shape) = (self.shape(), other.shape());
        if a_shape.len() == 1 || b_shape.len() == 1 {
            return self.matmul_vector(other, &a_shape, &b_shape);
        }
        let y = self.data().matmul(&other.data());
        Var::from_op("matmul", y, vec![self.clone(), other.clone()], MatmulBackward)
    }
}

impl<T: Float> Var<T> {
    /// `matmul` with a 1-D operand: made 2-D, multiplied, and the added axis squeezed out.
    #[track_caller]
    fn matmul_vector(&self, other: &Var<T>, a_shape: &[usize], b_shape: &[usize]) -> Var<T> {
        let (a_vec, b_vec) = (a_shape.len() == 1, b_shape.len() == 1);
        // The contracted extents: the last of `a` and the first (1-D) or next-to-last of `b`.
        let compatible = (1..=3).contains(&a_shape.len())
            && (1..=3).contains(&b_shape.len())
            && a_shape[a_shape.len() - 1] == b_shape[b_shape.len().saturating_sub(2)];
        assert!(
            compatible,
            "matmul: shapes {a_shape:?} and {b_shape:?} are not compatible for a matrix product"
        );
        let a = if a_vec { self.unsqueeze(0) } else { self.clone() };
        let b = if b_vec { other.unsqueeze(1) } else { other.clone() };
        let mut y = a.matmul(&b);
        if b_vec {
            y = y.squeeze(y.shape().len() - 1);
        }
        if a_vec {
            let n = y.shape().len();
            y = y.squeeze(if b_vec { n - 1 } else { n - 2 });
        }
        y
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
        GradCase::new(
            "1-d x 2-d",
            vec![inputs::normal(rng, &[k]), inputs::normal(rng, &[k, m])],
            |v| v[0].matmul(&v[1]),
        ),
        GradCase::new(
            "2-d x 1-d",
            vec![inputs::normal(rng, &[n, k]), inputs::normal(rng, &[k])],
            |v| v[0].matmul(&v[1]),
        ),
        GradCase::new(
            "1-d x 1-d",
            vec![inputs::normal(rng, &[k]), inputs::normal(rng, &[k])],
            |v| v[0].matmul(&v[1]),
        ),
        GradCase::new(
            "1-d x 3-d and 3-d x 1-d",
            vec![
                inputs::normal(rng, &[k]),
                inputs::normal(rng, &[2, k, m]),
                inputs::normal(rng, &[m]),
            ],
            |v| v[0].matmul(&v[1]).matmul(&v[2]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    fn var(data: Vec<f64>, shape: &[usize]) -> Var<f64> {
        Var::parameter(Tensor::from_vec(data, shape).unwrap())
    }

    /// `torch.matmul` with 1-D operands: vector-matrix, matrix-vector and dot, with their
    /// gradients written out by hand.
    #[test]
    fn one_dimensional_operands_follow_torch_matmul() {
        let m = var(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let u = var(vec![1.0, -1.0], &[2]);
        let w = var(vec![2.0, 0.0, -1.0], &[3]);

        let y = u.matmul(&m); // [1 - 4, 2 - 5, 3 - 6]
        assert_eq!(y.shape(), [3]);
        assert_eq!(y.value().to_vec(), vec![-3.0, -3.0, -3.0]);
        y.sum().backward();
        assert_eq!(u.grad().unwrap().to_vec(), vec![6.0, 15.0]); // row sums of m
        assert_eq!(m.grad().unwrap().to_vec(), vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0]);

        let y = m.matmul(&w); // [2 - 3, 8 - 6]
        assert_eq!(y.shape(), [2]);
        assert_eq!(y.value().to_vec(), vec![-1.0, 2.0]);

        let d = w.matmul(&w);
        assert_eq!(d.shape(), [0usize; 0]);
        assert_eq!(d.item(), 5.0);
        d.backward();
        assert_eq!(w.grad().unwrap().to_vec(), vec![4.0, 0.0, -2.0]);

        let b = var((0..12).map(f64::from).collect(), &[2, 2, 3]);
        assert_eq!(u.matmul(&b).shape(), [2, 3]);
        assert_eq!(b.matmul(&w).shape(), [2, 2]);
    }

    #[test]
    #[should_panic(expected = "matmul: shapes [3] and [2, 3] are not compatible")]
    fn one_dimensional_mismatch_names_the_shapes() {
        let _ = var(vec![0.0; 3], &[3]).matmul(&var(vec![0.0; 6], &[2, 3]));
    }
}
