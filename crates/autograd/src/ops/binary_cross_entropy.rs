//! binary_cross_entropy: ℓ = -(y·max(ln x, -100) + (1 - y)·max(ln(1 - x), -100))
//! elementwise, for probabilities x in [0, 1] and targets y (PyTorch's
//! `binary_cross_entropy` with `reduction='none'`; the logs are clamped at -100 so x = 0 or
//! 1 gives a finite loss).
//!
//! Derivatives, PyTorch's rules (which are not those of the clamped formula at the edges):
//!   dℓ/dx = (x - y) / max(x(1 - x), 1e-12)   (finite at x = 0 and 1)
//!   dℓ/dy = ln(1 - x) - ln x                 (not clamped: ±∞ at x = 0 and 1).
//! Inside (0, 1), away from the clamps, both are the true derivatives. The backward is
//! written with Var ops, so second derivatives follow from it. Saves both inputs.

use backprop_tensor::{Float, Rng, Tensor};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

/// PyTorch's floor for the log terms.
const LOG_FLOOR: f64 = -100.0;
/// PyTorch's floor for x(1 - x) in the input gradient.
const EPSILON: f64 = 1e-12;

impl<T: Float> Var<T> {
    /// Binary cross-entropy of probabilities `self` against targets `target` (same
    /// shape), one loss per element, with the logs clamped at -100 as PyTorch's
    /// `binary_cross_entropy(..., reduction='none')`. Gradients flow to both.
    ///
    /// # Panics
    ///
    /// If the shapes differ or an input is outside `[0, 1]` (NaN included), as PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![0.25f64, 0.0], &[2]).unwrap());
    /// let y = Var::new(Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap());
    /// let loss = x.binary_cross_entropy(&y);
    /// assert_eq!(loss.value().to_vec(), vec![-(0.25f64.ln()), 100.0]); // ln 0 clamped
    /// loss.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-4.0, -1e12]);
    /// ```
    #[track_caller]
    pub fn binary_cross_entropy(&self, target: &Var<T>) -> Var<T> {
        let (x, y) = (self.data(), target.data());
        assert!(
            x.shape() == y.shape(),
            "binary_cross_entropy: input of shape {:?} and target of shape {:?} differ",
            x.shape(),
            y.shape()
        );
        let (zero, one) = (T::zero(), T::one());
        assert!(
            x.to_vec().iter().all(|&v| v >= zero && v <= one),
            "binary_cross_entropy: all elements of input should be between 0 and 1"
        );
        let floor = T::from_f64(LOG_FLOOR);
        let loss = x.zip_with(&y, "binary_cross_entropy", |x, y| {
            -(y * x.ln().max(floor) + (one - y) * (one - x).ln().max(floor))
        });
        drop((x, y));
        Var::from_op(
            "binary_cross_entropy",
            loss,
            vec![self.clone(), target.clone()],
            BinaryCrossEntropyBackward,
        )
    }
}

struct BinaryCrossEntropyBackward;

impl<T: Float> Backward<T> for BinaryCrossEntropyBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let (x, y) = (ctx.input(0), ctx.input(1));
        let dx = ctx.needs_grad(0).then(|| {
            let one_minus_x = x.neg().add_scalar(T::one());
            let denom = x.mul(&one_minus_x).clamp(Some(T::from_f64(EPSILON)), None);
            g.mul(&x.sub(y)).div(&denom)
        });
        let dy = ctx.needs_grad(1).then(|| {
            let log_1mx = x.neg().add_scalar(T::one()).log();
            g.mul(&log_1mx.sub(&x.log()))
        });
        vec![dx, dy]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    let probs = |rng: &mut Rng, s: &[usize]| Tensor::uniform(s, 0.05, 0.95, rng);
    vec![
        GradCase::new(
            "2-d, soft targets",
            vec![probs(rng, &s2), probs(rng, &s2)],
            |v| v[0].binary_cross_entropy(&v[1]),
        ),
        GradCase::new(
            "3-d, soft targets",
            vec![probs(rng, &s3), probs(rng, &s3)],
            |v| v[0].binary_cross_entropy(&v[1]),
        ),
        GradCase::new("probabilities from a sigmoid", vec![inputs::normal(rng, &s2), probs(rng, &s2)], |v| {
            v[0].sigmoid().binary_cross_entropy(&v[1])
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    /// The clamped edges, against PyTorch 2.15's `F.binary_cross_entropy(x, y,
    /// reduction='none')` and its backward (`(x - y) / max(x(1 - x), 1e-12)` for x,
    /// `ln(1 - x) - ln x`, unclamped, for y).
    #[test]
    fn edges_are_clamped_like_pytorch() {
        let x = Var::parameter(Tensor::from_vec(vec![0.0f64, 1.0, 0.0, 1.0, 1e-50], &[5]).unwrap());
        let y = Var::parameter(Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 1.0, 1.0], &[5]).unwrap());
        let loss = x.binary_cross_entropy(&y);
        assert_eq!(loss.value().to_vec(), vec![100.0, 100.0, 0.0, 0.0, 100.0]);
        loss.sum().backward();
        assert_eq!(
            x.grad().unwrap().to_vec(),
            vec![-1e12, 1e12, 0.0, 0.0, (1e-50 - 1.0) / 1e-12]
        );
        let gy = y.grad().unwrap().to_vec();
        let inf = f64::INFINITY;
        assert_eq!(&gy[..4], [inf, -inf, inf, -inf]);
        assert_eq!(gy[4], -(1e-50f64.ln())); // 115.1..., past the forward's clamp
    }

    #[test]
    #[should_panic(expected = "binary_cross_entropy: all elements of input should be between 0 and 1")]
    fn inputs_outside_the_unit_interval_panic() {
        let x = Var::new(Tensor::from_vec(vec![0.5f64, 1.5], &[2]).unwrap());
        let _ = x.binary_cross_entropy(&Var::new(Tensor::zeros(&[2])));
    }
}
