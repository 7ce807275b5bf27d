//! The two-moons and digits examples, run as a user would, at their default (seeded) settings.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The example binary that cargo builds next to this test's executable.
///
/// Plain `cargo test` builds every example binary; `cargo test --test examples` alone does
/// not, so to run only this file use
/// `cargo build --profile test --examples && cargo test --test examples`. A binary older
/// than its source would test stale code, so that is an error too.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let hint = "build the examples first: `cargo build --profile test --examples` (plain \
                `cargo test` does it too)";
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("example binary not built at {}: {hint}", bin.display()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for source in [
        format!("examples/{name}.rs"),
        "examples/support/mod.rs".into(),
    ] {
        let changed = std::fs::metadata(root.join(&source))
            .and_then(|m| m.modified())
            .unwrap();
        assert!(
            changed <= built,
            "{} is older than {source}: {hint}",
            bin.display()
        );
    }
    bin
}

fn run(example: &str, args: &[&str]) -> Output {
    Command::new(example_binary(example))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// Runs an example that must succeed and returns its standard output.
fn run_ok(example: &str, args: &[&str]) -> String {
    let o = run(example, args);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{example} {args:?} failed:\n{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    text
}

fn out_dir(name: &str) -> String {
    std::env::temp_dir()
        .join(format!("backprop-examples-{name}-{}", std::process::id()))
        .display()
        .to_string()
}

/// The number after `prefix` on the line that starts with it.
fn reported(text: &str, prefix: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with '{prefix}' in:\n{text}"));
    line[prefix.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The table rows: lines whose first word is an epoch number.
fn epoch_rows(text: &str) -> Vec<Vec<f64>> {
    text.lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<usize>().is_ok())
        })
        .map(|l| l.split_whitespace().map(|w| w.parse().unwrap()).collect())
        .collect()
}

fn assert_files(dir: &str, names: &[&str]) {
    for f in names {
        let p = Path::new(dir).join(f);
        assert!(
            std::fs::metadata(&p).map(|m| m.len() > 0).unwrap_or(false),
            "{} missing or empty",
            p.display()
        );
    }
}

#[test]
fn moons_default_run_separates_the_moons_and_draws_the_boundary() {
    let dir = out_dir("moons");
    let text = run_ok("moons", &["--out", &dir]);
    let rows = epoch_rows(&text);
    assert_eq!(rows.len(), 60, "{text}");
    // epoch, train loss, validation loss, validation accuracy.
    assert!(rows.iter().all(|r| r.len() == 4), "{text}");
    assert!(
        rows[59][1] < rows[0][1] / 2.0,
        "train loss did not fall:\n{text}"
    );
    let acc = reported(&text, "Validation accuracy: ");
    assert!(acc >= 0.95, "validation accuracy {acc} < 0.95\n{text}");
    assert_eq!(acc, rows[59][3], "{text}");
    assert_files(
        &dir,
        &[
            "metrics.csv",
            "curves.svg",
            "curves.png",
            "boundary.svg",
            "boundary.png",
            "model.safetensors",
        ],
    );
    let csv = std::fs::read_to_string(Path::new(&dir).join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 61);
    let png = std::fs::read(Path::new(&dir).join("boundary.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "boundary.png is not a PNG");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_untrained_moons_model_does_not_pass_the_accuracy_bar() {
    // The bar above must mean something: with no training the two classes are not separated.
    let dir = out_dir("moons-untrained");
    let text = run_ok("moons", &["--epochs", "0", "--out", &dir]);
    let acc = reported(&text, "Validation accuracy: ");
    assert!(acc < 0.9, "an untrained model scored {acc}\n{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn moons_runs_are_reproducible_from_the_seed() {
    let (a, b, c) = (out_dir("moons-a"), out_dir("moons-b"), out_dir("moons-c"));
    let args = |dir: &str, seed: &str| {
        run_ok(
            "moons",
            &[
                "--epochs", "5", "--seed", seed, "--noise", "0.3", "--out", dir,
            ],
        )
    };
    // The last line names the output directory, which differs by design.
    let table = |t: String| epoch_rows(&t);
    let (first, again, other) = (
        table(args(&a, "7")),
        table(args(&b, "7")),
        table(args(&c, "8")),
    );
    assert_eq!(first, again);
    assert_ne!(first, other);
    for d in [a, b, c] {
        std::fs::remove_dir_all(&d).unwrap();
    }
}

#[test]
fn digits_default_run_reaches_95_percent_on_the_test_set() {
    let dir = out_dir("digits");
    let text = run_ok("digits", &["--out", &dir]);
    let rows = epoch_rows(&text);
    assert_eq!(rows.len(), 30, "{text}");
    // epoch, train loss, train accuracy, test accuracy, milliseconds.
    assert!(rows.iter().all(|r| r.len() == 5), "{text}");
    assert!(
        rows[29][1] < rows[0][1] / 10.0,
        "train loss did not fall:\n{text}"
    );
    assert!(
        rows[29][2] >= 0.99,
        "train accuracy {}\n{text}",
        rows[29][2]
    );
    let acc = reported(&text, "Test accuracy: ");
    assert!(acc >= 0.95, "test accuracy {acc} < 0.95\n{text}");
    assert_files(
        &dir,
        &[
            "metrics.csv",
            "curves.svg",
            "curves.png",
            "model.safetensors",
        ],
    );
    let csv = std::fs::read_to_string(Path::new(&dir).join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 31);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_flag_value_is_a_one_line_error() {
    let cases: &[(&str, &[&str])] = &[
        ("moons", &["--noise", "-1"]),
        ("moons", &["--lr", "0"]),
        ("moons", &["--batch-size", "0"]),
        ("moons", &["--activation", "sigmoid"]),
        ("moons", &["--samples", "3"]),
        ("moons", &["--epochs"]),
        ("moons", &["--bogus"]),
        ("digits", &["--hidden", "64,x"]),
        ("digits", &["--dropout", "1"]),
        ("digits", &["--scaling", "minmax"]),
        ("digits", &["--epochs", "ten"]),
    ];
    for (example, args) in cases {
        let o = run(example, args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{example} {args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{example} {args:?}: {err}");
        assert!(err.starts_with("error: "), "{example} {args:?}: {err}");
    }
}
