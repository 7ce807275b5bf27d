//! The classic PyTorch tutorial, in backprop: an Iris classifier.
//!
//! MLP 4-8-9-3 with ReLU, `CrossEntropyLoss`, `Adam(lr = 0.01)`, 100 full-batch epochs of
//! `zero_grad(); loss.backward(); step()`, the loss printed every 10 epochs and plotted.
//!
//! ```sh
//! cargo run --release --example iris                       # the tutorial, seeded 80/20 split
//! cargo run --release --example iris -- \
//!     --init examples/data/iris-seed41/init.safetensors \
//!     --split examples/data/iris-seed41/split.json          # replay PyTorch's exact run
//! cargo run --release --example iris -- --help             # every flag
//! ```
//!
//! Writes `losses.csv`, `loss.svg`, `loss.png` and `model.safetensors` into `--out`
//! (default `out/iris`).

#[path = "support/mod.rs"]
mod support;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use backprop::checkpoint::Checkpoint;
use backprop::data::{DataLoader, TensorDataset, iris, train_test_split};
use backprop::nn::{CrossEntropyLoss, Linear, Module, load_safetensors, save_safetensors};
use backprop::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, RmsProp,
    RmsPropConfig, Sgd, SgdConfig,
};
use backprop::prelude::*;
use support::parse_num;

const USAGE: &str = "\
Train the PyTorch tutorial's Iris classifier (MLP 4-8-9-3, ReLU, cross-entropy, Adam).

usage: cargo run --release --example iris -- [options]

options:
  --epochs N          training epochs (default 100)
  --lr F              learning rate (default 0.01)
  --optimizer NAME    adam | adamw | sgd | rmsprop | adagrad (default adam)
  --momentum F        momentum for sgd / rmsprop (default 0)
  --hidden A,B,...    hidden layer sizes (default 8,9)
  --seed N            seed of the initial weights, split and shuffling (default 41)
  --batch-size N      mini-batch size; 0 = full batch (default 0)
  --init FILE         initial weights from a safetensors file (PyTorch key names)
  --split FILE        train/test row indices from a JSON file {\"train\": [..], \"test\": [..]}
  --out DIR           where to write losses.csv, loss.svg, loss.png, model.safetensors
                      (default out/iris)
  --checkpoint FILE   save a training checkpoint (model, optimizer, data order, losses)
                      every --checkpoint-every epochs and at the end
  --checkpoint-every N  epochs between checkpoints (default 10)
  --resume FILE       continue from a checkpoint up to --epochs (same model and optimizer
                      flags as the run that saved it)
  -h, --help          this text";

/// The tutorial's model: Linear layers named fc1, fc2, ..., out with ReLU between them.
struct Mlp {
    layers: Vec<(String, Linear)>,
}

impl Mlp {
    fn new(sizes: &[usize], rng: &mut Rng) -> Mlp {
        let n = sizes.len() - 1;
        let layers = (0..n)
            .map(|i| {
                let name = if i + 1 == n {
                    "out".to_string()
                } else {
                    format!("fc{}", i + 1)
                };
                (name, Linear::new(sizes[i], sizes[i + 1], rng))
            })
            .collect();
        Mlp { layers }
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Var) -> Var {
        let last = self.layers.len() - 1;
        let mut h = x.clone();
        for (i, (_, layer)) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if i < last {
                h = h.relu();
            }
        }
        h
    }

    fn children(&self) -> Vec<(&str, &dyn Module)> {
        self.layers
            .iter()
            .map(|(n, l)| (n.as_str(), l as &dyn Module))
            .collect()
    }
}

struct Args {
    epochs: usize,
    lr: f64,
    optimizer: String,
    momentum: f64,
    hidden: Vec<usize>,
    seed: u64,
    batch_size: usize,
    init: Option<PathBuf>,
    split: Option<PathBuf>,
    out: PathBuf,
    checkpoint: Option<PathBuf>,
    checkpoint_every: usize,
    resume: Option<PathBuf>,
}

