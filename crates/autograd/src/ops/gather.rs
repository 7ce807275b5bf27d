//! gather: y[i][j] = x[index[i][j]][j] for axis 0, and likewise along any axis (like
//! `torch.gather`).
//!
//! Each output element is one input element, so dx = dy scattered back to the gathered
//! positions (`scatter_add`); an element gathered several times receives the sum of their
//! gradients. Saves the index.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Gathers values along `axis` at `index` (same number of axes as `self`; extents at
    /// most those of `self` on every other axis); the result has `index`'s shape.
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
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
    /// let index = Tensor::from_vec(vec![1usize, 1, 0, 0], &[2, 2]).unwrap();
    /// let y = x.gather(1, &index); // [[2, 2], [3, 3]]
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 2.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn gather(&self, axis: usize, index: &Tensor<usize>) -> Var<T> {
        let y = self.data().gather(axis, index);
        Var::from_unary_op(
            "gather",
            y,
            self,
            GatherBackward {
                axis,
                index: index.clone(),
            },
        )
    }
}

struct GatherBackward {
    axis: usize,
    index: Tensor<usize>,
}

impl<T: Float> Backward<T> for GatherBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(Tensor::scatter_add(
            ctx.input(0).data().shape(),
            self.axis,
            &self.index,
            &g,
        ))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(Var::scatter_add(
            &ctx.input_shape(0),
            self.axis,
            &self.index,
            g,
        ))]
    }
}

/// A random index for gather/scatter_add over `shape` along `axis`: every other extent at
/// most `shape`'s, `count` entries along `axis`, values drawn with repetition.
pub(crate) fn random_index(
    rng: &mut Rng,
    shape: &[usize],
    axis: usize,
    count: usize,
) -> Tensor<usize> {
    let index_shape: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(d, &n)| if d == axis { count } else { 1 + rng.below(n) })
        .collect();
    let n: usize = index_shape.iter().product();
    let values = (0..n).map(|_| rng.below(shape[axis])).collect();
    Tensor::from_vec(values, &index_shape).expect("length is the product of the shape")
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases: Vec<GradCase> = (1..4)
        .map(|ndim| {
            let mut s = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim);
            // At least two entries along the axis, so the index can pick different ones.
            s[axis] += 1;
            let count = 1 + rng.below(4);
            let index = random_index(rng, &s, axis, count);
            GradCase::new(
                format!("axis {axis}, index {:?}", index.shape()),
                vec![inputs::normal(rng, &s)],
                move |v| v[0].gather(axis, &index),
            )
        })
        .collect();
    let repeated = Tensor::from_vec(vec![2usize, 2, 0, 1, 1, 1], &[2, 3]).expect("6 values");
    cases.push(GradCase::new(
        "repeated indices, squared",
        vec![inputs::normal(rng, &[2, 3])],
        move |v| {
            let y = v[0].gather(1, &repeated);
            y.mul(&y)
        },
    ));
    cases
}
