//! permute: y = x with its axes reordered (axis i of y is axis `axes[i]` of x).
//!
//! A re-indexing, so dx = dy permuted by the inverse permutation. Saves the permutation.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Reorders the axes.
    ///
    /// # Panics
    ///
    /// If `axes` is not a permutation of `0..ndim`.
    #[track_caller]
    pub fn permute(&self, axes: &[usize]) -> Var<T> {
        let y = self.data().permute(axes);
        let mut inverse = vec![0; axes.len()];
        for (i, &a) in axes.iter().enumerate() {
            inverse[a] = i;
        }
        Var::from_unary_op("permute", y, self, PermuteBackward { inverse })
    }

    /// Swaps two axes.
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    #[track_caller]
    pub fn transpose(&self, a: usize, b: usize) -> Var<T> {
        let n = self.data().ndim();
        assert!(
            a < n && b < n,
            "transpose: axes ({a}, {b}) out of range for shape {:?}",
            self.shape()
        );
        let mut axes: Vec<usize> = (0..n).collect();
        axes.swap(a, b);
        self.permute(&axes)
    }

    /// The transpose of a 2-D value.
    ///
    /// # Panics
    ///
    /// If the value is not 2-D.
    #[track_caller]
    pub fn t(&self) -> Var<T> {
        assert!(
            self.data().ndim() == 2,
            "t: expected a 2-D value, got shape {:?}",
            self.shape()
        );
        self.permute(&[1, 0])
    }
}

struct PermuteBackward {
    inverse: Vec<usize>,
}

impl<T: Float> Backward<T> for PermuteBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let _ = ctx;
        vec![Some(g.permute(&self.inverse))]
    }

    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.permute(&self.inverse))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    vec![
        GradCase::new("[2,3,4] (2,0,1)", vec![inputs::normal(rng, &[2, 3, 4])], |v| {
            v[0].permute(&[2, 0, 1])
        }),
        GradCase::new("t", vec![inputs::normal(rng, &[3, 2])], |v| v[0].t()),
    ]
}
