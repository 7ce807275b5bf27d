//! The README's first command, run as a newcomer would: `cargo run --example iris`.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The example binary that `cargo test` builds next to this test's executable.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let bin = profile_dir
        .join("examples")
        .join(format!("iris{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "example binary not built at {}",
        bin.display()
    );
    bin
}

fn run(args: &[&str]) -> Output {
    Command::new(example_binary())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn out_dir(name: &str) -> String {
    std::env::temp_dir()
        .join(format!("backprop-iris-{name}-{}", std::process::id()))
        .display()
        .to_string()
}

#[test]
fn default_run_reaches_90_percent_and_writes_its_files() {
    let dir = out_dir("default");
    let o = run(&["--out", &dir]);
    let text = stdout(&o);
    assert!(
        o.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let epochs: Vec<&str> = text.lines().filter(|l| l.starts_with("Epoch: ")).collect();
    assert_eq!(epochs.len(), 10, "{text}");
    assert!(epochs[0].starts_with("Epoch: 0 and loss: "));
    let acc_line = text
        .lines()
        .find(|l| l.starts_with("Test accuracy: "))
        .unwrap();
    let acc: f64 = acc_line["Test accuracy: ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(acc >= 0.9, "test accuracy {acc} < 0.9");
    for f in ["losses.csv", "loss.svg", "loss.png", "model.safetensors"] {
        let p = PathBuf::from(&dir).join(f);
        assert!(
            std::fs::metadata(&p).map(|m| m.len() > 0).unwrap_or(false),
            "{} missing",
            p.display()
        );
    }
    let csv = std::fs::read_to_string(PathBuf::from(&dir).join("losses.csv")).unwrap();
    assert_eq!(csv.lines().count(), 101);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn replaying_the_pytorch_fixture_prints_the_tutorial_losses() {
    let dir = out_dir("replay");
    let o = run(&[
        "--init",
        "examples/data/iris-seed41/init.safetensors",
        "--split",
        "examples/data/iris-seed41/split.json",
        "--out",
        &dir,
    ]);
    let text = stdout(&o);
    assert!(
        o.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("examples/data/iris-seed41/expected.json").unwrap(),
    )
    .unwrap();
    let losses = expected["losses"].as_array().unwrap();
    for line in text.lines().filter(|l| l.starts_with("Epoch: ")) {
        let rest = &line["Epoch: ".len()..];
        let (epoch, loss) = rest.split_once(" and loss: ").unwrap();
        let epoch: usize = epoch.parse().unwrap();
        let loss: f64 = loss.parse().unwrap();
        let want = losses[epoch].as_f64().unwrap();
        assert!(
            (loss - want).abs() / want <= 1e-5,
            "epoch {epoch}: {loss} vs PyTorch {want}"
        );
    }
    assert!(text.contains("Test accuracy: 0.9333"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_flag_value_is_a_one_line_error() {
    for args in [
        &["--epochs", "abc"][..],
        &["--optimizer", "lbfgs"][..],
        &["--hidden", "8,x"][..],
        &["--bogus"][..],
        &["--lr"][..],
    ] {
        let o = run(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
    let o = run(&["--init", "no/such/file.safetensors"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("no/such/file.safetensors") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn checkpoint_and_resume_reproduce_the_uninterrupted_run_bit_for_bit() {
    let (straight, first, resumed) = (out_dir("straight"), out_dir("first"), out_dir("resumed"));
    let ckpt = PathBuf::from(&first).join("run.ckpt").display().to_string();
    std::fs::create_dir_all(&first).unwrap();
    let common = [
        "--batch-size",
        "16",
        "--optimizer",
        "sgd",
        "--lr",
        "0.02",
        "--momentum",
        "0.9",
    ];
    let o = run(&[&common[..], &["--out", &straight]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&[
        &common[..],
        &["--epochs", "50", "--checkpoint", &ckpt, "--out", &first],
    ]
    .concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&[&common[..], &["--resume", &ckpt, "--out", &resumed]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("Resumed from"), "{}", stdout(&o));
    for f in ["losses.csv", "model.safetensors"] {
        let a = std::fs::read(PathBuf::from(&straight).join(f)).unwrap();
        let b = std::fs::read(PathBuf::from(&resumed).join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the straight and the resumed run"
        );
    }
    // A checkpoint of another architecture is refused by name.
    let o = run(&["--resume", &ckpt, "--hidden", "9,8", "--out", &resumed]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("fc1.weight: expected [9, 4], found [8, 4]"),
        "{err}"
    );
    for d in [straight, first, resumed] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
