//! Every case of `tests/data/losses.json` (PyTorch 2.x, float64): the loss value and the
//! input gradient d(Σ output·cotangent)/d(input) must agree to ~1e-10.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_nn::{
    BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, Reduction,
    SmoothL1Loss,
};
use backprop_tensor::Tensor;
use serde_json::Value;

const TOL: f64 = 1e-10;

fn tensor(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    Tensor::from_vec(data, &shape).unwrap()
}

fn vector(v: &Value) -> Tensor<f64> {
    let data: Vec<f64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let n = data.len();
    Tensor::from_vec(data, &[n]).unwrap()
}

fn classes(v: &Value) -> Tensor<usize> {
    let data: Vec<usize> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    let n = data.len();
    Tensor::from_vec(data, &[n]).unwrap()
}

fn reduction(case: &Value) -> Reduction {
    match case["reduction"].as_str().unwrap() {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        "none" => Reduction::None,
        other => panic!("unknown reduction {other}"),
    }
}

/// The loss the case describes, applied to `x`.
fn loss(case: &Value, x: &Var<f64>) -> Var<f64> {
    let op = case["op"].as_str().unwrap();
    let r = reduction(case);
    let target = || Var::new(tensor(&case["target"]));
    if op.starts_with("cross_entropy") {
        let mut ce = CrossEntropyLoss::new().reduction(r);
        if let Some(w) = case.get("weight") {
            ce = ce.weight(vector(w));
        }
        if let Some(eps) = case.get("label_smoothing") {
            ce = ce.label_smoothing(eps.as_f64().unwrap());
        }
        if let Some(probs) = case.get("target_probs") {
            return ce.forward_probs(x, &tensor(probs));
        }
        return ce.forward(x, &classes(&case["targets"]));
    }
    match op {
        "nll" => NLLLoss::new()
            .reduction(r)
            .forward(&x.log_softmax(1), &classes(&case["targets"])),
        "mse" => MSELoss::new().reduction(r).forward(x, &target()),
        "l1" => L1Loss::new().reduction(r).forward(x, &target()),
        _ if op.starts_with("huber") => HuberLoss::new()
            .delta(case["delta"].as_f64().unwrap())
            .reduction(r)
            .forward(x, &target()),
        _ if op.starts_with("smooth_l1") => SmoothL1Loss::new()
            .beta(case["beta"].as_f64().unwrap())
            .reduction(r)
            .forward(x, &target()),
        _ if op.starts_with("bce_with_logits") => {
            let mut bce = BCEWithLogitsLoss::new().reduction(r);
            if let Some(p) = case.get("pos_weight") {
                bce = bce.pos_weight(vector(p));
            }
            bce.forward(x, &target())
        }
        other => panic!("fixture op `{other}` has no mapping in this test"),
    }
}

fn assert_close(what: &str, got: &Tensor<f64>, want: &Tensor<f64>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        assert!(
            (a - b).abs() <= TOL * (1.0 + b.abs()),
            "{what}[{i}]: got {a}, PyTorch {b}"
        );
    }
}

#[test]
fn every_fixture_case_matches_pytorch() {
    let text = include_str!("data/losses.json");
    let fixture: Value = serde_json::from_str(text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 11);
    for case in cases {
        let op = case["op"].as_str().unwrap();
        let x = Var::parameter(tensor(&case["inputs"][0]));
        let out = loss(case, &x);
        assert_close(
            &format!("{op} output"),
            &out.value(),
            &tensor(&case["output"]),
        );
        out.backward_with(tensor(&case["cotangent"]));
        assert_close(
            &format!("{op} grad"),
            &x.grad().unwrap(),
            &tensor(&case["grads"][0]),
        );
    }
}
