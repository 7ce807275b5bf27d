//! `cargo xtask bench [--quick]`: every criterion bench of the workspace, then one summary
//! table read from criterion's `target/criterion/**/new/{benchmark,estimates}.json`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

use serde_json::Value;

/// Criterion options of `--quick`: every bench runs, briefly (a CI smoke test that the
/// benches build and run, with rough numbers).
const QUICK: &[&str] = &[
    "--quick",
    "--warm-up-time",
    "0.1",
    "--measurement-time",
    "0.3",
];

pub fn bench(args: &[String]) -> ExitCode {
    let mut quick = false;
    let mut extra: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--" => extra.extend(it.by_ref().cloned()),
            other => {
                eprintln!(
                    "error: unknown option `{other}` (usage: cargo xtask bench [--quick] [-- <criterion args>])"
                );
                return ExitCode::from(2);
            }
        }
    }
    let root = workspace_root();
    let started = SystemTime::now();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // `--bench '*'` selects the criterion benches only; library test harnesses would reject
    // criterion's options.
    cmd.current_dir(&root)
        .args(["bench", "--workspace", "--bench", "*", "--", "--noplot"]);
    if quick {
        cmd.args(QUICK);
    }
    cmd.args(&extra);
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("error: cargo bench failed ({s})");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: could not run cargo: {e}");
            return ExitCode::FAILURE;
        }
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let mut rows = Vec::new();
    collect(&target.join("criterion"), started, &mut rows);
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    print_summary(&rows);
    ExitCode::SUCCESS
}

fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// (benchmark id, median in ns, throughput per iteration and its unit)
type Row = (String, f64, Option<(f64, &'static str)>);

/// Finds every `new/` result directory written since `since`.
fn collect(dir: &Path, since: SystemTime, rows: &mut Vec<Row>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(row) = read_result(&path, since) {
                rows.push(row);
            }
        } else {
            collect(&path, since, rows);
        }
    }
}

fn read_result(dir: &Path, since: SystemTime) -> Option<Row> {
    let estimates = dir.join("estimates.json");
    let fresh = std::fs::metadata(&estimates)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    if !fresh {
        return None;
    }
    let read = |p: PathBuf| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
    };
    let est = read(estimates)?;
    let meta = read(dir.join("benchmark.json"))?;
    let median = est.get("median")?.get("point_estimate")?.as_f64()?;
    let id = meta.get("full_id")?.as_str()?.to_string();
    let throughput = meta.get("throughput").and_then(|t| {
        let (unit, n) = match (t.get("Elements"), t.get("Bytes")) {
            (Some(n), _) => ("elem/s", n),
            (None, Some(n)) => ("B/s", n),
            _ => return None,
        };
        Some((n.as_f64()?, unit))
    });
    Some((id, median, throughput))
}

fn print_summary(rows: &[Row]) {
    if rows.is_empty() {
        println!("no criterion results were written by this run");
        return;
    }
    let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(8).max(8);
    println!();
    println!("{:<w$}  {:>12}  {:>16}", "workload", "median", "throughput");
    for (id, ns, tp) in rows {
        let thr = tp.map_or_else(String::new, |(n, unit)| {
            format!("{} {unit}", si(n / (ns * 1e-9)))
        });
        println!("{id:<w$}  {:>12}  {thr:>16}", duration(*ns));
    }
}

fn duration(ns: f64) -> String {
    match ns {
        n if n < 1e3 => format!("{n:.1} ns"),
        n if n < 1e6 => format!("{:.2} µs", n / 1e3),
        n if n < 1e9 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.2} s", n / 1e9),
    }
}

fn si(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.2} G", x / 1e9),
        x if x >= 1e6 => format!("{:.2} M", x / 1e6),
        x if x >= 1e3 => format!("{:.2} K", x / 1e3),
        x => format!("{x:.1} "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations_and_rates() {
        assert_eq!(duration(950.0), "950.0 ns");
        assert_eq!(duration(1.5e6), "1.50 ms");
        assert_eq!(si(2.5e9), "2.50 G");
        assert_eq!(si(75.0), "75.0 ");
    }

    #[test]
    fn reads_a_criterion_result_directory() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let new = dir.join("group/fn/new");
        std::fs::create_dir_all(&new).unwrap();
        let since = SystemTime::now() - std::time::Duration::from_secs(5);
        std::fs::write(
            new.join("benchmark.json"),
            r#"{"full_id":"group/fn","throughput":{"Elements":4}}"#,
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"median":{"point_estimate":2000.0}}"#,
        )
        .unwrap();
        let mut rows = Vec::new();
        collect(&dir, since, &mut rows);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            rows,
            vec![("group/fn".to_string(), 2000.0, Some((4.0, "elem/s")))]
        );
    }
}
