//! scatter_add: y = zeros(shape) with src[i][j] added at y[index[i][j]][j] for axis 0, and
//! likewise along any axis (the adjoint of gather; `torch.zeros(shape).scatter_add(axis,
//! index, src)`).
//!
//! y is linear in src and each src element lands in exactly one place, so
//! dsrc = dy.gather(axis, index). Saves the index.

use backprop_tensor::{Float, Rng, Tensor};

use super::gather::random_index;
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// A zero value of `shape` into which `src` (shaped like `index`) is added at the
    /// positions `index` names along `axis`; repeated positions accumulate.
    ///
    /// # Panics
    ///
    /// If the axis or an index is out of range, or the shapes do not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let src = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap());
    /// let index = Tensor::from_vec(vec![1usize, 1, 0], &[3]).unwrap();
    /// let y = Var::scatter_add(&[2], 0, &index, &src);
    /// assert_eq!(y.value().to_vec(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn scatter_add(
        shape: &[usize],
        axis: usize,
        index: &Tensor<usize>,
        src: &Var<T>,
    ) -> Var<T> {
        let y = Tensor::scatter_add(shape, axis, index, &src.data());
        Var::from_op(
            "scatter_add",
            y,
            vec![src.clone()],
            ScatterAddBackward {
                axis,
                index: index.clone(),
            },
        )
    }
}

struct ScatterAddBackward {
    axis: usize,
    index: Tensor<usize>,
}

impl<T: Float> Backward<T> for ScatterAddBackward {
    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.gather(self.axis, &self.index))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases: Vec<GradCase> = (1..4)
        .map(|ndim| {
            let mut shape = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim);
            // At least two entries along the axis, so the index can pick different ones.
            shape[axis] += 1;
            let count = 1 + rng.below(4);
            let index = random_index(rng, &shape, axis, count);
            let src = index.shape().to_vec();
            GradCase::new(
                format!("axis {axis}, index {src:?}"),
                vec![inputs::normal(rng, &src)],
                move |v| Var::scatter_add(&shape, axis, &index, &v[0]),
            )
        })
        .collect();
    let repeated = Tensor::from_vec(vec![0usize, 0, 0, 2, 1, 2], &[3, 2]).expect("6 values");
    cases.push(GradCase::new(
        "repeated indices, squared",
        vec![inputs::normal(rng, &[3, 2])],
        move |v| {
            let y = Var::scatter_add(&[3, 2], 0, &repeated, &v[0]);
            y.mul(&y)
        },
    ));
    cases
}
