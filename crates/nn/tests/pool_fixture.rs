//! The pooling layers against PyTorch: `tests/data/pool.json` (PyTorch 2.15, float64, written
//! by `tests/data/gen_pool.py`) holds, per case, a tie-free input, the layer's output and the
//! gradient of `Σ wᵢ·yᵢ` with respect to the input, for overlapping windows, padding,
//! dilation, `ceil_mode` (where it adds a window and where PyTorch's rule drops one),
//! `count_include_pad` off, `divisor_override`, 3-d inputs and adaptive sizes that do not
//! divide the input. In f64 both must agree to 1e-12 relative (absolute floor 1e-14); in
//! f32 (every input and weight is exact in f32) to 1e-5.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::{Size2, Var};
use backprop_nn::{
    AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, Module,
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

fn sizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// A PyTorch int-or-pair argument.
fn size2(v: &Value) -> Size2 {
    match v.as_u64() {
        Some(n) => Size2::from(n as usize),
        None => {
            let s = sizes(v);
            Size2(s[0], s[1])
        }
    }
}

fn int(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

/// The layer a case names, built from PyTorch's keyword arguments.
fn layer<T: Float>(name: &str, kw: &Value) -> Box<dyn Module<T>> {
    let flag = |key: &str| kw.get(key).and_then(Value::as_bool);
    let opt = |key: &str| kw.get(key);
    match name {
        "MaxPool2d" => {
            let mut m = MaxPool2d::new(size2(&kw["kernel_size"]));
            if let Some(v) = opt("stride") {
                m = m.stride(size2(v));
            }
            if let Some(v) = opt("padding") {
                m = m.padding(size2(v));
            }
            if let Some(v) = opt("dilation") {
                m = m.dilation(size2(v));
            }
            if let Some(v) = flag("ceil_mode") {
                m = m.ceil_mode(v);
            }
            Box::new(m)
        }
        "AvgPool2d" => {
            let mut m = AvgPool2d::new(size2(&kw["kernel_size"]));
            if let Some(v) = opt("stride") {
                m = m.stride(size2(v));
            }
            if let Some(v) = opt("padding") {
                m = m.padding(size2(v));
            }
            if let Some(v) = flag("ceil_mode") {
                m = m.ceil_mode(v);
            }
            if let Some(v) = flag("count_include_pad") {
                m = m.count_include_pad(v);
            }
            if let Some(v) = opt("divisor_override") {
                m = m.divisor_override(v.as_i64().unwrap());
            }
            Box::new(m)
        }
        "AdaptiveAvgPool2d" => Box::new(AdaptiveAvgPool2d::new(size2(&kw["output_size"]))),
        "AdaptiveMaxPool2d" => Box::new(AdaptiveMaxPool2d::new(size2(&kw["output_size"]))),
        "MaxPool1d" => {
            let mut m = MaxPool1d::new(int(&kw["kernel_size"]));
            if let Some(v) = opt("stride") {
                m = m.stride(int(v));
            }
            if let Some(v) = opt("padding") {
                m = m.padding(int(v));
            }
            if let Some(v) = opt("dilation") {
                m = m.dilation(int(v));
            }
            if let Some(v) = flag("ceil_mode") {
                m = m.ceil_mode(v);
            }
            Box::new(m)
        }
        "AvgPool1d" => {
            let mut m = AvgPool1d::new(int(&kw["kernel_size"]));
            if let Some(v) = opt("stride") {
                m = m.stride(int(v));
            }
            if let Some(v) = opt("padding") {
                m = m.padding(int(v));
            }
            if let Some(v) = flag("ceil_mode") {
                m = m.ceil_mode(v);
            }
            if let Some(v) = flag("count_include_pad") {
                m = m.count_include_pad(v);
            }
            Box::new(m)
        }
        other => panic!("no layer for {other}"),
    }
}

/// Checks every case in `T` to `rtol` relative (or `atol` absolute); returns the number of
/// cases and the largest relative error seen (against max(|PyTorch's value|, atol / rtol)).
fn check<T: Float>(rtol: f64, atol: f64) -> (usize, f64) {
    let v: Value = serde_json::from_str(include_str!("data/pool.json")).unwrap();
    let to_t = |xs: Vec<f64>| xs.into_iter().map(T::from_f64).collect::<Vec<T>>();
    let cases = v["cases"].as_array().unwrap();
    let mut worst = 0.0f64;
    for case in cases {
        let name = case["layer"].as_str().unwrap();
        let label = format!("{name} {} on {}", case["kwargs"], case["shape"]);
        let shape = sizes(&case["shape"]);
        let y_shape = sizes(&case["y_shape"]);
        let x = Var::parameter(Tensor::from_vec(to_t(floats(&case["x"])), &shape).unwrap());
        let y = layer::<T>(name, &case["kwargs"]).forward(&x);
        assert_eq!(y.shape(), y_shape, "{label}: output shape");
        let n: usize = y_shape.iter().product();
        let w: Vec<f64> = (0..n).map(|i| 0.5 + 0.25 * (i % 7) as f64).collect();
        let w = Var::new(Tensor::from_vec(to_t(w), &y_shape).unwrap());
        y.mul(&w).sum().backward();
        for (what, got, want) in [
            ("output", y.value().to_vec(), floats(&case["y"])),
            (
                "gradient",
                x.grad().unwrap().to_vec(),
                floats(&case["grad"]),
            ),
        ] {
            assert_eq!(got.len(), want.len(), "{label}: {what} length");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                let (g, w) = (g.as_f64(), *w);
                let diff = (g - w).abs();
                worst = worst.max(diff / w.abs().max(atol / rtol));
                assert!(
                    diff <= rtol * w.abs() || diff <= atol,
                    "{label}: {what}[{i}] = {g} vs PyTorch's {w} (relative {:.2e})",
                    diff / w.abs()
                );
            }
        }
    }
    (cases.len(), worst)
}

#[test]
fn pooling_matches_pytorch_in_f64() {
    let (n, worst) = check::<f64>(1e-12, 1e-14);
    assert_eq!(n, 28);
    eprintln!("pooling vs PyTorch, f64: largest relative error {worst:.2e}");
}

#[test]
fn pooling_matches_pytorch_in_f32() {
    let (n, worst) = check::<f32>(1e-5, 1e-8);
    assert_eq!(n, 28);
    eprintln!("pooling vs PyTorch, f32: largest relative error {worst:.2e}");
}
