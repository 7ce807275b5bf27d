//! Every case of `tests/data/norm_embedding.json` (PyTorch 2.15, float64, written by
//! `tests/data/gen_norm.py`): outputs, input and parameter gradients of `LayerNorm`,
//! `BatchNorm1d` (training and evaluation steps, with the state dict — running statistics
//! and `num_batches_tracked` — after every step) and `Embedding` must agree to 1e-10.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_nn::{BatchNorm1d, Embedding, LayerNorm, Module};
use backprop_tensor::{Rng, Tensor};
use serde_json::Value;

const TOL: f64 = 1e-10;

fn dims(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn tensor(v: &Value) -> Tensor<f64> {
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    Tensor::from_vec(data, &dims(&v["shape"])).unwrap()
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

/// Checks a parameter's gradient against the fixture's (`null` when it has none).
fn assert_grad(what: &str, p: Option<&Var<f64>>, want: &Value) {
    match (p, want.is_null()) {
        (None, true) => {}
        (Some(p), false) => assert_close(what, &p.grad().unwrap(), &tensor(want)),
        (p, _) => panic!(
            "{what}: parameter present {}, fixture gradient {want}",
            p.is_some()
        ),
    }
}

fn fixture() -> Value {
    let v: Value = serde_json::from_str(include_str!("data/norm_embedding.json")).unwrap();
    assert!(v["torch"].as_str().unwrap().starts_with("2.15"));
    v
}

#[test]
fn layer_norm_matches_pytorch() {
    let fx = fixture();
    let cases = fx["layer_norm"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for (k, case) in cases.iter().enumerate() {
        let ln = LayerNorm::<f64>::new(&dims(&case["normalized_shape"]))
            .with_eps(case["eps"].as_f64().unwrap())
            .with_elementwise_affine(case["elementwise_affine"].as_bool().unwrap())
            .with_bias(case["bias"].as_bool().unwrap());
        if let Some(w) = &ln.weight {
            w.set_data(tensor(&case["weight"]));
        }
        if let Some(b) = &ln.bias {
            b.set_data(tensor(&case["bias_value"]));
        }
        let x = Var::parameter(tensor(&case["input"]));
        let y = ln.forward(&x);
        assert_close(
            &format!("ln {k} output"),
            &y.value(),
            &tensor(&case["output"]),
        );
        y.backward_with(tensor(&case["cotangent"]));
        assert_close(
            &format!("ln {k} grad input"),
            &x.grad().unwrap(),
            &tensor(&case["grad_input"]),
        );
        assert_grad(
            &format!("ln {k} grad weight"),
            ln.weight.as_ref(),
            &case["grad_weight"],
        );
        assert_grad(
            &format!("ln {k} grad bias"),
            ln.bias.as_ref(),
            &case["grad_bias"],
        );
    }
}

#[test]
fn batch_norm_steps_match_pytorch() {
    let fx = fixture();
    let cases = fx["batch_norm"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for (k, case) in cases.iter().enumerate() {
        let bn = BatchNorm1d::<f64>::new(case["num_features"].as_u64().unwrap() as usize)
            .with_eps(case["eps"].as_f64().unwrap())
            .with_momentum(case["momentum"].as_f64())
            .with_affine(case["affine"].as_bool().unwrap())
            .with_track_running_stats(case["track_running_stats"].as_bool().unwrap());
        if let Some(w) = &bn.weight {
            w.set_data(tensor(&case["init"]["weight"]));
        }
        if let Some(b) = &bn.bias {
            b.set_data(tensor(&case["init"]["bias"]));
        }
        for (s, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let what = format!("bn {k} step {s}");
            if step["train"].as_bool().unwrap() {
                bn.train();
            } else {
                bn.eval();
            }
            bn.zero_grad();
            let x = Var::parameter(tensor(&step["input"]));
            let y = bn.forward(&x);
            assert_close(
                &format!("{what} output"),
                &y.value(),
                &tensor(&step["output"]),
            );
            y.backward_with(tensor(&step["cotangent"]));
            assert_close(
                &format!("{what} grad input"),
                &x.grad().unwrap(),
                &tensor(&step["grad_input"]),
            );
            assert_grad(
                &format!("{what} grad weight"),
                bn.weight.as_ref(),
                &step["grad_weight"],
            );
            assert_grad(
                &format!("{what} grad bias"),
                bn.bias.as_ref(),
                &step["grad_bias"],
            );
            let ours = bn.state_dict();
            let theirs = step["state_dict"].as_object().unwrap();
            let mut keys: Vec<&String> = theirs.keys().collect();
            keys.sort();
            assert_eq!(
                ours.keys().collect::<Vec<_>>(),
                keys,
                "{what} state dict keys"
            );
            for (name, want) in theirs {
                assert_close(&format!("{what} {name}"), &ours[name], &tensor(want));
            }
        }
    }
}

#[test]
fn embedding_matches_pytorch() {
    let fx = fixture();
    let cases = fx["embedding"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for (k, case) in cases.iter().enumerate() {
        let padding_idx = case["padding_idx"].as_u64().map(|p| p as usize);
        let emb = Embedding::<f64>::new(
            case["num_embeddings"].as_u64().unwrap() as usize,
            case["embedding_dim"].as_u64().unwrap() as usize,
            padding_idx,
            &mut Rng::seed_from_u64(0),
        );
        // PyTorch's table, padding row included (non-zero on purpose: only its gradient
        // is frozen, not its value).
        emb.weight.set_data(tensor(&case["weight"]));
        let idx: Vec<usize> = dims(&case["indices"]["data"]);
        let idx = Tensor::from_vec(idx, &dims(&case["indices"]["shape"])).unwrap();
        let y = emb.forward_indices(&idx);
        assert_close(
            &format!("emb {k} output"),
            &y.value(),
            &tensor(&case["output"]),
        );
        y.backward_with(tensor(&case["cotangent"]));
        assert_close(
            &format!("emb {k} grad weight"),
            &emb.weight.grad().unwrap(),
            &tensor(&case["grad_weight"]),
        );
    }
}
