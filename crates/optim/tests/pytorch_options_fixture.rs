//! Every optimizer with its options combined (momentum, dampening, Nesterov, weight decay,
//! maximize, AMSGrad, betas, eps, centered, alpha, lr_decay, initial accumulator), over two
//! parameter groups with different options and steps where a parameter has no gradient,
//! against PyTorch's float64 trajectories in `data/optimizer_options.json` (the file states
//! the problem and the PyTorch version).
//!
//! PyTorch's AVX2 kernels fuse some multiply-adds that this crate rounds in two steps, so the
//! agreement is ~1e-12 relative rather than bitwise; the tolerance is 1e-10.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, RmsProp,
    RmsPropConfig, Sgd, SgdConfig,
};
use backprop_tensor::Tensor;
use serde_json::Value;

const FIXTURE: &str = include_str!("data/optimizer_options.json");

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn num(o: &Value, key: &str, default: f64) -> f64 {
    o.get(key).map_or(default, |v| v.as_f64().unwrap())
}

fn flag(o: &Value, key: &str) -> bool {
    o.get(key).is_some_and(|v| v.as_bool().unwrap())
}

fn betas(o: &Value) -> (f64, f64) {
    o.get("betas").map_or((0.9, 0.999), |v| {
        let b = floats(v);
        (b[0], b[1])
    })
}

const KNOWN: [&str; 13] = [
    "lr",
    "momentum",
    "dampening",
    "nesterov",
    "weight_decay",
    "maximize",
    "betas",
    "eps",
    "amsgrad",
    "alpha",
    "centered",
    "lr_decay",
    "initial_accumulator_value",
];

/// Builds the optimizer with one group per (parameter, options) pair, PyTorch's defaults for
/// the options a group does not list; fails on an option this test does not map.
fn build(name: &str, groups: &[(Var<f64>, Value)]) -> Box<dyn Optimizer<f64>> {
    for (_, o) in groups {
        for key in o.as_object().unwrap().keys() {
            assert!(KNOWN.contains(&key.as_str()), "unmapped option {key}");
        }
    }
    fn each<C>(groups: &[(Var<f64>, Value)], f: impl Fn(&Value) -> C) -> Vec<(Vec<Var<f64>>, C)> {
        groups
            .iter()
            .map(|(p, o)| (vec![p.clone()], f(o)))
            .collect()
    }
    match name {
        "SGD" => Box::new(
            Sgd::with_groups(each(groups, |o| SgdConfig {
                lr: num(o, "lr", 1e-3),
                momentum: num(o, "momentum", 0.0),
                dampening: num(o, "dampening", 0.0),
                weight_decay: num(o, "weight_decay", 0.0),
                nesterov: flag(o, "nesterov"),
                maximize: flag(o, "maximize"),
            }))
            .unwrap(),
        ),
        "Adam" => Box::new(
            Adam::with_groups(each(groups, |o| AdamConfig {
                lr: num(o, "lr", 1e-3),
                betas: betas(o),
                eps: num(o, "eps", 1e-8),
                weight_decay: num(o, "weight_decay", 0.0),
                amsgrad: flag(o, "amsgrad"),
                maximize: flag(o, "maximize"),
            }))
            .unwrap(),
        ),
        "AdamW" => Box::new(
            AdamW::with_groups(each(groups, |o| AdamWConfig {
                lr: num(o, "lr", 1e-3),
                betas: betas(o),
                eps: num(o, "eps", 1e-8),
                weight_decay: num(o, "weight_decay", 1e-2),
                amsgrad: flag(o, "amsgrad"),
                maximize: flag(o, "maximize"),
            }))
            .unwrap(),
        ),
        "RMSprop" => Box::new(
            RmsProp::with_groups(each(groups, |o| RmsPropConfig {
                lr: num(o, "lr", 1e-2),
                alpha: num(o, "alpha", 0.99),
                eps: num(o, "eps", 1e-8),
                weight_decay: num(o, "weight_decay", 0.0),
                momentum: num(o, "momentum", 0.0),
                centered: flag(o, "centered"),
                maximize: flag(o, "maximize"),
            }))
            .unwrap(),
        ),
        "Adagrad" => Box::new(
            Adagrad::with_groups(each(groups, |o| AdagradConfig {
                lr: num(o, "lr", 1e-2),
                lr_decay: num(o, "lr_decay", 0.0),
                weight_decay: num(o, "weight_decay", 0.0),
                initial_accumulator_value: num(o, "initial_accumulator_value", 0.0),
                eps: num(o, "eps", 1e-10),
                maximize: flag(o, "maximize"),
            }))
            .unwrap(),
        ),
        other => panic!("unknown optimizer {other}"),
    }
}

fn tensor(values: Vec<f64>, shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(values, shape).unwrap()
}

#[test]
fn every_option_combination_follows_pytorch() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for (ci, case) in cases.iter().enumerate() {
        let name = case["optimizer"].as_str().unwrap();
        let specs = case["params"].as_array().unwrap();
        let shapes: Vec<Vec<usize>> = specs
            .iter()
            .map(|p| {
                p["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as usize)
                    .collect()
            })
            .collect();
        let groups: Vec<(Var<f64>, Value)> = specs
            .iter()
            .zip(&shapes)
            .zip(case["options"].as_array().unwrap())
            .map(|((p, shape), o)| (Var::parameter(tensor(floats(&p["init"]), shape)), o.clone()))
            .collect();
        let mut opt = build(name, &groups);
        for (step, want) in case["trajectory"].as_array().unwrap().iter().enumerate() {
            opt.zero_grad();
            for (((param, _), spec), shape) in groups.iter().zip(specs).zip(&shapes) {
                if !spec["has_grad"][step].as_bool().unwrap() {
                    continue;
                }
                let (a, c, noise) = (
                    floats(&spec["a"]),
                    floats(&spec["c"]),
                    floats(&spec["noise"][step]),
                );
                let g: Vec<f64> = param
                    .value()
                    .to_vec()
                    .iter()
                    .enumerate()
                    .map(|(i, p)| a[i] * (p - c[i]) + noise[i])
                    .collect();
                param.set_grad(Some(tensor(g, shape)));
            }
            opt.step();
            for (pi, ((param, _), want)) in groups.iter().zip(want.as_array().unwrap()).enumerate()
            {
                for (i, (got, want)) in param.value().to_vec().iter().zip(floats(want)).enumerate()
                {
                    assert!(
                        (got - want).abs() <= 1e-10 * want.abs().max(1e-3),
                        "case {ci} ({name} {}), step {step}, param {pi}[{i}]: got {got}, PyTorch {want}",
                        case["options"]
                    );
                }
            }
        }
    }
}
