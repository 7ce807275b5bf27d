//! concat: y = [x₀, x₁, …] joined along an existing axis (like `torch.cat`).
//!
//! Input i occupies `offset_i..offset_i + n_i` along `axis` of y, so dxᵢ = dy narrowed to
//! that range. Saves the offsets and extents.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Joins values along an existing axis; their shapes must agree on every other axis.
    ///
    /// # Panics
    ///
    /// If `vars` is empty, the axis is out of range, or the shapes differ outside `axis`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let a = Var::<f32>::parameter(Tensor::zeros(&[2, 3]));
    /// let b = Var::<f32>::parameter(Tensor::ones(&[1, 3]));
    /// assert_eq!(Var::concat(&[&a, &b], 0).shape(), vec![3, 3]);
    /// ```
    #[track_caller]
    pub fn concat(vars: &[&Var<T>], axis: usize) -> Var<T> {
        let y = {
            let guards: Vec<_> = vars.iter().map(|v| v.data()).collect();
            let tensors: Vec<&Tensor<T>> = guards.iter().map(|g| &**g).collect();
            Tensor::concat(&tensors, axis)
        };
        let mut offsets = Vec::with_capacity(vars.len());
        let mut offset = 0;
        for v in vars {
            offsets.push(offset);
            offset += v.shape()[axis];
        }
        let inputs: Vec<Var<T>> = vars.iter().map(|&v| v.clone()).collect();
        Var::from_op("concat", y, inputs, ConcatBackward { axis, offsets })
    }
}

struct ConcatBackward {
    axis: usize,
    offsets: Vec<usize>,
}

impl<T: Float> Backward<T> for ConcatBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        self.offsets
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                ctx.needs_grad(i)
                    .then(|| g.narrow(self.axis, start, ctx.input_shape(i)[self.axis]))
            })
            .collect()
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases: Vec<GradCase> = (1..4)
        .map(|ndim| {
            let s = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim);
            let count = 2 + rng.below(2);
            let xs = (0..count)
                .map(|_| {
                    let mut si = s.clone();
                    si[axis] = 1 + rng.below(3);
                    inputs::normal(rng, &si)
                })
                .collect();
            GradCase::new(format!("{count} inputs, axis {axis}"), xs, move |v| {
                let refs: Vec<&Var<f64>> = v.iter().collect();
                Var::concat(&refs, axis)
            })
        })
        .collect();
    cases.push(GradCase::new(
        "same input twice",
        vec![inputs::normal(rng, &[2, 3])],
        |v| Var::concat(&[&v[0], &v[0].exp()], 1),
    ));
    cases
}
