//! Every differentiable op, one file each: the math, the forward, the backward and the
//! gradient-check cases together. The registry below lists them; a test fails when an op
//! file is not registered or an op has no check case.

use backprop_tensor::{Float, Tensor};

use crate::checks::OpInfo;

macro_rules! ops {
    ($($name:ident),* $(,)?) => {
        $(mod $name;)*

        static REGISTRY: &[OpInfo] = &[
            $(OpInfo {
                name: stringify!($name),
                cases: $name::cases,
                second_order: $name::SECOND_ORDER,
            },)*
        ];
    };
}

ops! {
    add,
    sub,
    mul,
    div,
    neg,
    add_scalar,
    mul_scalar,
    exp,
    log,
    sin,
    cos,
    relu,
    powf,
    sum,
    mean,
    broadcast_to,
    sum_to,
    reshape,
    matmul,
    linear,
    conv2d,
    permute,
    squeeze,
    unsqueeze,
    narrow,
    pad_axis,
    concat,
    stack,
    index_select,
    index_add,
    gather,
    scatter_add,
    max,
    min,
    var,
    abs,
    tanh,
    sigmoid,
    sqrt,
    erf,
    softplus,
    clamp,
    leaky_relu,
    elu,
    silu,
    hardtanh,
    gelu,
    gelu_tanh,
    maximum,
    minimum,
    pow,
    where_cond,
    softmax,
    log_softmax,
    logsumexp,
    cross_entropy,
    binary_cross_entropy,
    max_pool2d,
    avg_pool2d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
}

pub use avg_pool2d::AvgPool2dOptions;
pub use conv2d::{Conv1dOptions, Conv2dOptions};
pub use cross_entropy::CrossEntropyTarget;
pub use max_pool2d::{Pool2dOptions, Size2};

/// Every registered op.
pub fn registry() -> &'static [OpInfo] {
    REGISTRY
}

/// Runs `f` on the elements of `t` in row-major order, copying only when `t` is a view.
pub(crate) fn with_slice<T: Float, R>(t: &Tensor<T>, f: impl FnOnce(&[T]) -> R) -> R {
    match t.as_slice() {
        Some(s) => f(s),
        None => f(t.to_contiguous().as_slice().expect("contiguous")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{GradCase, SecondOrder, run_checks_on};
    use crate::{Backward, BackwardCtx, Var};
    use backprop_tensor::Rng;

    #[test]
    fn every_op_file_is_registered_and_has_cases() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ops");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f.ends_with(".rs") && f != "mod.rs")
            .map(|f| f.trim_end_matches(".rs").to_string())
            .collect();
        files.sort();
        let mut names: Vec<String> = registry().iter().map(|o| o.name.to_string()).collect();
        names.sort();
        assert_eq!(files, names, "op files and registry entries differ");
        for op in registry() {
            let cases = (op.cases)(&mut Rng::seed_from_u64(1));
            assert!(!cases.is_empty(), "op `{}` has no check case", op.name);
        }
    }

    #[test]
    fn ops_without_second_order_are_exactly_these() {
        let unsupported: Vec<&str> = registry()
            .iter()
            .filter(|o| matches!(o.second_order, SecondOrder::Unsupported(_)))
            .map(|o| o.name)
            .collect();
        assert_eq!(unsupported, Vec::<&str>::new());
    }

    /// exp with a planted wrong derivative (2·eˣ): the checker must report it.
    struct WrongExp;
    impl Backward<f64> for WrongExp {
        fn backward(&self, ctx: &BackwardCtx<'_, f64>, g: &Var<f64>) -> Vec<Option<Var<f64>>> {
            vec![Some(g.mul(ctx.output()).mul_scalar(2.0))]
        }
    }
    fn wrong_exp_cases(rng: &mut Rng) -> Vec<GradCase> {
        vec![GradCase::new(
            "planted bug",
            vec![crate::checks::inputs::normal(rng, &[3])],
            |v| {
                let x = &v[0];
                Var::from_op("wrong_exp", x.data().exp(), vec![x.clone()], WrongExp)
            },
        )]
    }

    #[test]
    fn checker_reports_a_planted_wrong_derivative() {
        let scratch = [OpInfo {
            name: "wrong_exp",
            cases: wrong_exp_cases,
            second_order: SecondOrder::Supported,
        }];
        let rows = run_checks_on(&scratch, None, 0, true);
        assert_eq!(rows.len(), 2);
        for row in rows {
            let r = row.report.unwrap();
            assert!(!r.passed, "order {} passed a wrong derivative", row.order);
            assert!(r.max_abs_err > 0.1);
        }
    }

    /// The tensor fast path (`backward_fast`, used when nothing is recorded) and the `Var`
    /// rule (used under `create_graph`) must give the same first-order gradients.
    #[test]
    fn fast_and_recorded_backward_agree_on_every_case() {
        use crate::{BackwardOptions, grad};
        let mut rng = Rng::seed_from_u64(11);
        for op in registry() {
            for case in (op.cases)(&mut rng) {
                let run = |create_graph: bool| {
                    let xs: Vec<Var<f64>> =
                        case.inputs.iter().cloned().map(Var::parameter).collect();
                    let y = (case.f)(&xs);
                    // A fixed, non-uniform seed so every output element matters.
                    let n = y.numel();
                    let seed = backprop_tensor::Tensor::from_vec(
                        (0..n).map(|i| 0.5 + (i % 7) as f64 * 0.25).collect(),
                        &y.shape(),
                    )
                    .unwrap();
                    let opts = BackwardOptions {
                        create_graph,
                        ..Default::default()
                    };
                    grad(&[y], &xs, &[Var::new(seed)], opts)
                        .into_iter()
                        .map(|g| g.map(|g| g.value()))
                        .collect::<Vec<_>>()
                };
                let (fast, recorded) = (run(false), run(true));
                for (i, (f, r)) in fast.iter().zip(&recorded).enumerate() {
                    match (f, r) {
                        (Some(f), Some(r)) => assert!(
                            f.allclose(r, 1e-12, 1e-12),
                            "{} [{}] input {i}: fast {f:?} vs recorded {r:?}",
                            op.name,
                            case.label
                        ),
                        (None, None) => {}
                        _ => panic!(
                            "{} [{}] input {i}: one path gave no gradient",
                            op.name, case.label
                        ),
                    }
                }
            }
        }
    }

    #[test]
    fn every_registered_op_passes_first_and_second_order_checks() {
        let rows = crate::checks::run_checks(None, 0, true);
        let failed: Vec<String> = rows
            .iter()
            .filter(|r| r.report.as_ref().is_some_and(|r| !r.passed))
            .map(|r| format!("{} [{}] order {}: {:?}", r.op, r.case, r.order, r.report))
            .collect();
        assert!(
            failed.is_empty(),
            "gradient checks failed:\n{}",
            failed.join("\n")
        );
    }
}
