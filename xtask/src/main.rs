//! Repository tasks: `cargo xtask check-grads`, `cargo xtask bench`.

use std::process::ExitCode;
use std::time::Instant;

use backprop_autograd::{CheckRow, OpInfo, registry, run_checks_on};

mod bench;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  check-grads [--op NAME] [--seed N] [--first-order-only]
      finite-difference gradient checks (f64, eps 1e-6, atol 1e-5, rtol 1e-3) of every
      registered op, every loss and every multi-op layer, first and second order; prints a
      table and `N passed, M failed`
  list-ops
      the registered ops and whether they support double backward
  bench [--quick] [-- <criterion args>]
      every criterion bench of the workspace, then a summary table (median, throughput);
      --quick runs each bench briefly (CI smoke test)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check-grads") => check_grads(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("list-ops") => {
            for op in all_ops() {
                println!("{:<18} {:?}", op.name, op.second_order);
            }
            ExitCode::SUCCESS
        }
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown task `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn check_grads(args: &[String]) -> ExitCode {
    let mut op: Option<String> = None;
    let mut seed: u64 = 0;
    let mut second = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--op" => match it.next() {
                Some(v) => op = Some(v.clone()),
                None => return usage_error("--op needs an op name"),
            },
            "--seed" => match it.next().map(|v| v.parse::<u64>()) {
                Some(Ok(v)) => seed = v,
                _ => return usage_error("--seed needs a non-negative integer"),
            },
            "--first-order-only" => second = false,
            other => return usage_error(&format!("unknown option `{other}`")),
        }
    }
    if let Some(name) = &op
        && !all_ops().iter().any(|o| o.name == name)
    {
        {
            let names: Vec<&str> = all_ops().iter().map(|o| o.name).collect();
            return usage_error(&format!(
                "no op named `{name}`; registered ops: {}",
                names.join(", ")
            ));
        }
    }
    let start = Instant::now();
    let rows = run_checks_on(&all_ops(), op.as_deref(), seed, second);
    let elapsed = start.elapsed();
    print_table(&rows);
    let passed = rows
        .iter()
        .filter(|r| r.report.as_ref().is_some_and(|r| r.passed))
        .count();
    let failed = rows
        .iter()
        .filter(|r| r.report.as_ref().is_some_and(|r| !r.passed))
        .count();
    let unsupported = rows.iter().filter(|r| r.report.is_none()).count();
    let ops = rows
        .iter()
        .map(|r| r.op)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    println!();
    println!(
        "{ops} ops and losses, {} checks ({unsupported} second-order unsupported, listed) in {:.2} s, seed {seed}",
        rows.len(),
        elapsed.as_secs_f64()
    );
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Every registered op of the autograd crate, then every loss and multi-op layer of the nn
/// crate (they compose ops, and are checked as a whole for each of their options).
fn all_ops() -> Vec<OpInfo> {
    let mut ops = registry().to_vec();
    ops.extend_from_slice(backprop_nn::checks::registry());
    ops
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

fn print_table(rows: &[CheckRow]) {
    let w_op = rows.iter().map(|r| r.op.len()).max().unwrap_or(2).max(2);
    let w_case = rows.iter().map(|r| r.case.len()).max().unwrap_or(4).max(4);
    let w_shape = rows
        .iter()
        .map(|r| r.shapes.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "{:<w_op$}  {:<w_case$}  {:<w_shape$}  order  {:>11}  {:>11}  result",
        "op", "case", "shapes", "max abs err", "max rel err"
    );
    for r in rows {
        let (abs, rel, res) = match &r.report {
            Some(rep) => (
                format!("{:.3e}", rep.max_abs_err),
                format!("{:.3e}", rep.max_rel_err),
                if rep.passed {
                    "PASS".to_string()
                } else {
                    format!("FAIL ({})", rep.first_failure.as_deref().unwrap_or(""))
                },
            ),
            None => ("-".into(), "-".into(), "UNSUPPORTED (second order)".into()),
        };
        println!(
            "{:<w_op$}  {:<w_case$}  {:<w_shape$}  {:>5}  {abs:>11}  {rel:>11}  {res}",
            r.op, r.case, r.shapes, r.order
        );
    }
}
