//! The PyTorch tutorial reproduced to the digit: the same initial weights, the same 120
//! training rows, Adam(lr = 0.01) for 100 full-batch epochs — every epoch's loss must match
//! PyTorch's within 1e-5 relative, and so must the test accuracy.

use std::path::PathBuf;

use backprop::data::iris;
use backprop::nn::{CrossEntropyLoss, Linear, Module, load_safetensors, read_safetensors};
use backprop::optim::{Adam, AdamConfig, Optimizer};
use backprop::prelude::*;

struct Model {
    fc1: Linear,
    fc2: Linear,
    out: Linear,
}

impl Module for Model {
    fn forward(&self, x: &Var) -> Var {
        let x = self.fc1.forward(x).relu();
        let x = self.fc2.forward(&x).relu();
        self.out.forward(&x)
    }
    fn children(&self) -> Vec<(&str, &dyn Module)> {
        vec![("fc1", &self.fc1), ("fc2", &self.fc2), ("out", &self.out)]
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data/iris-seed41")
        .join(name)
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn indices(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn tutorial_run_matches_pytorch_epoch_by_epoch() {
    let expected = json("expected.json");
    let split = json("split.json");
    let (train, test) = (indices(&split["train"]), indices(&split["test"]));
    let data = iris();
    let x_train = Var::new(data.features.index_select(0, &train));
    let y_train = Tensor::from_vec(train.iter().map(|&i| data.labels[i]).collect(), &[train.len()]).unwrap();
    let x_test = Var::new(data.features.index_select(0, &test));
    let y_test = Tensor::from_vec(test.iter().map(|&i| data.labels[i]).collect(), &[test.len()]).unwrap();

    let mut rng = Rng::seed_from_u64(0);
    let model = Model {
        fc1: Linear::new(4, 8, &mut rng),
        fc2: Linear::new(8, 9, &mut rng),
        out: Linear::new(9, 3, &mut rng),
    };
    load_safetensors(&model, fixture("init.safetensors")).unwrap();
    let mut opt = Adam::new(model.parameters(), AdamConfig { lr: 0.01, ..Default::default() }).unwrap();
    let criterion = CrossEntropyLoss::new();

    let want: Vec<f64> = expected["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(want.len(), 100);
    let mut worst = (0.0f64, 0usize);
    for (epoch, &w) in want.iter().enumerate() {
        let loss = criterion.forward(&model.forward(&x_train), &y_train);
        let got = loss.item() as f64;
        let rel = (got - w).abs() / w.abs();
        if rel > worst.0 {
            worst = (rel, epoch);
        }
        assert!(
            rel <= 1e-5,
            "epoch {epoch}: loss {got} vs PyTorch {w} (relative difference {rel:.3e})"
        );
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    println!(
        "largest relative loss difference vs PyTorch: {:.3e} (epoch {})",
        worst.0, worst.1
    );

    // The trained weights against PyTorch's, and the test metrics.
    let final_weights = read_safetensors::<f32>(fixture("final.safetensors")).unwrap();
    for (name, p) in model.named_parameters() {
        let want = &final_weights[&name];
        assert!(
            p.value().allclose(want, 1e-4, 1e-6),
            "{name}: trained weights differ from PyTorch's"
        );
    }
    let (test_loss, accuracy) = no_grad(|| {
        let logits = model.forward(&x_test);
        let loss = criterion.forward(&logits, &y_test).item() as f64;
        let pred = logits.data().argmax(1, false).to_vec();
        let correct = pred.iter().zip(y_test.to_vec()).filter(|(p, t)| **p == *t).count();
        (loss, correct as f64 / test.len() as f64)
    });
    let want_acc = expected["test_accuracy"].as_f64().unwrap();
    let want_loss = expected["test_loss"].as_f64().unwrap();
    assert!((accuracy - want_acc).abs() < 1e-6, "accuracy {accuracy} vs {want_acc}");
    assert!(
        (test_loss - want_loss).abs() / want_loss <= 1e-5,
        "test loss {test_loss} vs {want_loss}"
    );
}
