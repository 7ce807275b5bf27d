//! CELU, ReLU6, Softshrink, Hardshrink, Tanhshrink, Threshold, GLU, Softmin, PReLU and
//! RReLU (evaluation mode) against PyTorch: `tests/data/more_activations.json` (PyTorch
//! 2.15, float64, written by `tests/data/gen_more_activations.py`) holds, for several
//! option settings and input shapes, the output of each and the gradient of `Σ wᵢ·f(x)ᵢ`
//! with respect to `x` (and PReLU's `weight`), on inputs away from the kinks. The inputs,
//! weights and slopes are exact in f32. In f64 everything must agree to 1e-13 relative, in
//! f32 to 1e-5.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::collections::BTreeMap;

use backprop_autograd::Var;
use backprop_nn::{
    CELU, GLU, Hardshrink, Module, PReLU, RReLU, ReLU6, Softmin, Softshrink, Tanhshrink, Threshold,
};
use backprop_tensor::{Float, Tensor};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| usize::try_from(x.as_u64().unwrap()).unwrap())
        .collect()
}

fn tensor<T: Float>(values: &Value, shape: &[usize]) -> Tensor<T> {
    let v = floats(values).into_iter().map(T::from_f64).collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// The module a case names, with its options; PReLU's slopes are loaded through the state
/// dict under PyTorch's key `weight`.
fn module<T: Float>(case: &Value) -> Box<dyn Module<T>> {
    let opt = &case["options"];
    let f = |key: &str| opt[key].as_f64().unwrap();
    match case["module"].as_str().unwrap() {
        "CELU" => Box::new(CELU::with_alpha(f("alpha"))),
        "ReLU6" => Box::new(ReLU6::new()),
        "Softshrink" => Box::new(Softshrink::with_lambd(f("lambd"))),
        "Hardshrink" => Box::new(Hardshrink::with_lambd(f("lambd"))),
        "Tanhshrink" => Box::new(Tanhshrink::new()),
        "Threshold" => Box::new(Threshold::new(f("threshold"), f("value"))),
        "RReLU" => {
            let m = RReLU::with_seed(0).with_bounds(f("lower"), f("upper"));
            m.eval();
            Box::new(m)
        }
        "GLU" => Box::new(GLU::with_dim(
            isize::try_from(opt["dim"].as_i64().unwrap()).unwrap(),
        )),
        "Softmin" => Box::new(Softmin::new(
            usize::try_from(opt["dim"].as_u64().unwrap()).unwrap(),
        )),
        "PReLU" => {
            let n = usize::try_from(opt["num_parameters"].as_u64().unwrap()).unwrap();
            let m = PReLU::with_params(n, 0.25);
            let state = BTreeMap::from([(
                "weight".to_string(),
                tensor::<T>(&case["prelu_weight"], &[n]),
            )]);
            m.load_state_dict(&state, true).unwrap();
            Box::new(m)
        }
        other => panic!("no module for {other}"),
    }
}

/// PyTorch's CELU backward scales by `1/α` with `α` rounded to float32
/// (`derivatives.yaml`: `input_scale = 1.0/alpha.toFloat()`), while its forward uses the
/// float64 `1/α`; this crate differentiates its forward exactly. The reference gradient
/// `w·(1/α₃₂)·α·e^{x/α₃₂}` (x ≤ 0) is turned into `w·e^{x/α}` here.
fn undo_celu_float32_alpha(grad: &mut [f64], xs: &[f64], alpha: f64) {
    let inv32 = 1.0 / f64::from(alpha as f32);
    let inv = 1.0 / alpha;
    for (g, &x) in grad.iter_mut().zip(xs) {
        if x <= 0.0 {
            *g = *g / (inv32 * alpha) * (x * inv - x * inv32).exp();
        }
    }
}

/// What a run compared.
#[derive(Debug, Default)]
struct Stats {
    cases: usize,
    /// The largest relative error over all nonzero reference values.
    worst: f64,
    /// The largest relative error among the values within `rtol`.
    worst_within_rtol: f64,
    /// Values beyond `rtol` but within `rtol·1e-3` absolute (near-zero results of
    /// cancellation, such as softmax gradients).
    by_absolute: usize,
    /// f32 values beyond both but within twice PyTorch's own float32 error.
    by_torch_f32: usize,
}

/// Checks every case in `T` to relative `rtol`.
///
/// In f32 an element may also pass by missing the f64 reference by at most twice what
/// PyTorch's own float32 result misses it by (`*_f32` in the file): where the formula
/// cancels (Tanhshrink's gradient `1 - (1 - tanh²x)` near 0, the softmax backward
/// `y·(g - Σ g·y)` in Softmin), float32 cannot reach 1e-5 in PyTorch either.
fn check<T: Float>(rtol: f64) -> Stats {
    let v: Value = serde_json::from_str(include_str!("data/more_activations.json")).unwrap();
    let cases = v["cases"].as_array().unwrap();
    let f32_run = std::mem::size_of::<T>() == 4;
    let mut stats = Stats {
        cases: cases.len(),
        ..Stats::default()
    };
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let in_shape = shape(&case["shape"]);
        let x = Var::parameter(tensor::<T>(&case["x"], &in_shape));
        let weights = Var::new(tensor::<T>(&case["weights"], &shape(&case["y_shape"])));
        let m = module::<T>(case);
        let y = m.forward(&x);
        assert_eq!(y.shape(), shape(&case["y_shape"]), "{name}: output shape");
        y.mul(&weights).sum().backward();
        let mut want_grad = floats(&case["grad"]);
        if case["module"] == "CELU" {
            let alpha = case["options"]["alpha"].as_f64().unwrap();
            undo_celu_float32_alpha(&mut want_grad, &floats(&case["x"]), alpha);
        }
        let mut compared = vec![
            ("output", y.value().to_vec(), floats(&case["y"]), "y_f32"),
            (
                "gradient",
                x.grad().unwrap().to_vec(),
                want_grad,
                "grad_f32",
            ),
        ];
        if case.get("weight_grad").is_some() {
            let params = m.named_parameters();
            assert_eq!(params.len(), 1, "{name}");
            let (key, w) = &params[0];
            assert_eq!(key, "weight");
            compared.push((
                "weight gradient",
                w.grad().unwrap().to_vec(),
                floats(&case["weight_grad"]),
                "weight_grad_f32",
            ));
        }
        for (what, got, want, torch_f32_key) in compared {
            assert_eq!(got.len(), want.len(), "{name} {what}");
            let torch_f32 = floats(&case[torch_f32_key]);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                let g = g.as_f64();
                let err = (g - w).abs() / w.abs().max(1e-300);
                let torch_miss = (torch_f32[i] - w).abs();
                if err <= rtol {
                    stats.worst_within_rtol = stats.worst_within_rtol.max(err);
                } else if (g - w).abs() <= rtol * 1e-3 {
                    stats.by_absolute += 1;
                } else if f32_run && (g - w).abs() <= 2.0 * torch_miss {
                    stats.by_torch_f32 += 1;
                }
                if *w != 0.0 {
                    stats.worst = stats.worst.max(err);
                }
                assert!(
                    err <= rtol
                        || (g - w).abs() <= rtol * 1e-3
                        || (f32_run && (g - w).abs() <= 2.0 * torch_miss),
                    "{name} {what} at index {i}: {g} vs PyTorch's {w} (relative {err:.2e}; \
                     PyTorch's float32 misses by {torch_miss:.2e})"
                );
            }
        }
    }
    stats
}

#[test]
fn more_activations_match_pytorch_in_f64() {
    let stats = check::<f64>(1e-13);
    assert_eq!(stats.cases, 30);
    println!("f64: {stats:?}");
}

#[test]
fn more_activations_match_pytorch_in_f32() {
    let stats = check::<f32>(1e-5);
    assert_eq!(stats.cases, 30);
    println!("f32: {stats:?}");
}
