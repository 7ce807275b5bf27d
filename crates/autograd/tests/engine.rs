//! Behaviour of the autograd engine as a user sees it: accumulation, graph lifetime, modes,
//! error messages, hooks, higher-order gradients and thread safety.
//!
//! Expected values come from the math (hand derivatives or finite differences), never from
//! running the implementation.

// Tests may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use backprop_autograd::{BackwardOptions, Var, detect_anomaly, grad, no_grad};
use backprop_tensor::{Rng, Tensor};

fn t(values: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(values.to_vec(), shape).unwrap()
}

fn close(a: &Tensor<f64>, b: &Tensor<f64>, tol: f64) -> bool {
    a.shape() == b.shape()
        && a.to_vec()
            .iter()
            .zip(b.to_vec())
            .all(|(x, y)| (x - y).abs() <= tol)
}

/// Runs `f`, expecting a panic, and returns its message.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        s.to_string()
    } else {
        panic!("panic payload is not a string")
    }
}

/// Anomaly mode is process-wide: tests that turn it on run one at a time.
static ANOMALY: Mutex<()> = Mutex::new(());

const X: [f64; 3] = [0.3, -1.2, 2.0];

#[test]
fn gradients_accumulate_across_backward_calls() {
    let x = Var::parameter(t(&X, &[3]));
    x.mul(&x).sum().backward(); // d/dx Σx² = 2x
    x.sin().sum().backward(); // d/dx Σ sin x = cos x
    let expected = t(&X.map(|v| 2.0 * v + v.cos()), &[3]);
    assert!(close(&x.grad().unwrap(), &expected, 1e-12));
}

#[test]
fn a_value_used_several_times_gets_the_sum_of_its_contributions() {
    let x = Var::parameter(t(&X, &[3]));
    // y = Σ (x·x + eˣ + x): x is used four times.
    let y = x.mul(&x).add(&x.exp()).add(&x).sum();
    y.backward();
    let expected = t(&X.map(|v| 2.0 * v + v.exp() + 1.0), &[3]);
    assert!(close(&x.grad().unwrap(), &expected, 1e-12));

    // A shared intermediate: h = eˣ, z = Σ (h·h + h), dz/dx = (2h + 1)·h.
    let x2 = Var::parameter(t(&X, &[3]));
    let h = x2.exp();
    h.mul(&h).add(&h).sum().backward();
    let expected = t(&X.map(|v| (2.0 * v.exp() + 1.0) * v.exp()), &[3]);
    assert!(close(&x2.grad().unwrap(), &expected, 1e-12));
}

#[test]
fn zero_grad_clears_and_the_next_backward_starts_fresh() {
    let x = Var::parameter(t(&X, &[3]));
    x.mul_scalar(3.0).sum().backward();
    assert!(x.grad().is_some());
    x.zero_grad();
    assert!(x.grad().is_none());
    x.mul_scalar(5.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![5.0; 3]);
}

#[test]
fn no_grad_records_nothing() {
    let x = Var::parameter(t(&X, &[3]));
    let y = no_grad(|| x.mul(&x).exp().sum());
    assert!(!y.requires_grad());
    assert!(y.is_leaf());
    assert!(y.inputs().is_empty());
    let msg = panic_message(|| y.backward());
    assert!(msg.contains("does not require grad"), "{msg}");
    // Recording is back on after the closure.
    assert!(x.mul(&x).requires_grad());
}

#[test]
fn detach_cuts_the_graph() {
    let x = Var::parameter(t(&X, &[3]));
    let d = x.detach();
    assert!(!d.requires_grad());
    assert_eq!(d.value(), x.value());
    // y = Σ stop(x)·x: only the second factor is differentiated, so dy/dx = x, not 2x.
    d.mul(&x).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), X.to_vec());
}

#[test]
fn backward_twice_without_retain_graph_panics() {
    let x = Var::parameter(t(&X, &[3]));
    let y = x.exp().sum();
    y.backward();
    let msg = panic_message(|| y.backward());
    assert!(msg.contains("second time"), "{msg}");
    assert!(msg.contains("retain_graph"), "{msg}");
}

