//! relu: y = max(x, 0).
//!
//! dy/dx = 1 for x > 0, 0 for x < 0; at the kink x = 0 the derivative is taken as 0
//! (PyTorch's choice). NaN propagates (relu(NaN) = NaN) and, like PyTorch's
//! `threshold_backward` (zero only where y ≤ 0), passes its gradient through. The mask is
//! a constant, so the second derivative is 0 almost everywhere. Saves the output
//! (x > 0 ⇔ y > 0).

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `max(self, 0)`.
    #[track_caller]
    pub fn relu(&self) -> Var<T> {
        let y = self.data().relu();
        Var::from_unary_op("relu", y, self, ReluBackward)
    }
}

struct ReluBackward;

impl<T: Float> Backward<T> for ReluBackward {
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        mut g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        // The mask is applied in g's own buffer.
        let y = ctx.output().data();
        g.zip_with_(&y, "relu backward", |g, y| if y <= T::zero() { T::zero() } else { g });
        out.push(Some(g));
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let mask: Tensor<T> = ctx.output().data().map(|y| {
            if y <= T::zero() {
                T::zero()
            } else {
                T::one()
            }
        });
        vec![Some(g.mul(&Var::new(mask)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 5);
    vec![GradCase::new(
        "away from 0",
        vec![inputs::away_from_zero(rng, &s)],
        |v| v[0].relu(),
    )]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    /// NaN of both signs, ±0, ±∞ and ordinary values of both signs, varied by `seed`.
    fn awkward(n: usize, seed: usize) -> Vec<f32> {
        let special = [f32::NAN, -f32::NAN, 0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY];
        (0..n)
            .map(|i| match (i * 7 + seed) % 11 {
                k if k < special.len() => special[k],
                _ => ((i + seed) as f32 * 0.77).sin() * 3.0,
            })
            .collect()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn forward_and_backward_match_scalar_loops_bitwise() {
        // Past several vector widths, so that the vector bodies and scalar tails both run.
        for n in 1..70 {
            let (x, g) = (awkward(n, 1), awkward(n, 4));
            let xv = Var::parameter(Tensor::from_vec(x.clone(), &[n]).unwrap());
            let y = xv.relu();
            // NaN stays NaN, as torch.relu.
            let want_y: Vec<f32> = x.iter().map(|&v| if v <= 0.0 { 0.0 } else { v }).collect();
            assert_eq!(bits(&y.value().to_vec()), bits(&want_y), "relu of {n}");
            y.backward_with(Tensor::from_vec(g.clone(), &[n]).unwrap());
            let want_dx: Vec<f32> = g
                .iter()
                .zip(&want_y)
                .map(|(&g, &y)| if y <= 0.0 { 0.0 } else { g })
                .collect();
            let dx = xv.grad().unwrap().to_vec();
            assert_eq!(bits(&dx), bits(&want_dx), "relu backward of {n}");
        }
    }

    /// PyTorch: `torch.relu(torch.tensor([nan, -1.0, 2.0]))` is `[nan, 0, 2]` and its
    /// backward passes the gradient at NaN (`threshold_backward` zeroes only y <= 0).
    #[test]
    fn nan_propagates_with_its_gradient() {
        let x = Var::parameter(Tensor::from_vec(vec![f64::NAN, -1.0, 2.0], &[3]).unwrap());
        let y = x.relu();
        let v = y.value().to_vec();
        assert!(v[0].is_nan());
        assert_eq!(&v[1..], [0.0, 2.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 1.0]);
        // The recorded backward (create_graph) agrees.
        let x = Var::parameter(Tensor::from_vec(vec![f64::NAN, -1.0, 2.0], &[3]).unwrap());
        let y = x.relu().sum();
        let g = crate::grad(
            &[y],
            std::slice::from_ref(&x),
            &[],
            crate::BackwardOptions {
                create_graph: true,
                ..Default::default()
            },
        );
        assert_eq!(g[0].as_ref().unwrap().value().to_vec(), vec![1.0, 0.0, 1.0]);
    }
}
