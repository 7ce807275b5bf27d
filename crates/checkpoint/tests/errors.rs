//! Saving and loading every part, and every way loading or restoring can fail: each is a
//! typed error naming the file, and a failed restore changes nothing.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use backprop_autograd::Var;
use backprop_checkpoint::{Checkpoint, CheckpointError};
use backprop_data::{ClassificationDataset, DataLoader, iris};
use backprop_nn::{CrossEntropyLoss, Linear, Module, StateDictError, save_safetensors};
use backprop_optim::{Adam, AdamConfig, LrScheduler, Optimizer, Sgd, SgdConfig, StepLr};
use backprop_tensor::{DType, Float, Rng, Tensor};
use common::{Net, framed, scratch};

/// An Iris model, its Adam optimizer and scheduler after `steps` mini-batch steps.
fn trained(steps: usize) -> (Net, Adam<f32>, StepLr, DataLoader<ClassificationDataset>) {
    let model = Net::iris(1);
    let mut opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    let mut sched = StepLr::new(&mut opt, 2, 0.5).unwrap();
    let mut loader = DataLoader::new(iris(), 16).shuffle(3);
    let loss_fn = CrossEntropyLoss::new();
    for (x, y) in loader.iter().take(steps) {
        opt.zero_grad();
        loss_fn.forward(&model.forward(&Var::new(x)), &y).backward();
        opt.step();
        sched.step(&mut opt);
    }
    (model, opt, sched, loader)
}

/// A full checkpoint of [`trained`] saved at `path`.
fn saved(path: &Path) -> Checkpoint {
    let (model, opt, sched, loader) = trained(3);
    let ckpt = Checkpoint::capture(&model, &opt)
        .with_epoch(1)
        .with_step(3)
        .with_scheduler(&sched)
        .unwrap()
        .with_loader(loader.state())
        .with_rng("dropout", model.drop.rng_state())
        .with_extra("losses", &vec![1.5f32, 1.25, 1.0])
        .unwrap();
    ckpt.save(path).unwrap();
    ckpt
}

fn starts_with_path(e: &CheckpointError, path: &Path) {
    let message = e.to_string();
    assert!(
        message.starts_with(&format!("{}: ", path.display())),
        "{message}"
    );
}

