//! index_add: y = zeros(shape) with slice k of `src` added at `indices[k]` along `axis`
//! (the adjoint of index_select).
//!
//! y[.., i, ..] = Σ_{k: indices[k] = i} src[.., k, ..], linear in src, so
//! dsrc[.., k, ..] = dy[.., indices[k], ..]: dsrc = dy.index_select(axis, indices).
//! Saves the indices.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// A zero value of `shape` into which slice k of `src` along `axis` is added at
    /// `indices[k]` (repeated indices accumulate): `torch.zeros(shape).index_add(axis,
    /// indices, src)`. `src` has `shape` with `shape[axis]` replaced by `indices.len()`.
    ///
    /// # Panics
    ///
    /// If the axis or an index is out of range, or `src` has the wrong shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let src = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap());
    /// let y = Var::index_add(&[2], 0, &[1, 0, 1], &src);
    /// assert_eq!(y.value().to_vec(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn index_add(shape: &[usize], axis: usize, indices: &[usize], src: &Var<T>) -> Var<T> {
        let y = Tensor::index_add(shape, axis, indices, &src.data());
        Var::from_op(
            "index_add",
            y,
            vec![src.clone()],
            IndexAddBackward {
                axis,
                indices: indices.to_vec(),
            },
        )
    }
}

struct IndexAddBackward {
    axis: usize,
    indices: Vec<usize>,
}

impl<T: Float> Backward<T> for IndexAddBackward {
    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.index_select(self.axis, &self.indices))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases: Vec<GradCase> = (1..4)
        .map(|ndim| {
            let mut shape = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim);
            // At least two entries along the axis, so the index can pick different ones.
            shape[axis] += 1;
            let count = 1 + rng.below(5);
            let indices: Vec<usize> = (0..count).map(|_| rng.below(shape[axis])).collect();
            let mut src = shape.clone();
            src[axis] = count;
            GradCase::new(
                format!("axis {axis} indices {indices:?}"),
                vec![inputs::normal(rng, &src)],
                move |v| Var::index_add(&shape, axis, &indices, &v[0]),
            )
        })
        .collect();
    cases.push(GradCase::new(
        "repeated indices, squared",
        vec![inputs::normal(rng, &[4, 2])],
        |v| {
            let y = Var::index_add(&[3, 2], 0, &[2, 0, 2, 2], &v[0]);
            y.mul(&y)
        },
    ));
    cases
}
