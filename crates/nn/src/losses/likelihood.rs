//! Negative log-likelihoods of targets under a predicted distribution:
//! [`PoissonNLLLoss`] (a predicted rate) and [`GaussianNLLLoss`] (a predicted mean and
//! variance).

use std::f64::consts::PI;

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::{Reduction, check_same_shape, reduce};

/// Panics unless `eps` is non-negative and finite.
#[track_caller]
fn check_eps(loss: &str, eps: f64) {
    assert!(
        eps >= 0.0 && eps.is_finite(),
        "{loss}: eps must be non-negative and finite, got {eps}"
    );
}

/// Poisson negative log-likelihood of a target t under a predicted rate λ (PyTorch's
/// `nn.PoissonNLLLoss`, defaults `log_input = true`, `full = false`, `eps = 1e-8`):
///
/// - `log_input` (the input x is ln λ): loss = eˣ - t·x;
/// - otherwise (the input x is λ): loss = x - t·ln(x + eps);
///
/// dropping the constant ln(t!). With `full`, Stirling's approximation of it,
/// t·ln t - t + ½·ln(2πt), is added where t > 1 (0 elsewhere).
///
/// Both the input and the target get gradients. Where PyTorch's target gradient is NaN
/// (`full` with t = 0, from 0·ln 0 in the masked-out Stirling term) it is 0 here: the
/// Stirling term is evaluated only on targets above 1.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::PoissonNLLLoss;
/// use backprop_tensor::Tensor;
/// let log_rate = Var::new(Tensor::from_vec(vec![0.0f64, 2f64.ln()], &[2]).unwrap());
/// let counts = Var::new(Tensor::from_vec(vec![1.0f64, 3.0], &[2]).unwrap());
/// let loss = PoissonNLLLoss::new().forward(&log_rate, &counts);
/// let want = ((1.0 - 0.0) + (2.0 - 3.0 * 2f64.ln())) / 2.0;
/// assert!((loss.item() - want).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PoissonNLLLoss {
    log_input: bool,
    full: bool,
    eps: f64,
    reduction: Reduction,
}

impl Default for PoissonNLLLoss {
    fn default() -> Self {
        PoissonNLLLoss {
            log_input: true,
            full: false,
            eps: 1e-8,
            reduction: Reduction::Mean,
        }
    }
}

impl PoissonNLLLoss {
    /// The loss on log-rates, without the Stirling term, eps 1e-8, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the input is the log of the rate (`true`) or the rate itself.
    pub fn log_input(mut self, log_input: bool) -> Self {
        self.log_input = log_input;
        self
    }

    /// Whether to add Stirling's approximation of ln(t!) for targets above 1.
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// The constant added to a rate before its log (used only when `log_input` is false).
    ///
    /// # Panics
    ///
    /// If `eps` is negative or not finite.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Self {
        check_eps("PoissonNLLLoss", eps);
        self.eps = eps;
        self
    }

    /// How the per-element losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of `input` (log-rates, or rates) against counts `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Var<T>) -> Var<T> {
        check_same_shape("PoissonNLLLoss", input, target);
        let mut loss = if self.log_input {
            input.exp().sub(&target.mul(input))
        } else {
            input.sub(&target.mul(&input.add_scalar(T::from_f64(self.eps)).log()))
        };
        if self.full {
            // t·ln t - t + ½·ln(2πt) on targets above 1. The others are replaced by 2
            // before the logs and masked out after, so no 0·ln 0 reaches the gradient.
            let above_one = target.data().gt(&Tensor::scalar(T::one()));
            let two = Var::new(Tensor::scalar(T::from_f64(2.0)));
            let t = Var::where_cond(&above_one, target, &two);
            let stirling = t.mul(&t.log()).sub(&t).add(
                &t.mul_scalar(T::from_f64(2.0 * PI))
                    .log()
                    .mul_scalar(T::from_f64(0.5)),
            );
            let zero = Var::new(Tensor::scalar(T::zero()));
            loss = loss.add(&Var::where_cond(&above_one, &stirling, &zero));
        }
        reduce(loss, self.reduction)
    }
}

