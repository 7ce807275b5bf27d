//! Two moons: a small MLP learns a curved decision boundary from mini-batches.
//!
//! Two interleaving half circles with Gaussian noise (`make_moons`, seeded) are split 80/20
//! into training and validation points. An MLP 2-16-16-2 with tanh is trained with Adam on
//! shuffled mini-batches from a `DataLoader`; each epoch prints the mean training loss and
//! the validation loss and accuracy. At the end the model classifies every cell of a grid
//! over the plane, and the regions are drawn with the data points on top.
//!
//! ```sh
//! cargo run --release --example moons                 # defaults: 1000 points, noise 0.2
//! cargo run --release --example moons -- --noise 0.3 --activation relu --hidden 32,32
//! cargo run --release --example moons -- --help       # every flag
//! ```
//!
//! Writes `metrics.csv`, `curves.svg`, `curves.png`, `boundary.svg`, `boundary.png` and
//! `model.safetensors` into `--out` (default `out/moons`).

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use backprop::data::{ClassificationDataset, DataLoader, make_moons, train_test_split};
use backprop::nn::{CrossEntropyLoss, Linear, Module, ReLU, Sequential, Tanh, save_safetensors};
use backprop::optim::{Adam, AdamConfig, Optimizer};
use backprop::prelude::*;
use support::parse_num;

const USAGE: &str = "\
Classify two noisy interleaving half circles with an MLP trained on mini-batches (Adam).

usage: cargo run --release --example moons -- [options]

options:
  --samples N         number of points (default 1000)
  --noise F           standard deviation of the Gaussian noise (default 0.2)
  --epochs N          training epochs (default 60)
  --lr F              Adam learning rate (default 0.01)
  --batch-size N      mini-batch size (default 32)
  --hidden A,B,...    hidden layer sizes (default 16,16)
  --activation NAME   tanh | relu (default tanh)
  --seed N            seed of the data, split, weights and shuffling (default 0)
  --out DIR           where to write metrics.csv, curves.*, boundary.* and
                      model.safetensors (default out/moons)
  -h, --help          this text";

struct Args {
    samples: usize,
    noise: f64,
    epochs: usize,
    lr: f64,
    batch_size: usize,
    hidden: Vec<usize>,
    activation: String,
    seed: u64,
    out: PathBuf,
}

fn parse_args(argv: &[String]) -> Result<Option<Args>, String> {
    let mut a = Args {
        samples: 1000,
        noise: 0.2,
        epochs: 60,
        lr: 0.01,
        batch_size: 32,
        hidden: vec![16, 16],
        activation: "tanh".into(),
        seed: 0,
        out: PathBuf::from("out/moons"),
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
            "--samples" => {
                a.samples = parse_num(flag, &value()?)?;
                // Both the training and the validation set need points of both moons.
                if a.samples < 10 {
                    return Err(format!("--samples must be at least 10, got {}", a.samples));
                }
            }
            "--noise" => {
                a.noise = parse_num(flag, &value()?)?;
                if !(a.noise >= 0.0 && a.noise.is_finite()) {
                    return Err(format!(
                        "--noise must be a non-negative number, got {}",
                        a.noise
                    ));
                }
            }
            "--epochs" => a.epochs = parse_num(flag, &value()?)?,
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
            "--hidden" => a.hidden = parse_sizes(flag, &value()?)?,
            "--activation" => {
                let v = value()?;
                if v != "tanh" && v != "relu" {
                    return Err(format!("--activation must be tanh or relu, got '{v}'"));
                }
                a.activation = v;
            }
            "--seed" => a.seed = parse_num(flag, &value()?)?,
            "--out" => a.out = PathBuf::from(value()?),
            other => return Err(format!("unknown option '{other}' (see --help)")),
        }
    }
    Ok(Some(a))
}

fn parse_sizes(flag: &str, v: &str) -> Result<Vec<usize>, String> {
    let sizes: Vec<usize> = v
        .split(',')
        .map(|s| parse_num::<usize>(flag, s.trim()))
        .collect::<Result<_, _>>()?;
    if sizes.contains(&0) {
        return Err(format!("{flag} sizes must be positive, got '{v}'"));
    }
    Ok(sizes)
}

/// Linear layers of the given sizes with the activation between them (none after the last).
fn mlp(sizes: &[usize], activation: &str, rng: &mut Rng) -> Sequential {
    let mut model = Sequential::new();
    for (i, pair) in sizes.windows(2).enumerate() {
        model = model.add(Linear::new(pair[0], pair[1], rng));
        if i + 2 < sizes.len() {
            model = match activation {
                "relu" => model.add(ReLU::new()),
                _ => model.add(Tanh::new()),
            };
        }
    }
    model
}

/// The mean loss and the accuracy of `model` on a whole set, without recording a graph.
fn evaluate(model: &Sequential, data: &ClassificationDataset) -> (f32, f64) {
    let criterion = CrossEntropyLoss::new();
    no_grad(|| {
        let labels =
            Tensor::from_vec(data.labels.clone(), &[data.labels.len()]).expect("one label per row");
        let logits = model.forward(&Var::new(data.features.clone()));
        let loss = criterion.forward(&logits, &labels).item();
        let predicted = logits.data().argmax(1, false).to_vec();
        let correct = predicted
            .iter()
            .zip(&data.labels)
            .filter(|(p, t)| p == t)
            .count();
        (loss, correct as f64 / data.labels.len().max(1) as f64)
    })
}

