//! mean: y = (1/n) Σ x over chosen axes (or all elements), n = number of summed elements.
//!
//! dy/dx = 1/n for every element: the upstream gradient is reshaped to keep the reduced
//! axes, broadcast back and scaled by 1/n. Saves only the input's shape.

use backprop_tensor::{Float, Rng, reduced_shape, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The mean of all elements, as a 0-d value.
    #[track_caller]
    pub fn mean(&self) -> Var<T> {
        let (y, n) = {
            let x = self.data();
            // A vector (a batch of losses) needs no list of axes.
            let y = if x.ndim() == 1 {
                x.mean(&[0], false)
            } else {
                let axes: Vec<usize> = (0..x.ndim()).collect();
                x.mean(&axes, false)
            };
            (y, x.numel())
        };
        let backward = MeanBackward {
            kept: None,
            scale: T::one() / T::from_usize(n),
        };
        Var::from_unary_op("mean", y, self, backward)
    }

    /// Means over `axes`; with `keepdim` the reduced axes stay with extent 1.
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    #[track_caller]
    pub fn mean_axes(&self, axes: &[usize], keepdim: bool) -> Var<T> {
        let y = self.data().mean(axes, keepdim);
        let shape = self.shape();
        let kept = reduced_shape(&shape, axes, true);
        let n = shape.iter().product::<usize>() / kept.iter().product::<usize>().max(1);
        Var::from_unary_op(
            "mean",
            y,
            self,
            MeanBackward {
                kept: Some(kept),
                scale: T::one() / T::from_usize(n),
            },
        )
    }
}

struct MeanBackward<T> {
    /// The input's shape with the reduced axes as extent 1; `None` when every axis is
    /// reduced (all ones then).
    kept: Option<Vec<usize>>,
    scale: T,
}

impl<T> MeanBackward<T> {
    /// The input's shape with the reduced axes as extent 1.
    fn kept(&self, input_ndim: usize) -> Vec<usize> {
        self.kept.clone().unwrap_or_else(|| vec![1; input_ndim])
    }
}

impl<T: Float> Backward<T> for MeanBackward<T> {
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        mut g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        let s = self.scale;
        let x = ctx.input(0).data();
        if g.numel() == 1 {
            // A mean of everything: one value, written straight into a row-major gradient
            // (the next backward rule then reads a slice, not a broadcast view).
            let dy = match g.as_slice() {
                Some(&[v]) => v,
                _ => g.item(),
            };
            out.push(Some(Tensor::full(x.shape(), dy * s)));
            return;
        }
        g.map_(|g| g * s);
        out.push(Some(g.reshape(&self.kept(x.ndim())).broadcast_to(x.shape())));
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let shape = ctx.input_shape(0);
        let g = g.mul_scalar(self.scale).reshape(&self.kept(shape.len()));
        vec![Some(g.broadcast_to(&shape))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 3, 4);
    vec![
        GradCase::new("all", vec![inputs::normal(rng, &s)], |v| v[0].mean()),
        GradCase::new("axis 2", vec![inputs::normal(rng, &s)], |v| {
            v[0].mean_axes(&[2], false)
        }),
        GradCase::new("axes 0,1 keepdim", vec![inputs::normal(rng, &s)], |v| {
            v[0].mean_axes(&[0, 1], true)
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Rng, Tensor};

    use crate::Var;

    #[test]
    fn mean_matches_mean_over_every_axis_bitwise() {
        let mut rng = Rng::seed_from_u64(7);
        for shape in [vec![], vec![0], vec![1], vec![120], vec![7, 3], vec![2, 3, 4]] {
            let x = Tensor::<f32>::randn(&shape, &mut rng).map(|v| v * v * v);
            let axes: Vec<usize> = (0..shape.len()).collect();
            let (a, b) = (Var::parameter(x.clone()), Var::parameter(x));
            let (ya, yb) = (a.mean(), b.mean_axes(&axes, false));
            assert_eq!(ya.shape(), yb.shape());
            let bits = |t: Tensor<f32>| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(ya.value()), bits(yb.value()), "{shape:?}");
            ya.backward_with(Tensor::full(&[], 0.3));
            yb.backward_with(Tensor::full(&[], 0.3));
            assert_eq!(bits(a.grad().unwrap()), bits(b.grad().unwrap()), "{shape:?}");
        }
    }

    #[test]
    fn gradient_of_a_one_value_mean_is_filled_with_dy_over_n() {
        let mut rng = Rng::seed_from_u64(6);
        for (shape, axes) in [
            (vec![120], vec![0]),
            (vec![3, 7], vec![0, 1]),
            (vec![1, 5], vec![1]),
            (vec![2, 3, 4], vec![0, 1, 2]),
        ] {
            let x = Var::parameter(Tensor::<f32>::randn(&shape, &mut rng));
            let dy = -0.37f32;
            let y = x.mean_axes(&axes, false);
            y.backward_with(Tensor::full(&y.shape(), dy));
            let g = x.grad().unwrap();
            assert_eq!(g.shape(), shape.as_slice());
            assert!(g.as_slice().is_some(), "row-major gradient");
            let n = shape.iter().product::<usize>() as f32;
            let want = dy * (1.0 / n);
            assert!(g.to_vec().iter().all(|v| v.to_bits() == want.to_bits()), "{shape:?}");
        }
    }
}
