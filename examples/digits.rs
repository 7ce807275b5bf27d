//! Handwritten digits: an MLP on scikit-learn's 8×8 images (1797 × 64 pixels, 10 classes).
//!
//! A stratified 80/20 split keeps each digit's share in both sets; the pixels are
//! standardized with a `StandardScaler` fitted on the training rows only (so nothing about
//! the test set leaks into training), or divided by 16 (their maximum) with
//! `--scaling div16`. An MLP 64-64-10 with ReLU (optionally dropout) is trained with Adam on
//! shuffled mini-batches; each epoch prints a table row with the training loss, training and
//! test accuracy and the time the epoch took.
//!
//! ```sh
//! cargo run --release --example digits                  # defaults: 30 epochs, ~97% test accuracy
//! cargo run --release --example digits -- --hidden 128,64 --dropout 0.2
//! cargo run --release --example digits -- --help        # every flag
//! ```
//!
//! Writes `metrics.csv`, `curves.svg`, `curves.png` and `model.safetensors` into `--out`
//! (default `out/digits`).

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use backprop::data::{ClassificationDataset, DataLoader, StandardScaler, digits, train_test_split};
use backprop::nn::{CrossEntropyLoss, Dropout, Linear, Module, ReLU, Sequential, save_safetensors};
use backprop::optim::{Adam, AdamConfig, Optimizer};
use backprop::prelude::*;
use support::parse_num;

const USAGE: &str = "\
Classify scikit-learn's 8x8 handwritten digits with an MLP trained on mini-batches (Adam).

usage: cargo run --release --example digits -- [options]

options:
  --epochs N          training epochs (default 30)
  --hidden A,B,...    hidden layer sizes (default 64)
  --lr F              Adam learning rate (default 0.002)
  --batch-size N      mini-batch size (default 32)
  --dropout F         dropout probability after each hidden layer (default 0)
  --scaling NAME      standard (StandardScaler fitted on the training rows) | div16
                      (default standard)
  --seed N            seed of the split, weights, dropout and shuffling (default 0)
  --out DIR           where to write metrics.csv, curves.svg, curves.png and
                      model.safetensors (default out/digits)
  -h, --help          this text";

struct Args {
    epochs: usize,
    hidden: Vec<usize>,
    lr: f64,
    batch_size: usize,
    dropout: f64,
    scaling: String,
    seed: u64,
    out: PathBuf,
}

fn parse_args(argv: &[String]) -> Result<Option<Args>, String> {
    let mut a = Args {
        epochs: 30,
        hidden: vec![64],
        lr: 0.002,
        batch_size: 32,
        dropout: 0.0,
        scaling: "standard".into(),
        seed: 0,
        out: PathBuf::from("out/digits"),
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
            "--lr" => {
                a.lr = parse_num(flag, &value()?)?;
                if !(a.lr > 0.0 && a.lr.is_finite()) {
                    return Err(format!("--lr must be a positive number, got {}", a.lr));
                }
            }
            "--batch-size" => {
                a.batch_size = parse_num(flag, &value()?)?;
                if a.batch_size == 0 {
                    return Err("--batch-size must be positive, got 0".into());
                }
            }
            "--dropout" => {
                a.dropout = parse_num(flag, &value()?)?;
                if !(0.0..1.0).contains(&a.dropout) {
                    return Err(format!(
                        "--dropout must be within [0, 1), got {}",
                        a.dropout
                    ));
                }
            }
            "--scaling" => {
                let v = value()?;
                if v != "standard" && v != "div16" {
                    return Err(format!("--scaling must be standard or div16, got '{v}'"));
                }
                a.scaling = v;
            }
            "--seed" => a.seed = parse_num(flag, &value()?)?,
            "--out" => a.out = PathBuf::from(value()?),
            other => return Err(format!("unknown option '{other}' (see --help)")),
        }
    }
    Ok(Some(a))
}

/// Linear layers of the given sizes with ReLU (and dropout, if `p > 0`) between them.
fn mlp(sizes: &[usize], dropout: f64, rng: &mut Rng) -> Sequential {
    let mut model = Sequential::new();
    for (i, pair) in sizes.windows(2).enumerate() {
        model = model.add(Linear::new(pair[0], pair[1], rng));
        if i + 2 < sizes.len() {
            model = model.add(ReLU::new());
            if dropout > 0.0 {
                model = model.add(Dropout::new(dropout, rng));
            }
        }
    }
    model
}

