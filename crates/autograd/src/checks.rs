//! The registry's gradient-check cases and the runner behind `cargo xtask check-grads`.

use backprop_tensor::{Rng, Tensor};

use crate::Var;
use crate::gradcheck::{CheckFn, GradCheckConfig, GradCheckReport, gradcheck, gradgradcheck};

/// One gradient-check case of an op: inputs (f64) and the function applying the op.
pub struct GradCase {
    /// A short label: what the case exercises ("broadcast", "3-d", ...).
    pub label: String,
    /// The inputs, each checked element by element.
    pub inputs: Vec<Tensor<f64>>,
    /// The function under check.
    pub f: Box<CheckFn<'static>>,
}

impl GradCase {
    /// A case from a label, inputs and a function of the inputs.
    pub fn new(
        label: impl Into<String>,
        inputs: Vec<Tensor<f64>>,
        f: impl Fn(&[Var<f64>]) -> Var<f64> + 'static,
    ) -> Self {
        GradCase {
            label: label.into(),
            inputs,
            f: Box::new(f),
        }
    }

    /// The input shapes, as printed in the check table.
    pub fn shapes(&self) -> String {
        self.inputs
            .iter()
            .map(|t| format!("{:?}", t.shape()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Whether an op's backward is itself differentiable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondOrder {
    /// Double backward works and is checked by `gradgradcheck`.
    Supported,
    /// Double backward is refused with an error naming the op; the reason says why.
    Unsupported(&'static str),
}

/// A registered op: its name and how to build its check cases.
#[derive(Clone, Copy)]
pub struct OpInfo {
    /// The op's name: its file `ops/<name>.rs`, its method, its check label.
    pub name: &'static str,
    /// Builds the op's gradient-check cases from seeded random inputs.
    pub cases: fn(&mut Rng) -> Vec<GradCase>,
    /// Whether double backward is supported.
    pub second_order: SecondOrder,
}

/// One row of the check table.
#[derive(Debug, Clone)]
pub struct CheckRow {
    /// The op's name.
    pub op: &'static str,
    /// The case's label.
    pub case: String,
    /// The input shapes.
    pub shapes: String,
    /// 1 for the gradient, 2 for the second-order check.
    pub order: u8,
    /// The result, or `None` when the op does not support that order (listed, not skipped).
    pub report: Option<GradCheckReport>,
}

/// Runs the gradient checks of `ops` (optionally only those whose name equals `filter`),
/// with inputs drawn from `seed`; with `second_order`, also the gradgradcheck of every op
/// that supports it.
pub fn run_checks_on(
    ops: &[OpInfo],
    filter: Option<&str>,
    seed: u64,
    second_order: bool,
) -> Vec<CheckRow> {
    let cfg = GradCheckConfig::default();
    let mut rows = Vec::new();
    for op in ops.iter().filter(|o| filter.is_none_or(|f| f == o.name)) {
        let mut rng = Rng::seed_from_u64(seed ^ fxhash(op.name));
        for case in (op.cases)(&mut rng) {
            rows.push(CheckRow {
                op: op.name,
                case: case.label.clone(),
                shapes: case.shapes(),
                order: 1,
                report: Some(gradcheck(&case.f, &case.inputs, &cfg)),
            });
            if second_order {
                rows.push(CheckRow {
                    op: op.name,
                    case: case.label.clone(),
                    shapes: case.shapes(),
                    order: 2,
                    report: match op.second_order {
                        SecondOrder::Supported => Some(gradgradcheck(&case.f, &case.inputs, &cfg)),
                        SecondOrder::Unsupported(_) => None,
                    },
                });
            }
        }
    }
    rows
}

/// Runs the checks of every registered op (see [`run_checks_on`]).
pub fn run_checks(filter: Option<&str>, seed: u64, second_order: bool) -> Vec<CheckRow> {
    run_checks_on(crate::ops::registry(), filter, seed, second_order)
}

/// A stable hash of an op name, so each op draws its own inputs from the seed.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Seeded input generators for check cases, each keeping inputs inside an op's domain.
pub mod inputs {
    use backprop_tensor::{Rng, Tensor};

    /// Standard normal values.
    pub fn normal(rng: &mut Rng, shape: &[usize]) -> Tensor<f64> {
        Tensor::randn(shape, rng)
    }

    /// Values in [0.5, 2): inside the domain of log, sqrt, division, fractional powers.
    pub fn positive(rng: &mut Rng, shape: &[usize]) -> Tensor<f64> {
        Tensor::uniform(shape, 0.5, 2.0, rng)
    }

    /// Values with |x| in [0.2, 1.5): away from the kink at 0 (relu, abs, clamp at 0).
    pub fn away_from_zero(rng: &mut Rng, shape: &[usize]) -> Tensor<f64> {
        let mag = Tensor::uniform(shape, 0.2, 1.5, rng);
        let sign = Tensor::<f64>::uniform(shape, -1.0, 1.0, rng).signum();
        mag.mul(&sign).map(|x| if x == 0.0 { 0.5 } else { x })
    }

    /// Distinct values in a random order (max/min/sort have no ties to break).
    pub fn distinct(rng: &mut Rng, shape: &[usize]) -> Tensor<f64> {
        let n: usize = shape.iter().product();
        let perm = rng.permutation(n);
        let v: Vec<f64> = perm
            .iter()
            .map(|&i| i as f64 * 0.37 - n as f64 * 0.15)
            .collect();
        Tensor::from_vec(v, shape).expect("shape product")
    }

    /// A random shape with `ndim` axes, extents in 1..=max.
    pub fn shape(rng: &mut Rng, ndim: usize, max: usize) -> Vec<usize> {
        (0..ndim).map(|_| 1 + rng.below(max)).collect()
    }

    /// A random shape and a shape that broadcasts to it (some extents 1, maybe fewer axes).
    pub fn broadcast_pair(rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
        let ndim = 1 + rng.below(3);
        let full = shape(rng, ndim, 4);
        let drop = rng.below(full.len());
        let small: Vec<usize> = full[drop..]
            .iter()
            .map(|&d| if rng.below(2) == 0 { 1 } else { d })
            .collect();
        (full, small)
    }
}
