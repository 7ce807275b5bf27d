//! stack: y = [x₀, x₁, …] joined along a new axis (like `torch.stack`).
//!
//! Input i is the slice i of y along the new axis, so dxᵢ = dy narrowed to `i..i + 1`
//! along that axis and squeezed. Saves only the axis.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Joins values of the same shape along a new axis at position `axis` (`0..=ndim`).
    ///
    /// # Panics
    ///
    /// If `vars` is empty, the shapes differ, or `axis > ndim`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let a = Var::<f32>::parameter(Tensor::zeros(&[2, 3]));
    /// let b = Var::<f32>::parameter(Tensor::ones(&[2, 3]));
    /// assert_eq!(Var::stack(&[&a, &b], 1).shape(), vec![2, 2, 3]);
    /// ```
    #[track_caller]
    pub fn stack(vars: &[&Var<T>], axis: usize) -> Var<T> {
        let y = {
            let guards: Vec<_> = vars.iter().map(|v| v.data()).collect();
            let tensors: Vec<&Tensor<T>> = guards.iter().map(|g| &**g).collect();
            Tensor::stack(&tensors, axis)
        };
        let inputs: Vec<Var<T>> = vars.iter().map(|&v| v.clone()).collect();
        Var::from_op("stack", y, inputs, StackBackward { axis })
    }
}

struct StackBackward {
    axis: usize,
}

impl<T: Float> Backward<T> for StackBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        (0..ctx.inputs().len())
            .map(|i| {
                ctx.needs_grad(i)
                    .then(|| g.narrow(self.axis, i, 1).squeeze(self.axis))
            })
            .collect()
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases: Vec<GradCase> = (0..3)
        .map(|ndim| {
            let s = inputs::shape(rng, ndim, 4);
            let axis = rng.below(ndim + 1);
            let count = 1 + rng.below(3);
            let xs = (0..count).map(|_| inputs::normal(rng, &s)).collect();
            GradCase::new(
                format!("{count} inputs of {ndim}-d, axis {axis}"),
                xs,
                move |v| {
                    let refs: Vec<&Var<f64>> = v.iter().collect();
                    Var::stack(&refs, axis)
                },
            )
        })
        .collect();
    cases.push(GradCase::new(
        "same input twice",
        vec![inputs::normal(rng, &[3])],
        |v| Var::stack(&[&v[0], &v[0].sin()], 0),
    ));
    cases
}