/// The fraction of rows of `data` that `model` classifies correctly (in eval mode, no graph).
fn accuracy(model: &Sequential, data: &ClassificationDataset) -> f64 {
    model.eval();
    let predicted = no_grad(|| {
        model
            .forward(&Var::new(data.features.clone()))
            .data()
            .argmax(1, false)
            .to_vec()
    });
    model.train();
    let correct = predicted
        .iter()
        .zip(&data.labels)
        .filter(|(p, t)| p == t)
        .count();
    correct as f64 / data.labels.len().max(1) as f64
}

fn run(a: &Args) -> Result<(), String> {
    let data = digits();
    let (train_idx, test_idx) =
        train_test_split(data.labels.len(), 0.2, a.seed, Some(&data.labels));
    let (mut train, mut test) = (data.subset(&train_idx), data.subset(&test_idx));
    if a.scaling == "standard" {
        let (scaler, x_train) = StandardScaler::fit_transform(&train.features);
        train.features = x_train;
        test.features = scaler.transform(&test.features);
    } else {
        train.features = train.features.mul_scalar(1.0 / 16.0);
        test.features = test.features.mul_scalar(1.0 / 16.0);
    }

    let mut sizes = vec![data.num_features()];
    sizes.extend(&a.hidden);
    sizes.push(data.num_classes());
    let arch = sizes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("-");
    let mut rng = Rng::seed_from_u64(a.seed);
    let model = mlp(&sizes, a.dropout, &mut rng);
    let mut opt = Adam::new(
        model.parameters(),
        AdamConfig {
            lr: a.lr,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let criterion = CrossEntropyLoss::new();
    let mut loader = DataLoader::new(train.clone(), a.batch_size).shuffle(a.seed);

    println!(
        "Digits: {} train / {} test images (8x8, {} scaling), MLP {arch} (ReLU{}), Adam (lr {}), \
         {} epochs, batches of {}",
        train.labels.len(),
        test.labels.len(),
        a.scaling,
        if a.dropout > 0.0 {
            format!(", dropout {}", a.dropout)
        } else {
            String::new()
        },
        a.lr,
        a.epochs,
        a.batch_size
    );
    println!(
        "{:>5}  {:>10}  {:>9}  {:>8}  {:>8}",
        "epoch", "train loss", "train acc", "test acc", "time ms"
    );
    let started = Instant::now();
    let mut history: Vec<[f64; 3]> = Vec::with_capacity(a.epochs);
    for epoch in 1..=a.epochs {
        let epoch_start = Instant::now();
        model.train();
        let (mut total, mut count) = (0.0f64, 0usize);
        for (xb, yb) in loader.iter() {
            let loss = criterion.forward(&model.forward(&Var::new(xb)), &yb);
            opt.zero_grad();
            loss.backward();
            opt.step();
            total += loss.item() as f64 * yb.numel() as f64;
            count += yb.numel();
        }
        let train_loss = total / count.max(1) as f64;
        let ms = epoch_start.elapsed().as_secs_f64() * 1e3;
        let (train_acc, test_acc) = (accuracy(&model, &train), accuracy(&model, &test));
        history.push([train_loss, train_acc, test_acc]);
        println!("{epoch:>5}  {train_loss:>10.6}  {train_acc:>9.4}  {test_acc:>8.4}  {ms:>8.1}");
    }
    let seconds = started.elapsed().as_secs_f64();

    let test_acc = accuracy(&model, &test);
    let correct = (test_acc * test.labels.len() as f64).round();
    println!("Training took {seconds:.2} s");
    println!(
        "Test accuracy: {test_acc:.4} ({correct}/{})",
        test.labels.len()
    );

    std::fs::create_dir_all(&a.out)
        .map_err(|e| format!("cannot create output directory {}: {e}", a.out.display()))?;
    let csv = a.out.join("metrics.csv");
    support::write_history(
        &csv,
        "epoch,train_loss,train_accuracy,test_accuracy",
        &history,
    )?;
    let column = |k: usize| support::column(&history, k);
    let (loss_curve, train_acc_curve, test_acc_curve) = (column(0), column(1), column(2));
    let (svg, png) = (a.out.join("curves.svg"), a.out.join("curves.png"));
    support::plot_curves(
        &format!("Digits, MLP {arch}: loss and accuracy"),
        "Cross-entropy loss / accuracy",
        &[
            support::Series {
                name: "train loss",
                values: &loss_curve,
                color: plotters::prelude::BLUE,
            },
            support::Series {
                name: "train accuracy",
                values: &train_acc_curve,
                color: plotters::prelude::RGBColor(255, 127, 14),
            },
            support::Series {
                name: "test accuracy",
                values: &test_acc_curve,
                color: plotters::prelude::RGBColor(0, 150, 0),
            },
        ],
        &svg,
        &png,
    )
    .map_err(|e| format!("cannot draw the curves: {e}"))?;
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

fn main() -> ExitCode {
    support::cli_main(USAGE, parse_args, run)
}