#[test]
fn retain_graph_allows_a_second_backward_that_doubles_the_gradient() {
    let x = Var::parameter(t(&X, &[3]));
    let y = x.exp().mul(&x).sum(); // d/dx x·eˣ = (1 + x)·eˣ
    let retain = BackwardOptions {
        retain_graph: true,
        ..Default::default()
    };
    y.backward_opts(None, retain);
    y.backward_opts(None, retain);
    let expected = t(&X.map(|v| 2.0 * (1.0 + v) * v.exp()), &[3]);
    assert!(close(&x.grad().unwrap(), &expected, 1e-12));
}

#[test]
fn backward_of_a_non_scalar_panics_saying_it_is_not_a_scalar() {
    let x = Var::parameter(t(&X, &[3]));
    let y = x.mul_scalar(2.0);
    let msg = panic_message(|| y.backward());
    assert!(msg.contains("not a scalar"), "{msg}");
    assert!(msg.contains("[3]"), "{msg}");
}

#[test]
fn backward_with_seeds_a_non_scalar() {
    let x = Var::parameter(t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]));
    let y = x.mul(&x); // dy/dx = 2x elementwise
    let seed = t(&[1.0, 0.0, -1.0, 2.0, 0.5, 3.0], &[2, 3]);
    y.backward_with(seed.clone());
    let expected = seed.mul(&x.value()).mul_scalar(2.0);
    assert_eq!(x.grad().unwrap(), expected);
}

#[test]
fn shape_mismatch_panics_name_the_op_and_both_shapes() {
    let a = Var::parameter(Tensor::<f64>::zeros(&[2, 3]));
    let b = Var::parameter(Tensor::<f64>::zeros(&[4]));
    let msg = panic_message(|| {
        a.add(&b);
    });
    assert!(
        msg.contains("add: shapes [2, 3] and [4] cannot be broadcast together"),
        "{msg}"
    );
    let c = Var::parameter(Tensor::<f64>::zeros(&[4, 5]));
    let msg = panic_message(|| {
        a.matmul(&c);
    });
    assert!(msg.contains("matmul"), "{msg}");
    assert!(msg.contains("[2, 3]") && msg.contains("[4, 5]"), "{msg}");
    let msg = panic_message(|| {
        Var::concat(&[&a, &c], 0);
    });
    assert!(
        msg.contains("concat") && msg.contains("[2, 3]") && msg.contains("[4, 5]"),
        "{msg}"
    );
}

#[test]
fn retain_grad_keeps_the_gradient_of_an_intermediate() {
    let x = Var::parameter(t(&X, &[3]));
    let h = x.mul_scalar(2.0);
    let other = x.exp();
    h.retain_grad();
    h.mul(&h).sum().add(&other.sum()).backward(); // d/dh Σh² = 2h
    assert_eq!(h.grad().unwrap(), h.value().mul_scalar(2.0));
    assert!(
        other.grad().is_none(),
        "only retained intermediates keep a grad"
    );
    // dx = 2h · 2 + eˣ = 8x + eˣ
    let expected = t(&X.map(|v| 8.0 * v + v.exp()), &[3]);
    assert!(close(&x.grad().unwrap(), &expected, 1e-12));
}

#[test]
fn register_hook_can_scale_a_gradient() {
    let x = Var::parameter(t(&X, &[3]));
    let h = x.sin();
    h.register_hook(|g| Some(g.mul_scalar(10.0)));
    h.sum().backward();
    // The hook scales dL/dh before it flows on, so dx = 10·cos x.
    let expected = t(&X.map(|v| 10.0 * v.cos()), &[3]);
    assert!(close(&x.grad().unwrap(), &expected, 1e-12));

    // A hook that returns None leaves the gradient alone (and sees it).
    let seen = std::sync::Arc::new(Mutex::new(None));
    let seen2 = seen.clone();
    let z = Var::parameter(t(&X, &[3]));
    z.register_hook(move |g| {
        *seen2.lock().unwrap() = Some(g.clone());
        None
    });
    z.mul_scalar(3.0).sum().backward();
    assert_eq!(seen.lock().unwrap().clone().unwrap().to_vec(), vec![3.0; 3]);
    assert_eq!(z.grad().unwrap().to_vec(), vec![3.0; 3]);
}