fn parse_args(argv: &[String]) -> Result<Option<Args>, String> {
    let mut a = Args {
        epochs: 100,
        lr: 0.01,
        optimizer: "adam".into(),
        momentum: 0.0,
        hidden: vec![8, 9],
        seed: 41,
        batch_size: 0,
        init: None,
        split: None,
        out: PathBuf::from("out/iris"),
        checkpoint: None,
        checkpoint_every: 10,
        resume: None,
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--epochs" => a.epochs = parse_num(flag, &value()?)?,
            "--lr" => {
                a.lr = parse_num(flag, &value()?)?;
                if !(a.lr > 0.0 && a.lr.is_finite()) {
                    return Err(format!("--lr must be a positive number, got {}", a.lr));
                }
            }
            "--optimizer" => {
                let v = value()?;
                if !["adam", "adamw", "sgd", "rmsprop", "adagrad"].contains(&v.as_str()) {
                    return Err(format!(
                        "--optimizer must be one of adam, adamw, sgd, rmsprop, adagrad; got '{v}'"
                    ));
                }
                a.optimizer = v;
            }
            "--momentum" => a.momentum = parse_num(flag, &value()?)?,
            "--hidden" => {
                let v = value()?;
                a.hidden = v
                    .split(',')
                    .map(|s| parse_num::<usize>(flag, s.trim()))
                    .collect::<Result<_, _>>()?;
                if a.hidden.contains(&0) {
                    return Err(format!("--hidden sizes must be positive, got '{v}'"));
                }
            }
            "--seed" => a.seed = parse_num(flag, &value()?)?,
            "--batch-size" => a.batch_size = parse_num(flag, &value()?)?,
            "--init" => a.init = Some(PathBuf::from(value()?)),
            "--split" => a.split = Some(PathBuf::from(value()?)),
            "--out" => a.out = PathBuf::from(value()?),
            "--checkpoint" => a.checkpoint = Some(PathBuf::from(value()?)),
            "--checkpoint-every" => {
                a.checkpoint_every = parse_num(flag, &value()?)?;
                if a.checkpoint_every == 0 {
                    return Err("--checkpoint-every must be at least 1".into());
                }
            }
            "--resume" => a.resume = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown option '{other}' (see --help)")),
        }
    }
    Ok(Some(a))
}

/// Reads `{"train": [...], "test": [...]}` row indices, checking them against `n` rows.
fn read_split(path: &Path, n: usize) -> Result<(Vec<usize>, Vec<usize>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read split file {}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
    let list = |key: &str| -> Result<Vec<usize>, String> {
        let arr = json
            .get(key)
            .and_then(|v| v.as_array())
            .ok_or_else(|| format!("{}: missing array \"{key}\"", path.display()))?;
        arr.iter()
            .enumerate()
            .map(|(i, v)| match v.as_u64() {
                Some(x) if (x as usize) < n => Ok(x as usize),
                _ => Err(format!(
                    "{}: \"{key}\"[{i}] = {v} is not a row index below {n}",
                    path.display()
                )),
            })
            .collect()
    };
    Ok((list("train")?, list("test")?))
}

fn make_optimizer(a: &Args, params: Vec<Var>) -> Result<Box<dyn Optimizer<f32>>, String> {
    let lr = a.lr;
    let err = |e: backprop::optim::OptimError| e.to_string();
    Ok(match a.optimizer.as_str() {
        "adam" => Box::new(
            Adam::new(
                params,
                AdamConfig {
                    lr,
                    ..Default::default()
                },
            )
            .map_err(err)?,
        ),
        "adamw" => Box::new(
            AdamW::new(
                params,
                AdamWConfig {
                    lr,
                    ..Default::default()
                },
            )
            .map_err(err)?,
        ),
        "sgd" => Box::new(
            Sgd::new(
                params,
                SgdConfig {
                    lr,
                    momentum: a.momentum,
                    ..Default::default()
                },
            )
            .map_err(err)?,
        ),
        "rmsprop" => Box::new(
            RmsProp::new(
                params,
                RmsPropConfig {
                    lr,
                    momentum: a.momentum,
                    ..Default::default()
                },
            )
            .map_err(err)?,
        ),
        _ => Box::new(
            Adagrad::new(
                params,
                AdagradConfig {
                    lr,
                    ..Default::default()
                },
            )
            .map_err(err)?,
        ),
    })
}

