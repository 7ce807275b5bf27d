//! The margin, embedding and likelihood losses against PyTorch: `tests/data/more_losses.json`
//! (PyTorch 2.15, float64, written by `tests/data/gen_more_losses.py`) holds, for every
//! loss, cases of each reduction and of the non-default options, with the loss value and
//! the gradient with respect to every differentiable input (of Σ cᵢ·lossᵢ, fixed random
//! cotangents c, for `Reduction::None`). Every stored input is a float32 value, so both
//! precisions see the same inputs. In f64 values and gradients must agree to 1e-12
//! relative (1e-14 absolute for values near 0); in f32 to 1e-5 relative (1e-7 absolute).

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::collections::BTreeMap;

use backprop_autograd::Var;
use backprop_nn::{
    CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss,
    MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss, Reduction, SoftMarginLoss,
    TripletMarginLoss,
};
use backprop_tensor::{Float, Tensor};
use serde_json::Value;

fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn tensor<T: Float>(v: &Value) -> Tensor<T> {
    let data = floats(v).into_iter().map(T::from_f64).collect();
    Tensor::from_vec(data, &shape(v)).unwrap()
}

fn classes(v: &Value) -> Tensor<usize> {
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    Tensor::from_vec(data, &shape(v)).unwrap()
}

fn option(case: &Value, name: &str) -> f64 {
    let v = &case["options"][name];
    match v.as_str() {
        Some("inf") => f64::INFINITY,
        _ => v.as_f64().unwrap(),
    }
}

fn flag(case: &Value, name: &str) -> bool {
    case["options"][name].as_bool().unwrap()
}

fn reduction(case: &Value) -> Reduction {
    match case["reduction"].as_str().unwrap() {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        "none" => Reduction::None,
        other => panic!("unknown reduction {other}"),
    }
}

/// The loss the case describes, applied to its inputs.
fn loss<T: Float>(case: &Value, x: &BTreeMap<String, Var<T>>) -> Var<T> {
    let r = reduction(case);
    let label = || tensor::<T>(&case["labels"]["target"]);
    let weight = || case.get("weight").map(tensor::<T>);
    match case["loss"].as_str().unwrap() {
        "MarginRankingLoss" => MarginRankingLoss::new()
            .margin(option(case, "margin"))
            .reduction(r)
            .forward(&x["input1"], &x["input2"], &label()),
        "HingeEmbeddingLoss" => HingeEmbeddingLoss::new()
            .margin(option(case, "margin"))
            .reduction(r)
            .forward(&x["input"], &label()),
        "SoftMarginLoss" => SoftMarginLoss::new()
            .reduction(r)
            .forward(&x["input"], &label()),
        "MultiLabelSoftMarginLoss" => {
            let mut l = MultiLabelSoftMarginLoss::new().reduction(r);
            if let Some(w) = weight() {
                l = l.weight(w);
            }
            l.forward(&x["input"], &label())
        }
        "MultiMarginLoss" => {
            let mut l = MultiMarginLoss::new()
                .p(option(case, "p") as u32)
                .margin(option(case, "margin"))
                .reduction(r);
            if let Some(w) = weight() {
                l = l.weight(w);
            }
            l.forward(&x["input"], &classes(&case["classes"]))
        }
        "CosineEmbeddingLoss" => CosineEmbeddingLoss::new()
            .margin(option(case, "margin"))
            .reduction(r)
            .forward(&x["input1"], &x["input2"], &label()),
        "TripletMarginLoss" => TripletMarginLoss::new()
            .margin(option(case, "margin"))
            .p(option(case, "p"))
            .eps(option(case, "eps"))
            .swap(flag(case, "swap"))
            .reduction(r)
            .forward(&x["anchor"], &x["positive"], &x["negative"]),
        "PoissonNLLLoss" => PoissonNLLLoss::new()
            .log_input(flag(case, "log_input"))
            .full(flag(case, "full"))
            .eps(option(case, "eps"))
            .reduction(r)
            .forward(&x["input"], &x["target"]),
        "GaussianNLLLoss" => GaussianNLLLoss::new()
            .full(flag(case, "full"))
            .eps(option(case, "eps"))
            .reduction(r)
            .forward(&x["input"], &x["target"], &x["var"]),
        other => panic!("no loss {other}"),
    }
}

/// The largest relative error seen (over elements not below the absolute floor), per loss.
type Worst = BTreeMap<String, f64>;

/// Compares `got` with PyTorch's `want`: each element within `rtol` relative or `atol`
/// absolute. Records the largest relative error among elements above `atol`.
fn compare(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64, worst: &mut f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        let rel = err / w.abs();
        assert!(
            err <= rtol * w.abs() || err <= atol,
            "{what}[{i}]: {g:e} vs PyTorch's {w:e} (relative {rel:.2e})"
        );
        if w.abs() > atol {
            *worst = worst.max(rel);
        }
    }
}

/// Checks every case in `T`; returns how many there were and the worst relative errors.
fn check<T: Float>(rtol: f64, atol: f64) -> (usize, Worst) {
    let v: Value = serde_json::from_str(include_str!("data/more_losses.json")).unwrap();
    let cases = v["cases"].as_array().unwrap();
    let mut worst = Worst::new();
    for (k, case) in cases.iter().enumerate() {
        let name = case["loss"].as_str().unwrap();
        let label = format!(
            "case {k} ({name}, {}, {})",
            case["reduction"], case["options"]
        );
        let inputs = case["inputs"].as_object().unwrap();
        let x: BTreeMap<String, Var<T>> = inputs
            .iter()
            .map(|(key, t)| (key.clone(), Var::parameter(tensor::<T>(t))))
            .collect();
        let out = loss(case, &x);
        assert_eq!(out.shape(), shape(&case["value"]), "{label}: output shape");
        match case.get("cotangent") {
            Some(c) => out.mul(&Var::new(tensor::<T>(c))).sum().backward(),
            None => out.backward(),
        }
        let worst = worst.entry(name.to_string()).or_insert(0.0);
        let as_f64 = |t: Tensor<T>| t.to_vec().iter().map(|x| x.as_f64()).collect::<Vec<_>>();
        compare(
            &format!("{label} value"),
            &as_f64(out.value()),
            &floats(&case["value"]),
            rtol,
            atol,
            worst,
        );
        for (key, g) in case["grads"].as_object().unwrap() {
            let got = x[key]
                .grad()
                .unwrap_or_else(|| panic!("{label}: no gradient for {key}"));
            assert_eq!(got.shape(), shape(g), "{label}: gradient shape of {key}");
            compare(
                &format!("{label} d/d{key}"),
                &as_f64(got),
                &floats(g),
                rtol,
                atol,
                worst,
            );
        }
    }
    (cases.len(), worst)
}

#[test]
fn more_losses_match_pytorch_in_f64() {
    let (n, worst) = check::<f64>(1e-12, 1e-14);
    eprintln!("f64, largest relative errors: {worst:#?}");
    assert_eq!(n, 64);
    assert_eq!(worst.len(), 9, "every loss has cases");
}

#[test]
fn more_losses_match_pytorch_in_f32() {
    let (n, worst) = check::<f32>(1e-5, 1e-7);
    eprintln!("f32, largest relative errors: {worst:#?}");
    assert_eq!(n, 64);
}
