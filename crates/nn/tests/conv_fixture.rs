//! `Conv2d` and `Conv1d` against PyTorch: every case of `tests/data/conv.json` (PyTorch 2.15,
//! float64, written by `tests/data/gen_conv.py`) gives a layer's options, its weights (loaded
//! here through the state dict, by PyTorch's names), an input, the output, and the gradients
//! of `Σ w ⊙ y` with respect to the input, the weight and the bias. The cases cover stride,
//! padding, dilation and groups alone and together, no bias, a 1×1 and a non-square kernel,
//! and conv1d. The inputs are float32 values, so the float64 reference serves both tests:
//! f64 must agree to 1e-12 relative (1e-14 absolute floor), f32 to 1e-5 relative.
//!
//! Each value is a sum of products, and where they cancel its relative error can exceed
//! any fixed tolerance in f32 whatever the order of summation (PyTorch's own float32 result
//! misses the reference by 1.5e-5 on one weight gradient). The file also holds each
//! value's scale, the same sum of the products' absolute values; a value also passes
//! within 4 units of roundoff of its scale (4 · 2⁻²⁴ · scale in f32, 4 · 2⁻⁵³ in f64),
//! the size of a handful of rounding errors of its partial sums.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::collections::BTreeMap;

use backprop_autograd::{Conv1dOptions, Conv2dOptions, Var};
use backprop_nn::{Conv1d, Conv2d, Module};
use backprop_tensor::{Float, Rng, Tensor};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn sizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn tensor<T: Float>(values: &Value, shape: &Value) -> Tensor<T> {
    let data = floats(values).into_iter().map(T::from_f64).collect();
    Tensor::from_vec(data, &sizes(shape)).unwrap()
}

/// A layer built from a case's options, with PyTorch's weights loaded by name.
fn layer<T: Float>(case: &Value) -> Box<dyn Module<T>> {
    let (cin, cout) = (
        case["in_channels"].as_u64().unwrap() as usize,
        case["out_channels"].as_u64().unwrap() as usize,
    );
    let groups = case["groups"].as_u64().unwrap() as usize;
    let bias = !case["bias"].is_null();
    let mut rng = Rng::seed_from_u64(0);
    let (k, s, p, d) = (
        sizes(&case["kernel_size"]),
        sizes(&case["stride"]),
        sizes(&case["padding"]),
        sizes(&case["dilation"]),
    );
    let m: Box<dyn Module<T>> = if case["kind"] == 2 {
        let opts = Conv2dOptions::default()
            .stride((s[0], s[1]))
            .padding((p[0], p[1]))
            .dilation((d[0], d[1]))
            .groups(groups);
        Box::new(Conv2d::with_options(
            cin,
            cout,
            (k[0], k[1]),
            opts,
            bias,
            &mut rng,
        ))
    } else {
        let opts = Conv1dOptions::default()
            .stride(s[0])
            .padding(p[0])
            .dilation(d[0])
            .groups(groups);
        Box::new(Conv1d::with_options(cin, cout, k[0], opts, bias, &mut rng))
    };
    let mut state = BTreeMap::new();
    state.insert(
        "weight".to_string(),
        tensor(&case["weight"], &case["weight_shape"]),
    );
    if bias {
        let n = Value::from(vec![cout]);
        state.insert("bias".to_string(), tensor(&case["bias"], &n));
    }
    m.load_state_dict(&state, true).unwrap();
    m
}

/// Checks every case in `T` against PyTorch; returns the number of cases, the largest
/// absolute error and the largest error relative to max(|PyTorch's value|, floor/rtol).
fn check<T: Float>(rtol: f64, floor: f64) -> (usize, f64, f64) {
    let v: Value = serde_json::from_str(include_str!("data/conv.json")).unwrap();
    let cases = v["cases"].as_array().unwrap();
    let (mut worst_abs, mut worst) = (0f64, 0f64);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let m = layer::<T>(case);
        let x = Var::parameter(tensor::<T>(&case["x"], &case["x_shape"]));
        let y = m.forward(&x);
        assert_eq!(y.shape(), sizes(&case["y_shape"]), "{name}: output shape");
        let w = Var::new(tensor::<T>(&case["w"], &case["y_shape"]));
        y.mul(&w).sum().backward();
        let params: BTreeMap<String, Var<T>> = m.named_parameters().into_iter().collect();
        let mut checks = vec![
            ("output", y.value(), "y"),
            ("input gradient", x.grad().unwrap(), "grad_x"),
            (
                "weight gradient",
                params["weight"].grad().unwrap(),
                "grad_weight",
            ),
        ];
        if !case["bias"].is_null() {
            checks.push(("bias gradient", params["bias"].grad().unwrap(), "grad_bias"));
        }
        // A unit of roundoff of T: half its machine epsilon.
        let unit = T::epsilon().as_f64() / 2.0;
        for (what, got, key) in checks {
            let got = got.to_vec();
            let want = floats(&case[key]);
            let scale = floats(&case[format!("{key}_scale").as_str()]);
            assert_eq!(got.len(), want.len(), "{name} {what}: length");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                let (g, w) = (g.as_f64(), *w);
                let err = (g - w).abs();
                assert!(
                    err <= rtol * w.abs() || err <= floor || err <= 4.0 * unit * scale[i],
                    "{name} {what}[{i}]: {g} vs PyTorch's {w} (relative {:.2e})",
                    err / w.abs()
                );
                worst_abs = worst_abs.max(err);
                worst = worst.max(err / w.abs().max(floor / rtol));
            }
        }
    }
    (cases.len(), worst_abs, worst)
}

#[test]
fn conv_layers_match_pytorch_in_f64() {
    let (n, worst_abs, worst) = check::<f64>(1e-12, 1e-14);
    assert_eq!(n, 13);
    eprintln!("f64: largest error {worst_abs:.2e} absolute, {worst:.2e} relative");
}

#[test]
fn conv_layers_match_pytorch_in_f32() {
    let (n, worst_abs, worst) = check::<f32>(1e-5, 0.0);
    assert_eq!(n, 13);
    eprintln!("f32: largest error {worst_abs:.2e} absolute, {worst:.2e} relative");
}