/// Gaussian negative log-likelihood of a target y under a predicted mean μ (the input) and
/// variance σ² (PyTorch's `nn.GaussianNLLLoss`, defaults `full = false`, `eps = 1e-6`):
///
/// loss = ½·(ln max(σ², eps) + (μ - y)² / max(σ², eps)), plus ½·ln 2π with `full`.
///
/// As in PyTorch the variance is clamped at eps for the value only: the gradient with
/// respect to σ² is the unclamped formula's, evaluated at the clamped variance (PyTorch
/// clamps a copy under `no_grad`), so a variance driven below eps is still pushed back up.
///
/// The variance may have the input's shape (one per element), the input's shape without
/// its last axis, or the input's shape with exactly one axis of extent 1 (shared along it).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::GaussianNLLLoss;
/// use backprop_tensor::Tensor;
/// let mean = Var::new(Tensor::from_vec(vec![0.0f64, 1.0, 2.0, 3.0], &[2, 2]).unwrap());
/// let target = Var::new(Tensor::from_vec(vec![1.0f64, 1.0, 2.0, 5.0], &[2, 2]).unwrap());
/// let var = Var::new(Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap()); // one per row
/// let loss = GaussianNLLLoss::new().forward(&mean, &target, &var);
/// let want = (0.5 * 1.0 + 0.0 + 0.5 * 2f64.ln() + 0.5 * (2f64.ln() + 4.0 / 2.0)) / 4.0;
/// assert!((loss.item() - want).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GaussianNLLLoss {
    full: bool,
    eps: f64,
    reduction: Reduction,
}

impl Default for GaussianNLLLoss {
    fn default() -> Self {
        GaussianNLLLoss {
            full: false,
            eps: 1e-6,
            reduction: Reduction::Mean,
        }
    }
}

