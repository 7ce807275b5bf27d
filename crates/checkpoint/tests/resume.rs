//! Resuming is exact: 100 epochs straight and 50 epochs, a checkpoint, a fresh process and
//! 50 more epochs give bit-identical parameters, optimizer state and losses — with shuffled
//! mini-batches, dropout on and a learning-rate schedule crossing the resume point, for Adam
//! and for SGD with momentum.
//!
//! The fresh process is this test executable run again with `BPCKPT_CHILD` set, which makes
//! the otherwise empty test `child_process` do one phase of the split run.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use std::path::Path;
use std::process::Command;

use backprop_autograd::Var;
use backprop_checkpoint::Checkpoint;
use backprop_data::{ClassificationDataset, DataLoader, iris};
use backprop_nn::{CrossEntropyLoss, Module};
use backprop_optim::{Adam, AdamConfig, LrScheduler, Optimizer, Sgd, SgdConfig, StepLr};
use common::{Net, scratch};

const EPOCHS: u64 = 100;
const SPLIT: u64 = 50;

/// A training run: everything whose state decides what happens next.
struct Run {
    model: Net,
    opt: Box<dyn Optimizer<f32>>,
    sched: StepLr,
    loader: DataLoader<ClassificationDataset>,
    /// Every mini-batch loss so far.
    losses: Vec<f32>,
    epoch: u64,
    step: u64,
}

impl Run {
    /// A new run of optimizer `kind` (`"adam"` or `"sgd"`); `seed` sets the initial weights,
    /// the dropout generator and the shuffling.
    fn new(kind: &str, seed: u64) -> Run {
        let model = Net::iris(seed);
        let mut opt: Box<dyn Optimizer<f32>> = match kind {
            "adam" => Box::new(
                Adam::new(
                    model.parameters(),
                    AdamConfig {
                        lr: 0.01,
                        ..Default::default()
                    },
                )
                .unwrap(),
            ),
            "sgd" => Box::new(
                Sgd::new(
                    model.parameters(),
                    SgdConfig {
                        lr: 0.02,
                        momentum: 0.9,
                        ..Default::default()
                    },
                )
                .unwrap(),
            ),
            other => panic!("unknown optimizer {other}"),
        };
        // Halves the rate every 30 epochs: changes at 30, 60 and 90 straddle the split.
        let sched = StepLr::new(&mut opt, 30, 0.5).unwrap();
        let loader = DataLoader::new(iris(), 16).shuffle(seed + 1);
        Run {
            model,
            opt,
            sched,
            loader,
            losses: Vec::new(),
            epoch: 0,
            step: 0,
        }
    }

    fn train(&mut self, epochs: u64) {
        let loss_fn = CrossEntropyLoss::new();
        self.model.train();
        for _ in 0..epochs {
            for (x, y) in self.loader.iter() {
                self.opt.zero_grad();
                let loss = loss_fn.forward(&self.model.forward(&Var::new(x)), &y);
                loss.backward();
                self.opt.step();
                self.losses.push(loss.item());
                self.step += 1;
            }
            self.sched.step(&mut self.opt);
            self.epoch += 1;
        }
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint::capture(&self.model, &self.opt)
            .with_epoch(self.epoch)
            .with_step(self.step)
            .with_scheduler(&self.sched)
            .unwrap()
            .with_loader(self.loader.state())
            .with_rng("dropout", self.model.drop.rng_state())
            .with_extra("losses", &self.losses)
            .unwrap()
    }

    /// A run of optimizer `kind` continued from `ckpt`, built with other seeds than the saved
    /// run so that everything that matters has to come from the checkpoint.
    fn resume(kind: &str, ckpt: &Checkpoint) -> Run {
        let mut run = Run::new(kind, 1_000);
        ckpt.restore(&run.model, &mut run.opt).unwrap();
        run.sched = ckpt.scheduler().unwrap();
        run.loader.load_state(ckpt.loader_state().unwrap());
        run.model.drop.set_rng_state(ckpt.rng("dropout").unwrap());
        run.losses = ckpt.extra("losses").unwrap();
        run.epoch = ckpt.epoch;
        run.step = ckpt.step;
        run
    }
}

