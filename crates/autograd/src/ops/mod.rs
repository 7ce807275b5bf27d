//! Every differentiable op, one file each: the math, the forward, the backward and the
//! gradient-check cases together. The registry below lists them; a test fails when an op
//! file is not registered or an op has no check case.

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
}

pub use cross_entropy::CrossEntropyTarget;

/// Every registered op.
pub fn registry() -> &'static [OpInfo] {
    REGISTRY
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