#[test]
fn anomaly_mode_names_the_op_of_a_forward_nan_and_the_callers_file() {
    let _serial = ANOMALY.lock().unwrap_or_else(|e| e.into_inner());
    let x = Var::parameter(t(&[1.0, -1.0], &[2]));
    let msg = panic_message(|| {
        detect_anomaly(|| x.log());
    });
    assert!(msg.contains("`log`"), "{msg}");
    assert!(msg.contains("forward"), "{msg}");
    assert!(msg.contains("engine.rs"), "{msg}");
    // Outside anomaly mode the same op quietly produces NaN, as in PyTorch.
    assert!(x.log().value().to_vec()[1].is_nan());
}

#[test]
fn anomaly_mode_names_the_op_of_a_backward_inf_and_the_callers_file() {
    let _serial = ANOMALY.lock().unwrap_or_else(|e| e.into_inner());
    // √x at 0 is finite, but its derivative 1/(2√x) is infinite there.
    let x = Var::parameter(t(&[0.0, 4.0], &[2]));
    let msg = panic_message(|| {
        detect_anomaly(|| {
            let y = x.powf(0.5).sum();
            y.backward();
        })
    });
    assert!(msg.contains("backward"), "{msg}");
    assert!(msg.contains("`powf`"), "{msg}");
    assert!(msg.contains("engine.rs"), "{msg}");
}

#[test]
fn grad_with_create_graph_gives_the_second_derivative_of_a_cube() {
    let x = Var::parameter(t(&X, &[3]));
    let y = x.powf(3.0).sum();
    let opts = BackwardOptions {
        create_graph: true,
        ..Default::default()
    };
    let dy = grad(&[y], std::slice::from_ref(&x), &[], opts)[0]
        .clone()
        .unwrap();
    assert!(close(&dy.value(), &t(&X.map(|v| 3.0 * v * v), &[3]), 1e-12));
    assert!(
        dy.requires_grad(),
        "create_graph gives a gradient with history"
    );
    let d2y = grad(
        &[dy.sum()],
        std::slice::from_ref(&x),
        &[],
        BackwardOptions::default(),
    )[0]
    .clone()
    .unwrap();
    assert!(close(&d2y.value(), &t(&X.map(|v| 6.0 * v), &[3]), 1e-12));
    assert!(
        x.grad().is_none(),
        "grad() returns gradients without accumulating"
    );
}

/// f(x) = Σ exp(W·x) + (Σ sin x)², a small function with cross terms in its Hessian.
fn small_function(w: &Var<f64>, x: &Var<f64>) -> Var<f64> {
    let s = x.sin().sum();
    w.matmul(x).exp().sum().add(&s.mul(&s))
}

fn gradient_at(w: &Var<f64>, x: &Tensor<f64>) -> Tensor<f64> {
    let x = Var::parameter(x.clone());
    small_function(w, &x).backward();
    x.grad().unwrap()
}

#[test]
fn hessian_vector_product_matches_finite_differences() {
    let mut rng = Rng::seed_from_u64(7);
    let w = Var::new(Tensor::<f64>::randn(&[2, 3], &mut rng).mul_scalar(0.5));
    let x0 = Tensor::<f64>::randn(&[3, 1], &mut rng);
    let v = Tensor::<f64>::randn(&[3, 1], &mut rng);

    let x = Var::parameter(x0.clone());
    let opts = BackwardOptions {
        create_graph: true,
        ..Default::default()
    };
    let g = grad(
        &[small_function(&w, &x)],
        std::slice::from_ref(&x),
        &[],
        opts,
    )[0]
    .clone()
    .unwrap();
    let gv = g.mul(&Var::new(v.clone())).sum();
    let hv = grad(&[gv], &[x], &[], BackwardOptions::default())[0]
        .clone()
        .unwrap()
        .value();

    let eps = 1e-5;
    let plus = gradient_at(&w, &x0.add(&v.mul_scalar(eps)));
    let minus = gradient_at(&w, &x0.sub(&v.mul_scalar(eps)));
    let numeric = plus.sub(&minus).mul_scalar(1.0 / (2.0 * eps));
    assert!(
        close(&hv, &numeric, 1e-6),
        "Hv {:?} vs finite differences {:?}",
        hv.to_vec(),
        numeric.to_vec()
    );
    assert!(
        hv.to_vec().iter().any(|h| h.abs() > 1e-3),
        "a non-trivial Hv"
    );
}

