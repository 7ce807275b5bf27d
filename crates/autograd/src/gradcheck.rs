//! Finite-difference gradient checking (like PyTorch's `gradcheck` and `gradgradcheck`).
//!
//! Public so that users can check their own ops the way every op in this crate is checked.

use backprop_tensor::{Rng, Tensor};

use crate::Var;
use crate::engine::{BackwardOptions, grad};
use crate::mode::set_grad_enabled;

/// Tolerances of a gradient check. The defaults are PyTorch's `gradcheck` ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradCheckConfig {
    /// Step of the central difference (f(x + eps) - f(x - eps)) / 2eps.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance: an element passes when |analytic - numeric| <= atol + rtol·|numeric|.
    pub rtol: f64,
    /// Seed of the random cotangent that turns a non-scalar output into a scalar.
    pub seed: u64,
}

impl Default for GradCheckConfig {
    fn default() -> Self {
        GradCheckConfig {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            seed: 0x5eed,
        }
    }
}

/// The outcome of a gradient check.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckReport {
    /// Largest |analytic - numeric| over all input elements.
    pub max_abs_err: f64,
    /// Largest |analytic - numeric| / max(|analytic|, |numeric|) over all input elements.
    pub max_rel_err: f64,
    /// Whether every element is within tolerance.
    pub passed: bool,
    /// The first element out of tolerance, described (input, index, both values).
    pub first_failure: Option<String>,
}

/// A function under check: takes the inputs as `Var`s, returns any-shaped output.
pub type CheckFn<'a> = dyn Fn(&[Var<f64>]) -> Var<f64> + 'a;

fn cotangent(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = Rng::seed_from_u64(seed);
    // Values in [0.5, 1.5): away from zero so no part of the output is ignored.
    Tensor::uniform(shape, 0.5, 1.5, &mut rng)
}

fn dot(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    a.mul(b).sum_all().item()
}

/// Compares the gradient of `f` computed by backward with central finite differences, for
/// every element of every input, in f64.
///
/// A non-scalar output `y` is reduced to the scalar ⟨y, v⟩ with a fixed random cotangent `v`,
/// so the check covers the whole vector-Jacobian product.
///
/// # Examples
///
/// ```
/// use backprop_autograd::{gradcheck, GradCheckConfig};
/// use backprop_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]).unwrap();
/// let report = gradcheck(&|v| v[0].sin().mul(&v[0]), &[x], &GradCheckConfig::default());
/// assert!(report.passed, "{report:?}");
/// ```
pub fn gradcheck(
    f: &CheckFn<'_>,
    inputs: &[Tensor<f64>],
    cfg: &GradCheckConfig,
) -> GradCheckReport {
    let _on = set_grad_enabled(true);
    let vars: Vec<Var<f64>> = inputs.iter().map(|t| Var::parameter(t.clone())).collect();
    let y = f(&vars);
    let v = cotangent(&y.shape(), cfg.seed);
    let analytic: Vec<Tensor<f64>> = if y.requires_grad() {
        let g = grad(
            std::slice::from_ref(&y),
            &vars,
            &[Var::new(v.clone())],
            BackwardOptions::default(),
        );
        g.into_iter()
            .zip(inputs)
            .map(|(g, x)| g.map_or_else(|| Tensor::zeros(x.shape()), |g| g.value()))
            .collect()
    } else {
        inputs.iter().map(|x| Tensor::zeros(x.shape())).collect()
    };
    drop(y);

    let eval = |xs: &[Tensor<f64>]| -> f64 {
        let vs: Vec<Var<f64>> = xs.iter().map(|t| Var::new(t.clone())).collect();
        dot(&f(&vs).value(), &v)
    };
    let mut report = GradCheckReport {
        max_abs_err: 0.0,
        max_rel_err: 0.0,
        passed: true,
        first_failure: None,
    };
    let mut xs: Vec<Tensor<f64>> = inputs.iter().map(|t| t.to_contiguous()).collect();
    for i in 0..xs.len() {
        let a = analytic[i].to_vec();
        for (j, &aj) in a.iter().enumerate() {
            let orig = xs[i].as_slice().expect("contiguous")[j];
            xs[i].as_slice_mut().expect("contiguous")[j] = orig + cfg.eps;
            let plus = eval(&xs);
            xs[i].as_slice_mut().expect("contiguous")[j] = orig - cfg.eps;
            let minus = eval(&xs);
            xs[i].as_slice_mut().expect("contiguous")[j] = orig;
            let numeric = (plus - minus) / (2.0 * cfg.eps);
            let abs = (aj - numeric).abs();
            let scale = aj.abs().max(numeric.abs());
            let rel = if scale > 0.0 { abs / scale } else { 0.0 };
            report.max_abs_err = report.max_abs_err.max(abs);
            report.max_rel_err = report.max_rel_err.max(rel);
            let ok = abs <= cfg.atol + cfg.rtol * numeric.abs();
            if !ok || !numeric.is_finite() || !aj.is_finite() {
                if report.passed {
                    report.first_failure = Some(format!(
                        "input {i} element {j}: analytic {} vs numeric {numeric}",
                        aj
                    ));
                }
                report.passed = false;
            }
        }
    }
    report
}

/// Checks second derivatives (like PyTorch's `gradgradcheck`): with random cotangents `v`
/// and `w`, the gradient of ⟨∇ₓ⟨f(x), v⟩, w⟩ computed by double backward is compared with
/// finite differences of the first-order gradient.
///
/// # Examples
///
/// ```
/// use backprop_autograd::{gradgradcheck, GradCheckConfig};
/// use backprop_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]).unwrap();
/// let report = gradgradcheck(&|v| v[0].sin().mul(&v[0]), &[x], &GradCheckConfig::default());
/// assert!(report.passed, "{report:?}");
/// ```
pub fn gradgradcheck(
    f: &CheckFn<'_>,
    inputs: &[Tensor<f64>],
    cfg: &GradCheckConfig,
) -> GradCheckReport {
    let out_shape = {
        let vs: Vec<Var<f64>> = inputs.iter().map(|t| Var::new(t.clone())).collect();
        f(&vs).shape()
    };
    let v = Var::new(cotangent(&out_shape, cfg.seed ^ 0xa5a5));
    let ws: Vec<Tensor<f64>> = inputs
        .iter()
        .enumerate()
        .map(|(i, x)| cotangent(x.shape(), cfg.seed.wrapping_add(i as u64 + 1)))
        .collect();
    let second = move |xs: &[Var<f64>]| -> Var<f64> {
        let _on = set_grad_enabled(true);
        // Under the analytic pass the inputs require grad and the first-order gradient is
        // recorded; under the numeric pass they are plain values, so differentiate copies.
        let recording = xs.iter().any(|x| x.requires_grad());
        let leaves: Vec<Var<f64>> = if recording {
            xs.to_vec()
        } else {
            xs.iter().map(|x| Var::parameter(x.value())).collect()
        };
        let y = f(&leaves);
        let mut total = Var::scalar(0.0);
        if !y.requires_grad() {
            return total;
        }
        let opts = BackwardOptions {
            create_graph: recording,
            retain_graph: false,
        };
        let gs = grad(&[y], &leaves, std::slice::from_ref(&v), opts);
        for (g, w) in gs.into_iter().zip(&ws) {
            if let Some(g) = g {
                total = total.add(&g.mul(&Var::new(w.clone())).sum());
            }
        }
        total
    };
    gradcheck(&second, inputs, cfg)
}