fn run(a: &Args) -> Result<(), String> {
    let data = make_moons(a.samples, a.noise, a.seed);
    let (train_idx, val_idx) = train_test_split(data.labels.len(), 0.2, a.seed, Some(&data.labels));
    let (train, val) = (data.subset(&train_idx), data.subset(&val_idx));

    let mut sizes = vec![data.num_features()];
    sizes.extend(&a.hidden);
    sizes.push(data.num_classes());
    let arch = sizes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("-");
    let mut rng = Rng::seed_from_u64(a.seed);
    let model = mlp(&sizes, &a.activation, &mut rng);
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
        "Two moons: {} train / {} validation points (noise {}), MLP {arch} ({}), Adam (lr {}), \
         {} epochs, batches of {}",
        train.labels.len(),
        val.labels.len(),
        a.noise,
        a.activation,
        a.lr,
        a.epochs,
        a.batch_size
    );
    println!(
        "{:>5}  {:>10}  {:>10}  {:>8}",
        "epoch", "train loss", "val loss", "val acc"
    );
    let mut history: Vec<[f64; 3]> = Vec::with_capacity(a.epochs);
    for epoch in 1..=a.epochs {
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
        model.eval();
        let (val_loss, val_acc) = evaluate(&model, &val);
        history.push([train_loss, val_loss as f64, val_acc]);
        println!("{epoch:>5}  {train_loss:>10.6}  {val_loss:>10.6}  {val_acc:>8.4}");
    }

    model.eval();
    let (_, train_acc) = evaluate(&model, &train);
    let (val_loss, val_acc) = evaluate(&model, &val);
    println!("Train accuracy: {train_acc:.4}");
    println!("Validation loss: {val_loss:.6}");
    println!(
        "Validation accuracy: {val_acc:.4} ({}/{})",
        (val_acc * val.labels.len() as f64).round(),
        val.labels.len()
    );

    std::fs::create_dir_all(&a.out)
        .map_err(|e| format!("cannot create output directory {}: {e}", a.out.display()))?;
    let csv = a.out.join("metrics.csv");
    support::write_history(&csv, "epoch,train_loss,val_loss,val_accuracy", &history)?;
    let column = |k: usize| support::column(&history, k);
    let (train_loss_curve, val_loss_curve, val_acc_curve) = (column(0), column(1), column(2));
    let (curves_svg, curves_png) = (a.out.join("curves.svg"), a.out.join("curves.png"));
    support::plot_curves(
        &format!("Two moons, MLP {arch}: loss and accuracy"),
        "Cross-entropy loss / accuracy",
        &[
            support::Series {
                name: "train loss",
                values: &train_loss_curve,
                color: plotters::prelude::BLUE,
            },
            support::Series {
                name: "validation loss",
                values: &val_loss_curve,
                color: plotters::prelude::RED,
            },
            support::Series {
                name: "validation accuracy",
                values: &val_acc_curve,
                color: plotters::prelude::RGBColor(0, 150, 0),
            },
        ],
        &curves_svg,
        &curves_png,
    )
    .map_err(|e| format!("cannot draw the curves: {e}"))?;

    let features = data.features.to_vec();
    let points: Vec<support::LabeledPoint> = features
        .chunks(2)
        .zip(&data.labels)
        .map(|(xy, &class)| support::LabeledPoint {
            x: xy[0] as f64,
            y: xy[1] as f64,
            class,
        })
        .collect();
    let (boundary_svg, boundary_png) = (a.out.join("boundary.svg"), a.out.join("boundary.png"));
    let predict = |grid: &[(f64, f64)]| -> Vec<usize> {
        let flat = grid
            .iter()
            .flat_map(|&(x, y)| [x as f32, y as f32])
            .collect();
        let x = Tensor::from_vec(flat, &[grid.len(), 2]).expect("two coordinates per point");
        no_grad(|| model.forward(&Var::new(x)).data().argmax(1, false).to_vec())
    };
    support::plot_decision_boundary(
        &support::BoundaryPlot {
            title: &format!(
                "Two moons (noise {}): MLP {arch} decision regions, val acc {val_acc:.3}",
                a.noise
            ),
            axes: ("x0", "x1"),
            points: &points,
            class_names: &["upper moon (0)", "lower moon (1)"],
            resolution: 200,
            palette: &support::PALETTE,
        },
        predict,
        &boundary_svg,
        &boundary_png,
    )
    .map_err(|e| format!("cannot draw the decision boundary: {e}"))?;

    let weights = a.out.join("model.safetensors");
    save_safetensors(&model, &weights).map_err(|e| format!("cannot save weights: {e}"))?;
    println!(
        "Wrote {}, {}, {}, {}, {} and {}",
        csv.display(),
        curves_svg.display(),
        curves_png.display(),
        boundary_svg.display(),
        boundary_png.display(),
        weights.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    support::cli_main(USAGE, parse_args, run)
}
