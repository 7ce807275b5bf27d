//! index_select: y = x[.., indices[k], ..] along `axis` (like `torch.index_select`).
//!
//! Slice k of y is slice `indices[k]` of x, so dx = dy's slices added into a zero tensor at
//! `indices` (`index_add`); an index that repeats receives the sum of its slices'
//! gradients. Saves the indices.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The slices at `indices` along `axis`, in that order; indices may repeat.
    ///
    /// # Panics
    ///
    /// If the axis or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap());
    /// x.index_select(0, &[2, 0, 2]).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, axis: usize, indices: &[usize]) -> Var<T> {
        let y = self.data().index_select(axis, indices);
        Var::from_unary_op(
            "index_select",
            y,
            self,
            IndexSelectBackward {
                axis,
                indices: indices.to_vec(),
            },
        )
    }
}

struct IndexSelectBackward {
    axis: usize,
    indices: Vec<usize>,
}

impl<T: Float> Backward<T> for IndexSelectBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(Var::index_add(
            &ctx.input_shape(0),
            self.axis,
            &self.indices,
            g,
        ))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases: Vec<GradCase> = (1..4)
        .map(|ndim| {
            let mut s = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim);
            // At least two entries along the axis, so the index can pick different ones.
            s[axis] += 1;
            let count = 1 + rng.below(5);
            let indices: Vec<usize> = (0..count).map(|_| rng.below(s[axis])).collect();
            GradCase::new(
                format!("axis {axis} indices {indices:?}"),
                vec![inputs::normal(rng, &s)],
                move |v| v[0].index_select(axis, &indices),
            )
        })
        .collect();
    cases.push(GradCase::new(
        "repeated indices",
        vec![inputs::normal(rng, &[3, 2])],
        |v| v[0].index_select(0, &[1, 1, 0, 1]),
    ));
    cases.push(GradCase::new(
        "repeated, squared",
        vec![inputs::normal(rng, &[2, 4])],
        |v| {
            let y = v[0].index_select(1, &[3, 0, 3]);
            y.mul(&y)
        },
    ));
    cases
}
