//! Every optimizer in `data/optimizers.json` (PyTorch trajectories, float64) is reproduced.
//!
//! The problem, as the file states it: `loss_t(w) = sum(A[t]·w·w) + sum(B[t]·w)` with `w` of
//! shape [2, 3]; step `t` uses `A[t]`, `B[t]`; `trajectory[t]` is `w` after step `t`. The
//! gradient comes from this crate's autograd, as in a real training loop.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, RmsProp,
    RmsPropConfig, Sgd, SgdConfig,
};
use backprop_tensor::Tensor;
use serde_json::Value;

const FIXTURE: &str = include_str!("data/optimizers.json");

fn tensor(v: &Value) -> Tensor<f64> {
    let data: Vec<f64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    Tensor::from_vec(data, &[2, 3]).unwrap()
}

fn option(options: &Value, key: &str, default: f64) -> f64 {
    options.get(key).map_or(default, |v| v.as_f64().unwrap())
}

fn build(name: &str, options: &Value, w: &Var<f64>) -> Box<dyn Optimizer<f64>> {
    let known: &[&str] = match name {
        "SGD" => &["lr", "momentum"],
        _ => &["lr"],
    };
    for key in options.as_object().unwrap().keys() {
        assert!(
            known.contains(&key.as_str()),
            "{name}: option {key} is not mapped by this test"
        );
    }
    let params = vec![w.clone()];
    match name {
        "SGD" => Box::new(
            Sgd::new(
                params,
                SgdConfig {
                    lr: option(options, "lr", 1e-3),
                    momentum: option(options, "momentum", 0.0),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        "Adam" => Box::new(
            Adam::new(
                params,
                AdamConfig {
                    lr: option(options, "lr", 1e-3),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        "AdamW" => Box::new(
            AdamW::new(
                params,
                AdamWConfig {
                    lr: option(options, "lr", 1e-3),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        "RMSprop" => Box::new(
            RmsProp::new(
                params,
                RmsPropConfig {
                    lr: option(options, "lr", 1e-2),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        "Adagrad" => Box::new(
            Adagrad::new(
                params,
                AdagradConfig {
                    lr: option(options, "lr", 1e-2),
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        other => panic!("fixture optimizer {other} has no counterpart"),
    }
}

#[test]
fn every_fixture_optimizer_follows_pytorch() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let a: Vec<Var<f64>> = fixture["A"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Var::new(tensor(v)))
        .collect();
    let b: Vec<Var<f64>> = fixture["B"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Var::new(tensor(v)))
        .collect();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let name = case["optimizer"].as_str().unwrap();
        let w = Var::parameter(tensor(&fixture["w0"]));
        let mut opt = build(name, &case["options"], &w);
        let trajectory = case["trajectory"].as_array().unwrap();
        assert_eq!(trajectory.len(), a.len());
        let mut max_rel = 0.0f64;
        for (t, expected) in trajectory.iter().enumerate() {
            opt.zero_grad();
            let loss = a[t].mul(&w).mul(&w).sum().add(&b[t].mul(&w).sum());
            loss.backward();
            opt.step();
            for (got, want) in w.value().to_vec().iter().zip(tensor(expected).to_vec()) {
                max_rel = max_rel.max((got - want).abs() / want.abs().max(1e-300));
            }
        }
        println!(
            "{name} {}: max relative error {max_rel:.3e}",
            case["options"]
        );
        assert!(
            max_rel < 1e-12,
            "{name}: max relative error {max_rel:e} over the trajectory"
        );
    }
}