fn labels_of(all: &[usize], rows: &[usize]) -> Tensor<usize> {
    Tensor::from_vec(rows.iter().map(|&i| all[i]).collect(), &[rows.len()])
        .expect("one label per row")
}

fn run(a: &Args) -> Result<(), String> {
    let data = iris();
    let n = data.labels.len();
    let (train, test) = match &a.split {
        Some(p) => read_split(p, n)?,
        None => train_test_split(n, 0.2, a.seed, None),
    };
    let x_train = Var::new(data.features.index_select(0, &train));
    let y_train = labels_of(&data.labels, &train);
    let x_test = Var::new(data.features.index_select(0, &test));
    let y_test = labels_of(&data.labels, &test);

    let mut sizes = vec![data.features.shape()[1]];
    sizes.extend(&a.hidden);
    sizes.push(data.class_names.len());
    let mut rng = Rng::seed_from_u64(a.seed);
    let model = Mlp::new(&sizes, &mut rng);
    if let Some(p) = &a.init {
        load_safetensors(&model, p).map_err(|e| format!("--init: {e}"))?;
    }
    let mut opt = make_optimizer(a, model.parameters())?;
    let criterion = CrossEntropyLoss::new();
    let mut loader = (a.batch_size > 0).then(|| {
        let ds = TensorDataset::new(
            x_train.value(),
            train.iter().map(|&i| data.labels[i]).collect(),
        )
        .expect("features and labels have one row each");
        DataLoader::new(ds, a.batch_size).shuffle(a.seed)
    });

    let mut losses: Vec<f32> = Vec::with_capacity(a.epochs);
    let mut start = 0;
    if let Some(p) = &a.resume {
        let ckpt = Checkpoint::<f32>::load(p).map_err(|e| format!("--resume: {e}"))?;
        ckpt.restore(&model, opt.as_mut())
            .map_err(|e| format!("--resume: {e}"))?;
        if let Some(loader) = &mut loader {
            let state = ckpt
                .loader_state()
                .map_err(|e| format!("--resume: {e} (was it saved with --batch-size?)"))?;
            loader.load_state(state);
        }
        losses = ckpt.extra("losses").map_err(|e| format!("--resume: {e}"))?;
        start = ckpt.epoch as usize;
        if start > a.epochs {
            return Err(format!(
                "--resume: the checkpoint is at epoch {start}, past --epochs {}",
                a.epochs
            ));
        }
        println!("Resumed from {} at epoch {start}", p.display());
    }

    let arch = sizes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("-");
    println!(
        "Iris: {} train / {} test rows, MLP {arch}, {} (lr {}), {} epochs, {}",
        train.len(),
        test.len(),
        a.optimizer,
        a.lr,
        a.epochs,
        if a.batch_size == 0 {
            "full batch".to_string()
        } else {
            format!("batches of {}", a.batch_size)
        }
    );
    let bar = (std::io::stdout().is_terminal() && a.epochs >= 1000).then(|| {
        let pb = indicatif::ProgressBar::new(a.epochs as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} epochs  loss {msg}")
                .expect("valid template"),
        );
        pb
    });

    for epoch in start..a.epochs {
        let loss = match &mut loader {
            None => {
                let loss = criterion.forward(&model.forward(&x_train), &y_train);
                opt.zero_grad();
                loss.backward();
                opt.step();
                loss.item()
            }
            Some(loader) => {
                let (mut total, mut count) = (0.0f64, 0usize);
                for (xb, yb) in loader.iter() {
                    let rows = yb.numel();
                    let loss = criterion.forward(&model.forward(&Var::new(xb)), &yb);
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                    total += loss.item() as f64 * rows as f64;
                    count += rows;
                }
                (total / count as f64) as f32
            }
        };
        losses.push(loss);
        if epoch % 10 == 0 {
            let line = format!("Epoch: {epoch} and loss: {loss}");
            match &bar {
                Some(pb) => pb.println(line),
                None => println!("{line}"),
            }
        }
        if let Some(pb) = &bar {
            pb.set_message(format!("{loss:.5}"));
            pb.inc(1);
        }
        if let Some(p) = &a.checkpoint {
            if (epoch + 1) % a.checkpoint_every == 0 || epoch + 1 == a.epochs {
                save_checkpoint(p, &model, opt.as_ref(), loader.as_ref(), epoch + 1, &losses)?;
            }
        }
    }
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }

    model.eval();
    let (test_loss, predicted) = no_grad(|| {
        let logits = model.forward(&x_test);
        let loss = criterion.forward(&logits, &y_test).item();
        (loss, logits.data().argmax(1, false))
    });
    let k = data.class_names.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (&t, &p) in y_test.to_vec().iter().zip(predicted.to_vec().iter()) {
        confusion[t][p] += 1;
    }
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let accuracy = correct as f64 / test.len().max(1) as f64;
    println!("Test loss: {test_loss}");
    println!("Test accuracy: {accuracy:.4} ({correct}/{})", test.len());
    let width = data
        .class_names
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(4)
        .max(10);
    println!("Confusion matrix (rows: true class, columns: predicted):");
    print!("  {:>width$}", "");
    for name in &data.class_names {
        print!(" {name:>width$}");
    }
    println!();
    for (i, row) in confusion.iter().enumerate() {
        print!("  {:>width$}", data.class_names[i]);
        for c in row {
            print!(" {c:>width$}");
        }
        println!();
    }

    std::fs::create_dir_all(&a.out)
        .map_err(|e| format!("cannot create output directory {}: {e}", a.out.display()))?;
    let csv = a.out.join("losses.csv");
    let rows: Vec<Vec<String>> = losses
        .iter()
        .enumerate()
        .map(|(i, l)| vec![i.to_string(), l.to_string()])
        .collect();
    support::write_csv(&csv, "epoch,loss", &rows)
        .map_err(|e| format!("cannot write {}: {e}", csv.display()))?;
    let curve: Vec<f64> = losses.iter().map(|&l| l as f64).collect();
    let (svg, png) = (a.out.join("loss.svg"), a.out.join("loss.png"));
    support::plot_curves(
        &format!("Iris MLP {arch}: training loss ({})", a.optimizer),
        "Cross-entropy loss",
        &[support::Series {
            name: "train loss",
            values: &curve,
            color: plotters::prelude::BLUE,
        }],
        &svg,
        &png,
    )
    .map_err(|e| format!("cannot draw the loss plot: {e}"))?;
    let weights = a.out.join("model.safetensors");
    save_safetensors(&model, &weights).map_err(|e| format!("cannot save weights: {e}"))?;
    println!(
        "Wrote {}, {}, {} and {}",
        csv.display(),
        svg.display(),
        png.display(),
        weights.display()
    );
    Ok(())
}

/// Everything needed to continue exactly: weights, optimizer state, the data loader's
/// shuffling state and the losses so far.
fn save_checkpoint(
    path: &Path,
    model: &Mlp,
    opt: &dyn Optimizer<f32>,
    loader: Option<&DataLoader>,
    epochs_done: usize,
    losses: &[f32],
) -> Result<(), String> {
    let mut ckpt = Checkpoint::capture(model, opt).with_epoch(epochs_done as u64);
    if let Some(l) = loader {
        ckpt = ckpt.with_loader(l.state());
    }
    ckpt.with_extra("losses", &losses.to_vec())
        .and_then(|c| c.save(path))
        .map_err(|e| format!("cannot save checkpoint: {e}"))
}

fn main() -> ExitCode {
    support::cli_main(USAGE, parse_args, run)
}