impl GaussianNLLLoss {
    /// The loss without the constant, eps 1e-6 and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to add the constant ½·ln 2π.
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// The smallest variance used in the value.
    ///
    /// # Panics
    ///
    /// If `eps` is negative or not finite.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Self {
        check_eps("GaussianNLLLoss", eps);
        self.eps = eps;
        self
    }

    /// How the per-element losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of means `input` against `target` (same shape) with variances `var`
    /// (shaped as described on [`GaussianNLLLoss`]). [`Reduction::None`] returns the
    /// input's shape.
    ///
    /// # Panics
    ///
    /// If the input and target shapes differ, `var` does not have one of the shapes
    /// above, or a variance is negative (PyTorch's `ValueError`).
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Var<T>, var: &Var<T>) -> Var<T> {
        check_same_shape("GaussianNLLLoss", input, target);
        let shape = input.shape();
        let var_shape = var.shape();
        let var = if var_shape == shape {
            var.clone()
        } else if !shape.is_empty() && var_shape == shape[..shape.len() - 1] {
            var.unsqueeze(var_shape.len())
        } else if var_shape.len() == shape.len()
            && shape.iter().zip(&var_shape).filter(|(a, b)| a != b).count() == 1
            && shape
                .iter()
                .zip(&var_shape)
                .all(|(&a, &b)| a == b || b == 1)
        {
            var.clone()
        } else {
            panic!(
                "GaussianNLLLoss: var of shape {var_shape:?} does not fit input of shape {shape:?} \
                 (it must be the same, lack the last axis, or have one axis of extent 1)"
            );
        };
        let clamped = {
            let v = var.data();
            assert!(
                !v.lt(&Tensor::scalar(T::zero())).to_vec().contains(&true),
                "GaussianNLLLoss: var has negative entries"
            );
            v.map(|x| x.max(T::from_f64(self.eps)))
        };
        // The value max(σ², eps) with the gradient of σ² itself: (σ² - σ²) is exactly 0
        // and carries dσ² through, the constant carries the clamped value.
        let var = var.sub(&var.detach()).add(&Var::new(clamped));
        let d = input.sub(target);
        let mut loss = var
            .log()
            .add(&d.mul(&d).div(&var))
            .mul_scalar(T::from_f64(0.5));
        if self.full {
            loss = loss.add_scalar(T::from_f64(0.5 * (2.0 * PI).ln()));
        }
        reduce(loss, self.reduction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(shape: &[usize]) -> Var<f64> {
        Var::new(Tensor::ones(shape))
    }

    #[test]
    #[should_panic(
        expected = "PoissonNLLLoss: input of shape [2, 3] and target of shape [3, 2] differ"
    )]
    fn poisson_names_the_shapes() {
        PoissonNLLLoss::new().forward(&x(&[2, 3]), &x(&[3, 2]));
    }

    #[test]
    #[should_panic(expected = "PoissonNLLLoss: eps must be non-negative and finite, got -1")]
    fn poisson_refuses_a_negative_eps() {
        let _ = PoissonNLLLoss::new().eps(-1.0);
    }

    #[test]
    #[should_panic(
        expected = "GaussianNLLLoss: input of shape [2, 3] and target of shape [2] differ"
    )]
    fn gaussian_names_the_target_shape() {
        GaussianNLLLoss::new().forward(&x(&[2, 3]), &x(&[2]), &x(&[2, 3]));
    }

    #[test]
    #[should_panic(
        expected = "GaussianNLLLoss: var of shape [3] does not fit input of shape [2, 3]"
    )]
    fn gaussian_names_the_var_shape() {
        GaussianNLLLoss::new().forward(&x(&[2, 3]), &x(&[2, 3]), &x(&[3]));
    }

    #[test]
    #[should_panic(
        expected = "GaussianNLLLoss: var of shape [1, 1] does not fit input of shape [2, 3]"
    )]
    fn gaussian_refuses_two_shared_axes() {
        GaussianNLLLoss::new().forward(&x(&[2, 3]), &x(&[2, 3]), &x(&[1, 1]));
    }

    #[test]
    #[should_panic(expected = "GaussianNLLLoss: var has negative entries")]
    fn gaussian_refuses_a_negative_variance() {
        let var = Var::new(Tensor::from_vec(vec![1.0, -1.0], &[2]).unwrap());
        GaussianNLLLoss::new().forward(&x(&[2]), &x(&[2]), &var);
    }

    #[test]
    #[should_panic(expected = "GaussianNLLLoss: eps must be non-negative and finite, got NaN")]
    fn gaussian_refuses_a_nan_eps() {
        let _ = GaussianNLLLoss::new().eps(f64::NAN);
    }

    #[test]
    fn gaussian_clamps_the_value_but_not_the_gradient() {
        let var = Var::parameter(Tensor::from_vec(vec![0.0f64, 0.5], &[2]).unwrap());
        let loss = GaussianNLLLoss::new()
            .eps(0.25)
            .reduction(Reduction::Sum)
            .forward(&x(&[2]), &Var::new(Tensor::zeros(&[2])), &var);
        let want = 0.5 * (0.25f64.ln() + 1.0 / 0.25) + 0.5 * (0.5f64.ln() + 1.0 / 0.5);
        assert!((loss.item() - want).abs() < 1e-15);
        loss.backward();
        // d/dv ½(ln v + d²/v) = ½(1/v - d²/v²) at v = 0.25 and 0.5.
        let g = var.grad().unwrap().to_vec();
        assert_eq!(g, vec![0.5 * (4.0 - 16.0), 0.5 * (2.0 - 4.0)]);
    }

    #[test]
    fn poisson_full_gives_a_finite_target_gradient_at_0() {
        let t = Var::parameter(Tensor::from_vec(vec![0.0f64, 3.0], &[2]).unwrap());
        let loss = PoissonNLLLoss::new().full(true).forward(&x(&[2]), &t);
        loss.backward();
        assert!(t.grad().unwrap().all_finite());
    }
}
