//! leaky_relu: y = x for x > 0, a·x otherwise (a = `negative_slope`).
//!
//! dy/dx = 1 for x > 0 and a for x < 0; at the kink x = 0 the derivative is taken as a
//! (PyTorch computes `x > 0 ? 1 : a`). The slope mask is a constant, so the second
//! derivative is 0 almost everywhere. Saves the input.

use backprop_tensor::{Float, Rng};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Elementwise `x` for `x > 0`, `negative_slope · x` otherwise (PyTorch's default
    /// slope is 0.01). The gradient at 0 is `negative_slope`, as in PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![-2.0f64, 3.0], &[2]).unwrap());
    /// let y = x.leaky_relu(0.1);
    /// assert_eq!(y.value().to_vec(), vec![-0.2, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.1, 1.0]);
    /// ```
    #[track_caller]
    pub fn leaky_relu(&self, negative_slope: T) -> Var<T> {
        let y = self
            .data()
            .map(|x| if x > T::zero() { x } else { x * negative_slope });
        Var::from_unary_op(
            "leaky_relu",
            y,
            self,
            LeakyReluBackward(negative_slope),
        )
    }
}

struct LeakyReluBackward<T>(T);

impl<T: Float> Backward<T> for LeakyReluBackward<T> {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let slope = self.0;
        let local = ctx
            .input(0)
            .data()
            .map(|x| if x > T::zero() { T::one() } else { slope });
        vec![Some(g.mul(&Var::new(local)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let s2 = inputs::shape(rng, 2, 5);
    let s3 = inputs::shape(rng, 3, 3);
    vec![
        GradCase::new("slope 0.01", vec![inputs::away_from_zero(rng, &s2)], |v| {
            v[0].leaky_relu(0.01)
        }),
        GradCase::new("3-d slope 0.2", vec![inputs::away_from_zero(rng, &s3)], |v| {
            v[0].leaky_relu(0.2)
        }),
        GradCase::new(
            "leaky_relu(x)·x",
            vec![inputs::away_from_zero(rng, &s2)],
            |v| v[0].leaky_relu(0.3).mul(&v[0]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Tensor;

    use crate::Var;

    #[test]
    fn gradient_at_zero_is_the_slope() {
        let x = Var::parameter(Tensor::from_vec(vec![0.0f64, -1.0, 1.0], &[3]).unwrap());
        let y = x.leaky_relu(0.25);
        assert_eq!(y.value().to_vec(), vec![0.0, -0.25, 1.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.25, 0.25, 1.0]);
    }
}