/// Bit patterns, so that `-0.0 != 0.0` and a NaN equals itself.
fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Checks that two checkpoints hold bit-identical parameters, optimizer state and losses.
fn assert_identical(a: &Checkpoint, b: &Checkpoint) {
    assert_eq!(
        a.model.keys().collect::<Vec<_>>(),
        b.model.keys().collect::<Vec<_>>()
    );
    for (name, t) in &a.model {
        assert_eq!(bits(&t.to_vec()), bits(&b.model[name].to_vec()), "{name}");
    }
    let (la, lb): (Vec<f32>, Vec<f32>) = (a.extra("losses").unwrap(), b.extra("losses").unwrap());
    assert_eq!(la.len(), lb.len());
    let first = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x.to_bits() != y.to_bits());
    assert_eq!(first, None, "losses differ from step {first:?}");
    assert_eq!(a.optimizer, b.optimizer);
    assert_eq!(a.scheduler, b.scheduler);
    assert_eq!(a.loader, b.loader);
    assert_eq!(a.rngs, b.rngs);
    assert_eq!((a.epoch, a.step), (b.epoch, b.step));
}

/// One phase of the split run, in a child process: `first` trains `SPLIT` epochs and saves
/// `first.ckpt`; `second` loads it, trains the rest and saves `final.ckpt`.
#[test]
fn child_process() {
    let Ok(phase) = std::env::var("BPCKPT_CHILD") else {
        return; // A normal test run: nothing to do.
    };
    let kind = std::env::var("BPCKPT_KIND").unwrap();
    let dir = std::path::PathBuf::from(std::env::var("BPCKPT_DIR").unwrap());
    match phase.as_str() {
        "first" => {
            let mut run = Run::new(&kind, 7);
            run.train(SPLIT);
            run.checkpoint().save(dir.join("first.ckpt")).unwrap();
        }
        "second" => {
            let ckpt = Checkpoint::load(dir.join("first.ckpt")).unwrap();
            let mut run = Run::resume(&kind, &ckpt);
            run.train(EPOCHS - SPLIT);
            run.checkpoint().save(dir.join("final.ckpt")).unwrap();
        }
        other => panic!("unknown phase {other}"),
    }
}

/// Runs `child_process` in a new process of this test executable.
fn run_child(phase: &str, kind: &str, dir: &Path) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("BPCKPT_CHILD", phase)
        .env("BPCKPT_KIND", kind)
        .env("BPCKPT_DIR", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child {phase} ({kind}) failed: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn resume_in_a_fresh_process_is_exact(kind: &str) {
    let dir = scratch(&format!("resume-{kind}"));
    run_child("first", kind, &dir);
    run_child("second", kind, &dir);
    let resumed = Checkpoint::load(dir.join("final.ckpt")).unwrap();

    let mut straight = Run::new(kind, 7);
    straight.train(EPOCHS);
    let straight = straight.checkpoint();
    assert_eq!(straight.epoch, EPOCHS);
    assert_eq!(straight.step, EPOCHS * 10); // 150 examples in batches of 16
    assert_identical(&straight, &resumed);

    // The run learned, so the comparison is about a real training trajectory.
    let losses: Vec<f32> = straight.extra("losses").unwrap();
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    assert!(
        mean(&losses[losses.len() - 50..]) < 0.5 * mean(&losses[..10]),
        "{kind} did not learn"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn adam_resumes_exactly_in_a_fresh_process() {
    resume_in_a_fresh_process_is_exact("adam");
}

#[test]
fn sgd_with_momentum_resumes_exactly_in_a_fresh_process() {
    resume_in_a_fresh_process_is_exact("sgd");
}

/// The comparison can fail: leaving out any one piece of state changes the run.
#[test]
fn leaving_out_any_piece_of_state_changes_the_run() {
    let mut run = Run::new("adam", 7);
    run.train(SPLIT);
    let ckpt = run.checkpoint();
    // 15 epochs, so that the schedule's step at epoch 60 is inside the continuation.
    run.train(15);
    let reference = run.checkpoint();

    let differs = |forget: &dyn Fn(&mut Run)| {
        let mut resumed = Run::resume("adam", &ckpt);
        forget(&mut resumed);
        resumed.train(15);
        let losses: Vec<f32> = resumed.checkpoint().extra("losses").unwrap();
        bits(&losses) != bits(&reference.extra::<Vec<f32>>("losses").unwrap())
    };
    assert!(!differs(&|_| {}), "a full resume must match");
    assert!(
        differs(&|r| r
            .model
            .drop
            .set_rng_state(backprop_tensor::Rng::seed_from_u64(1))),
        "dropout RNG"
    );
    assert!(
        differs(&|r| r.loader = DataLoader::new(iris(), 16).shuffle(8)),
        "loader RNG"
    );
    assert!(
        differs(&|r| r
            .opt
            .load_state_dict(Run::new("adam", 7).opt.state_dict())
            .unwrap()),
        "Adam moments"
    );
    assert!(
        differs(&|r| r.sched = StepLr::new(&mut r.opt, 30, 0.5).unwrap()),
        "scheduler"
    );
}
