//! powf: y = xᵖ for a constant exponent p.
//!
//! dy/dx = p·xᵖ⁻¹. For non-integer p the domain is x > 0 (the checks use positive x).
//! Saves the input.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `self^p` for a constant exponent `p`.
    #[track_caller]
    pub fn powf(&self, p: T) -> Var<T> {
        let y = self.data().powf(p);
        Var::from_unary_op("powf", y, self, PowfBackward(p))
    }
}

struct PowfBackward<T>(T);

impl<T: Float> Backward<T> for PowfBackward<T> {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let p = self.0;
        let x = ctx.input(0);
        let local = if p == T::one() + T::one() {
            x.mul_scalar(p)
        } else {
            x.powf(p - T::one()).mul_scalar(p)
        };
        vec![Some(g.mul(&local))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s = inputs::shape(rng, 2, 4);
    vec![
        GradCase::new("p = 2", vec![inputs::normal(rng, &s)], |v| v[0].powf(2.0)),
        GradCase::new("p = 3", vec![inputs::normal(rng, &s)], |v| v[0].powf(3.0)),
        GradCase::new("p = -1.5", vec![inputs::positive(rng, &s)], |v| {
            v[0].powf(-1.5)
        }),
        GradCase::new("p = 0.5", vec![inputs::positive(rng, &s)], |v| {
            v[0].powf(0.5)
        }),
    ]
}