#[test]
fn every_part_round_trips_through_a_file() {
    let dir = scratch("round-trip");
    let path = dir.join("a.ckpt");
    let ckpt = saved(&path);
    let back = Checkpoint::<f32>::load(&path).unwrap();
    assert_eq!(back, ckpt);
    assert_eq!(back.path(), path);
    assert_eq!(std::fs::read(&path).unwrap(), ckpt.to_bytes().unwrap());
    assert_eq!((back.epoch, back.step), (1, 3));
    let (_, opt, sched, loader) = trained(3);
    assert_eq!(back.scheduler::<StepLr>().unwrap(), sched);
    assert_eq!(back.loader_state().unwrap(), loader.state());
    assert_eq!(back.extra::<Vec<f32>>("losses").unwrap(), [1.5, 1.25, 1.0]);
    assert_eq!(back.optimizer, opt.state_dict());
    // Adam's moments and step counts are really in there.
    assert_eq!(back.optimizer.state.len(), 6);
    assert!(
        back.optimizer
            .state
            .values()
            .all(|s| s.buffers().len() == 2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn restore_puts_back_model_and_optimizer() {
    let dir = scratch("restore");
    let path = dir.join("a.ckpt");
    saved(&path);
    let (model, opt, _, _) = trained(3);
    let fresh = Net::iris(99);
    let mut fresh_opt = Adam::new(
        fresh.parameters(),
        AdamConfig {
            lr: 0.5,
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(fresh.state_dict(), model.state_dict());
    let ckpt = Checkpoint::load(&path).unwrap();
    ckpt.restore(&fresh, &mut fresh_opt).unwrap();
    fresh.drop.set_rng_state(ckpt.rng("dropout").unwrap());
    assert_eq!(fresh.state_dict(), model.state_dict());
    assert_eq!(fresh_opt.state_dict(), opt.state_dict());
    assert_eq!(fresh.drop.rng_state(), model.drop.rng_state());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_level_errors_name_the_file() {
    let dir = scratch("file-errors");
    let good = dir.join("good.ckpt");
    saved(&good);
    let bytes = std::fs::read(&good).unwrap();
    let load = |name: &str, content: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let e = Checkpoint::<f32>::load(&path).unwrap_err();
        starts_with_path(&e, &path);
        e
    };

    let missing = dir.join("missing.ckpt");
    let e = Checkpoint::<f32>::load(&missing).unwrap_err();
    assert!(matches!(e, CheckpointError::NotFound { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!("{}: no such checkpoint file", missing.display())
    );

    // A weights-only safetensors file is not a checkpoint.
    let st = dir.join("model.safetensors");
    save_safetensors(&Net::<f32>::iris(1), &st).unwrap();
    let e = Checkpoint::<f32>::load(&st).unwrap_err();
    assert!(matches!(e, CheckpointError::NotACheckpoint { .. }), "{e}");
    starts_with_path(&e, &st);

    let mut newer = bytes.clone();
    newer[8] = 2;
    let e = load("newer.ckpt", &newer);
    assert!(
        matches!(
            e,
            CheckpointError::NewerVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("version 2 is newer"), "{e}");

    let e = load("half.ckpt", &bytes[..bytes.len() / 2]);
    assert!(matches!(e, CheckpointError::Truncated { .. }), "{e}");
    let e = load("longer.ckpt", &[&bytes[..], b"\n"].concat());
    assert!(
        matches!(e, CheckpointError::TrailingBytes { extra: 1, .. }),
        "{e}"
    );

    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x10;
    let e = load("flipped.ckpt", &flipped);
    assert!(matches!(e, CheckpointError::ChecksumMismatch { .. }), "{e}");
    assert!(e.to_string().contains("corrupted"), "{e}");

    // A well-framed payload that is not a checkpoint.
    let e = load("foreign.ckpt", &framed(b"\x00hello, world"));
    assert!(matches!(e, CheckpointError::Decode { .. }), "{e}");

    // A header claiming an absurd payload is refused before anything is allocated.
    let mut huge = bytes[..24].to_vec();
    huge[12..20].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    let e = load("huge.ckpt", &huge);
    assert!(matches!(e, CheckpointError::TooLarge { .. }), "{e}");
    huge[12..20].copy_from_slice(&(1u64 << 33).to_le_bytes());
    let e = load("big.ckpt", &huge);
    assert!(
        matches!(e, CheckpointError::Truncated { expected, .. } if expected == 24 + (1 << 33)),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_f64_checkpoint_loaded_as_f32_is_a_dtype_error() {
    let dir = scratch("dtype");
    let path = dir.join("f64.ckpt");
    let model = Net::<f64>::iris(1);
    let opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    Checkpoint::capture(&model, &opt).save(&path).unwrap();
    let e = Checkpoint::<f32>::load(&path).unwrap_err();
    assert!(
        matches!(
            e,
            CheckpointError::DType {
                found: DType::F64,
                expected: DType::F32,
                ..
            }
        ),
        "{e}"
    );
    starts_with_path(&e, &path);
    assert!(Checkpoint::<f64>::load(&path).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Restores `ckpt` into `model` and `opt`, checks that it failed and changed nothing.
fn restore_fails<T: Float, M: Module<T>, O: Optimizer<T>>(
    ckpt: &Checkpoint<T>,
    model: &M,
    opt: &mut O,
) -> CheckpointError {
    let (model_before, opt_before) = (model.state_dict(), opt.state_dict());
    let e = ckpt.restore(model, opt).unwrap_err();
    assert_eq!(model.state_dict(), model_before, "{e}");
    assert_eq!(opt.state_dict(), opt_before, "{e}");
    e
}

#[test]
fn parameter_mismatches_are_named_and_change_nothing() {
    let dir = scratch("params");
    let path = dir.join("a.ckpt");
    let good = saved(&path);
    let model = Net::<f32>::iris(5);
    let mut opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    let reload = |ckpt: &Checkpoint| {
        ckpt.save(&path).unwrap();
        Checkpoint::load(&path).unwrap()
    };

    let mut transposed = good.clone();
    let w = transposed.model["fc2.weight"].t();
    transposed.model.insert("fc2.weight".into(), w);
    let e = restore_fails(&reload(&transposed), &model, &mut opt);
    assert_eq!(
        e.to_string(),
        format!(
            "{}: fc2.weight: expected [9, 8], found [8, 9]",
            path.display()
        )
    );

    let mut missing = good.clone();
    missing.model.remove("out.bias");
    let e = restore_fails(&reload(&missing), &model, &mut opt);
    assert!(
        matches!(&e, CheckpointError::MissingParameter { name, .. } if name == "out.bias"),
        "{e}"
    );
    starts_with_path(&e, &path);

    let mut extra = good.clone();
    extra
        .model
        .insert("fc3.weight".into(), Tensor::zeros(&[2, 2]));
    let e = restore_fails(&reload(&extra), &model, &mut opt);
    assert!(
        matches!(&e, CheckpointError::UnexpectedParameter { name, .. } if name == "fc3.weight"),
        "{e}"
    );

    // A wider model: the first layer already differs.
    let wide = Net::new([4, 16, 9, 3], 0.2, 1);
    let mut wide_opt = Adam::new(wide.parameters(), AdamConfig::default()).unwrap();
    let e = restore_fails(&good, &wide, &mut wide_opt);
    assert_eq!(
        e.to_string(),
        "<memory>: fc1.weight: expected [16, 4], found [8, 4]"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn optimizer_state_for_other_parameters_is_refused_and_changes_nothing() {
    let dir = scratch("optim");
    let path = dir.join("a.ckpt");
    saved(&path);
    let ckpt = Checkpoint::<f32>::load(&path).unwrap();
    let model = Net::iris(5);

    // Another kind of optimizer.
    let mut sgd = Sgd::new(
        model.parameters(),
        SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            ..Default::default()
        },
    )
    .unwrap();
    let e = restore_fails(&ckpt, &model, &mut sgd);
    assert!(matches!(e, CheckpointError::Optimizer { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("saved by Adam, cannot load it into SGD"),
        "{e}"
    );
    starts_with_path(&e, &path);

    // The right kind, over only some of the parameters.
    let mut partial = Adam::new(model.fc1.parameters(), AdamConfig::default()).unwrap();
    let e = restore_fails(&ckpt, &model, &mut partial);
    assert!(
        e.to_string()
            .contains("saved group 0 has 6 parameters, the optimizer's group has 2"),
        "{e}"
    );

    // The right kind and count, but parameters of other shapes (a list in another order).
    let mut params = model.parameters();
    params.reverse();
    let mut reordered = Adam::new(params, AdamConfig::default()).unwrap();
    let e = restore_fails(&ckpt, &model, &mut reordered);
    assert!(matches!(e, CheckpointError::Optimizer { .. }), "{e}");
    assert!(e.to_string().contains("group 0, param 0"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A module that refuses every state dict, as a custom module with extra checks might.
struct Refusing(Linear);

impl Module for Refusing {
    fn forward(&self, x: &Var) -> Var {
        self.0.forward(x)
    }
    fn children(&self) -> Vec<(&str, &dyn Module)> {
        vec![("lin", &self.0)]
    }
    fn load_state_dict(
        &self,
        _: &BTreeMap<String, Tensor<f32>>,
        _: bool,
    ) -> Result<(), StateDictError> {
        Err(StateDictError::MissingKey("calibration".into()))
    }
}

#[test]
fn a_model_refusing_late_leaves_the_optimizer_unchanged() {
    let mut rng = Rng::seed_from_u64(0);
    let model = Refusing(Linear::new(2, 2, &mut rng));
    let mut opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    model
        .forward(&Var::new(Tensor::ones(&[1, 2])))
        .sum()
        .backward();
    opt.step();
    let ckpt = Checkpoint::capture(&model, &opt);
    let other = Refusing(Linear::new(2, 2, &mut rng));
    let mut other_opt = Adam::new(
        other.parameters(),
        AdamConfig {
            lr: 0.3,
            ..Default::default()
        },
    )
    .unwrap();
    let e = restore_fails(&ckpt, &other, &mut other_opt);
    assert!(matches!(e, CheckpointError::Model { .. }), "{e}");
    assert!(e.to_string().contains("calibration"), "{e}");
}

#[test]
fn absent_parts_are_missing_errors() {
    let model = Net::<f32>::iris(1);
    let opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    let ckpt = Checkpoint::capture(&model, &opt);
    for e in [
        ckpt.scheduler::<StepLr>().unwrap_err(),
        ckpt.loader_state().unwrap_err(),
        ckpt.rng("dropout").unwrap_err(),
        ckpt.extra::<f32>("best").unwrap_err(),
    ] {
        assert!(matches!(e, CheckpointError::Missing { .. }), "{e}");
    }
    assert_eq!(
        ckpt.rng("dropout").unwrap_err().to_string(),
        "<memory>: the checkpoint holds no RNG \"dropout\""
    );
    // An extra of the wrong type fails to decode rather than returning garbage.
    let ckpt = ckpt.with_extra("best", &0.25f64).unwrap();
    assert_eq!(ckpt.extra::<f64>("best").unwrap(), 0.25);
    let e = ckpt.extra::<String>("best").unwrap_err();
    assert!(matches!(e, CheckpointError::Decode { .. }), "{e}");
}
