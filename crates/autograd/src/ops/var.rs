//! var: y = Σ (x − x̄)² / (n − correction) over chosen axes, x̄ the mean over those axes
//! and n the number of reduced elements (like `torch.var(x, dims, correction=c)`;
//! correction 1 is the unbiased estimate and PyTorch's default, 0 the population variance).
//!
//! dy/dxᵢ = 2(xᵢ − x̄)/(n − correction): the terms through x̄ cancel because Σ(x − x̄) = 0.
//! The rule is written with Var ops (x̄ recomputed from the saved input), so the second
//! derivative, 2(δᵢⱼ − 1/n)/(n − correction), comes out of double backward. When
//! n ≤ correction the result is Inf/NaN, as in PyTorch. Saves the input.

use backprop_tensor::{Float, Rng, reduced_shape};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The variance over `axes` with `correction` subtracted from the element count in the
    /// denominator (1: unbiased, PyTorch's default; 0: population); with `keepdim` the
    /// reduced axes stay with extent 1.
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 6.0], &[4]).unwrap());
    /// let y = x.var_axes(&[0], 1, false); // mean 3, squared deviations 4+1+0+9 = 14
    /// assert!((y.item() - 14.0 / 3.0).abs() < 1e-12);
    /// y.backward(); // 2(x - 3)/3
    /// assert!(x.grad().unwrap().allclose(
    ///     &Tensor::from_vec(vec![-4.0 / 3.0, -2.0 / 3.0, 0.0, 2.0], &[4]).unwrap(),
    ///     1e-12,
    ///     1e-12,
    /// ));
    /// ```
    #[track_caller]
    pub fn var_axes(&self, axes: &[usize], correction: usize, keepdim: bool) -> Var<T> {
        let y = self.data().var(axes, correction, keepdim);
        let shape = self.shape();
        let kept = reduced_shape(&shape, axes, true);
        let n = shape.iter().product::<usize>() / kept.iter().product::<usize>().max(1);
        let two = T::one() + T::one();
        Var::from_unary_op(
            "var",
            y,
            self,
            VarBackward {
                axes: axes.to_vec(),
                kept,
                scale: two / T::from_usize(n.saturating_sub(correction)),
            },
        )
    }
}

struct VarBackward<T> {
    axes: Vec<usize>,
    kept: Vec<usize>,
    /// 2 / (n − correction).
    scale: T,
}

impl<T: Float> Backward<T> for VarBackward<T> {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let x = ctx.input(0);
        let deviation = x.sub(&x.mean_axes(&self.axes, true));
        let g = g.reshape(&self.kept).mul_scalar(self.scale);
        vec![Some(g.mul(&deviation))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 3, 4).into_iter().map(|d| d + 1).collect::<Vec<_>>();
    let s2 = inputs::shape(rng, 2, 5);
    let c = s.clone();
    vec![
        GradCase::new("all, unbiased", vec![inputs::normal(rng, &s)], move |v| {
            let axes: Vec<usize> = (0..c.len()).collect();
            v[0].var_axes(&axes, 1, false)
        }),
        GradCase::new("axis 1, unbiased", vec![inputs::normal(rng, &s)], |v| {
            v[0].var_axes(&[1], 1, false)
        }),
        GradCase::new(
            "axes 0,2 population keepdim",
            vec![inputs::normal(rng, &s)],
            |v| v[0].var_axes(&[0, 2], 0, true),
        ),
        GradCase::new("axis 0 of 2-d, population", vec![inputs::normal(rng, &s2)], |v| {
            v[0].var_axes(&[0], 0, false)
        }),
    ]
}
