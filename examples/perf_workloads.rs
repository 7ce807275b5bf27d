//! Times the performance workloads W1–W4 (see `docs/performance.md`) and prints one JSON
//! object per line: `{"workload": "w2", "median_s": ..., "runs": ...}`. `--only` also takes
//! the convolution and pooling workloads `conv3x3`, `conv5x5`, `maxpool` and `avgpool` (one
//! forward + backward each, the shapes of `crates/autograd/benches/conv_pool.rs`). With `--memory`, also
//! trains W2 for 1,000 steps and reports the resident set size after 10 and after 1,000
//! steps. `benches/reference/pytorch_reference.py` runs this and PyTorch side by side.
//!
//! Run: `cargo run --release --example perf_workloads [-- --threads N] [--memory]
//! [--only w1,w4] [--seconds S] [--count N]`

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../benches/support/workloads.rs"]
mod workloads;

use backprop::autograd::{AvgPool2dOptions, Conv2dOptions, Pool2dOptions, Var};
use backprop::tensor::{Rng, Tensor};
use workloads::{W1, W2, W3, W4};

/// The convolution and pooling workloads, by name.
const CONV_POOL: [&str; 4] = ["conv3x3", "conv5x5", "maxpool", "avgpool"];

/// One forward + backward of the convolution or pooling workload `name` (summed output):
/// conv 3×3 with padding 1, [16, 16, 32, 32] to 32 channels; conv 5×5, [64, 1, 28, 28] to
/// 8 channels; 2×2 max and average pooling of [16, 32, 32, 32].
fn conv_pool(name: &str) -> Box<dyn FnMut()> {
    let mut rng = Rng::seed_from_u64(0);
    let mut conv = |shape: [usize; 4], c_out: usize, k: usize, pad: usize| -> Box<dyn FnMut()> {
        let x = Var::parameter(Tensor::<f32>::randn(&shape, &mut rng));
        let w = Var::parameter(Tensor::<f32>::randn(&[c_out, shape[1], k, k], &mut rng));
        let b = Var::parameter(Tensor::<f32>::randn(&[c_out], &mut rng));
        let opts = Conv2dOptions::default().padding(pad);
        Box::new(move || {
            let y = x.conv2d(&w, Some(&b), opts).sum();
            y.backward();
            for p in [&x, &w, &b] {
                p.zero_grad();
            }
            black_box(y);
        })
    };
    match name {
        "conv3x3" => conv([16, 16, 32, 32], 32, 3, 1),
        "conv5x5" => conv([64, 1, 28, 28], 8, 5, 0),
        _ => {
            let x = Var::parameter(Tensor::<f32>::randn(&[16, 32, 32, 32], &mut rng));
            let max = name == "maxpool";
            Box::new(move || {
                let y = if max {
                    x.max_pool2d(Pool2dOptions::new(2))
                } else {
                    x.avg_pool2d(AvgPool2dOptions::new(2))
                };
                let y = y.sum();
                y.backward();
                x.zero_grad();
                black_box(y);
            })
        }
    }
}

/// The median time of one call of `f`, over runs of `batch` calls repeated for about
/// `budget` after a warm-up.
fn median(budget: Duration, batch: usize, mut f: impl FnMut()) -> (f64, usize) {
    let warm = Instant::now();
    while warm.elapsed() < budget / 5 {
        f();
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || times.len() < 5 {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        times.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times.len() * batch)
}

fn report(name: &str, (seconds, runs): (f64, usize)) {
    println!("{{\"workload\": \"{name}\", \"median_s\": {seconds:e}, \"runs\": {runs}}}");
}

/// The resident and peak resident set size in kB (Linux; `None` elsewhere).
fn rss_kb() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Runs each workload in `only` exactly `n` times.
fn count_only(only: &[&str], n: usize) {
    if only.contains(&"w1") {
        let w1 = W1::new();
        (0..n).for_each(|_| {
            black_box(w1.run());
        });
    }
    if only.contains(&"w2") {
        let mut w2 = W2::new();
        (0..n).for_each(|_| {
            black_box(w2.step());
        });
    }
    if only.contains(&"w3") {
        let w3 = W3::new();
        (0..n).for_each(|_| {
            black_box(w3.run());
        });
    }
    if only.contains(&"w4") {
        let w4 = W4::new();
        (0..n).for_each(|_| w4.run());
    }
    for name in CONV_POOL.into_iter().filter(|c| only.contains(c)) {
        let mut run = conv_pool(name);
        (0..n).for_each(|_| run());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--threads") {
        match args.get(i + 1).and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => backprop::tensor::set_num_threads(n),
            None => {
                eprintln!("error: --threads needs a number");
                std::process::exit(2);
            }
        }
    }
    let only: Vec<&str> = match args.iter().position(|a| a == "--only") {
        Some(i) => match args.get(i + 1) {
            Some(list) => list.split(',').collect(),
            None => {
                eprintln!("error: --only needs a list such as w1,w4");
                std::process::exit(2);
            }
        },
        None => vec!["w1", "w2", "w3", "w4"],
    };
    let seconds = match args.iter().position(|a| a == "--seconds") {
        Some(i) => match args.get(i + 1).and_then(|n| n.parse::<f64>().ok()) {
            Some(s) if s > 0.0 => s,
            _ => {
                eprintln!("error: --seconds needs a positive number");
                std::process::exit(2);
            }
        },
        None => 3.0,
    };
    let budget = Duration::from_secs_f64(seconds);
    // `--count N`: exactly N calls of each workload and no timing, for instruction counts
    // under `valgrind --tool=callgrind` (repeatable on a busy machine, unlike timings).
    if let Some(i) = args.iter().position(|a| a == "--count") {
        let Some(n) = args.get(i + 1).and_then(|n| n.parse::<usize>().ok()) else {
            eprintln!("error: --count needs a number");
            std::process::exit(2);
        };
        count_only(&only, n);
        return;
    }
    if only.contains(&"w1") {
        let w1 = W1::new();
        report(
            "w1",
            median(budget, 1, || {
                black_box(w1.run());
            }),
        );
    }
    if only.contains(&"w2") {
        let mut w2 = W2::new();
        report(
            "w2",
            median(budget, 1, || {
                black_box(w2.step());
            }),
        );
    }
    if only.contains(&"w3") {
        let w3 = W3::new();
        report(
            "w3",
            median(budget, 1, || {
                black_box(w3.run());
            }),
        );
    }
    if only.contains(&"w4") {
        let w4 = W4::new();
        report("w4", median(budget, 10_000, || w4.run()));
    }
    for name in CONV_POOL.into_iter().filter(|c| only.contains(c)) {
        report(name, median(budget, 1, conv_pool(name)));
    }

    if args.iter().any(|a| a == "--memory") {
        let mut w2 = W2::new();
        let mut after = |steps: usize| {
            for _ in 0..steps {
                black_box(w2.step());
            }
            rss_kb()
        };
        let (early, late) = (after(10), after(990));
        if let (Some((rss10, _)), Some((rss1000, peak))) = (early, late) {
            println!(
                "{{\"workload\": \"w2_memory\", \"rss_kb_after_10\": {rss10}, \"rss_kb_after_1000\": {rss1000}, \"peak_rss_kb\": {peak}}}"
            );
        }
    }
}