#[test]
fn parameters_serve_forward_passes_from_several_threads() {
    let mut rng = Rng::seed_from_u64(3);
    let w = Var::parameter(Tensor::<f64>::randn(&[4, 2], &mut rng));
    let b = Var::parameter(Tensor::<f64>::randn(&[2], &mut rng));
    let inputs: Vec<Tensor<f64>> = (0..4).map(|_| Tensor::randn(&[3, 4], &mut rng)).collect();
    // Expected outputs from plain tensor math, without Var.
    let expected: Vec<Tensor<f64>> = inputs
        .iter()
        .map(|x| x.matmul(&w.value()).add(&b.value()).relu())
        .collect();
    let outputs: Vec<(Tensor<f64>, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|x| {
                let (w, b) = (&w, &b);
                scope.spawn(move || {
                    no_grad(|| {
                        let y = Var::new(x.clone()).matmul(w).add(b).relu();
                        (y.value(), y.requires_grad())
                    })
                })
            })
            .collect();
        // no_grad is per thread: this thread keeps recording meanwhile.
        assert!(Var::new(inputs[0].clone()).matmul(&w).requires_grad());
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((y, recorded), e) in outputs.iter().zip(&expected) {
        assert_eq!(y, e);
        assert!(!recorded);
    }
}

#[test]
fn backward_passes_on_several_threads_share_parameters() {
    // Hogwild-style: each thread builds its own graph over the same parameter and runs
    // backward concurrently; every contribution must reach the shared `.grad`.
    let w = Var::parameter(Tensor::<f64>::zeros(&[3]));
    let (threads, steps) = (4, 300);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let w = &w;
            scope.spawn(move || {
                for s in 0..steps {
                    // d/dw sum(w * x + w) = x + 1, with x = [t, s, 1].
                    let x =
                        Var::new(Tensor::from_vec(vec![t as f64, s as f64, 1.0], &[3]).unwrap());
                    w.mul(&x).add(w).sum().backward();
                }
            });
        }
    });
    let n = (threads * steps) as f64;
    let sum_t = (steps * (0..threads).sum::<usize>()) as f64;
    let sum_s = (threads * (0..steps).sum::<usize>()) as f64;
    assert_eq!(
        w.grad().unwrap().to_vec(),
        vec![sum_t + n, sum_s + n, 2.0 * n]
    );
}

#[test]
fn to_dot_lists_every_op_with_its_shape() {
    let x = Var::new(Tensor::<f64>::ones(&[2, 3]));
    let w = Var::parameter(Tensor::<f64>::ones(&[3, 4]));
    w.set_name("weight");
    let b = Var::parameter(Tensor::<f64>::ones(&[4]));
    let y = x.matmul(&w).add(&b).relu().max_axes(&[1], false).sum();
    let dot = y.to_dot();
    for label in [
        "weight [3, 4]",
        "parameter [4]",
        "input [2, 3]",
        "matmul [2, 4]",
        "add [2, 4]",
        "relu [2, 4]",
        "max [2]",
        "sum []",
    ] {
        assert!(dot.contains(label), "missing `{label}` in\n{dot}");
    }
    // Eight values (three leaves, five ops) and seven edges (matmul and add have two inputs).
    assert_eq!(dot.matches("[label=").count(), 8);
    assert_eq!(dot.matches(" -> ").count(), 7);
}
