//! Tests of the first-order pass.

use std::sync::{Arc, Mutex};

use backprop_tensor::Tensor;

use crate::Var;

/// The implicit seed is cached per thread: it must take the shape of each new root, and
/// passes of another element type in between must not disturb it.
#[test]
fn implicit_seed_follows_the_roots_shape_and_type() {
    for shape in [&[][..], &[1], &[1, 1], &[1], &[1, 1, 1, 1, 1]] {
        let x = Var::parameter(Tensor::<f32>::full(shape, 3.0));
        let y = x.mul(&x);
        let seen = Arc::new(Mutex::new(None));
        let seen_in_hook = Arc::clone(&seen);
        y.register_hook(move |g| {
            *seen_in_hook.lock().unwrap() = Some(g.clone());
            None
        });
        y.backward();
        let seed = seen.lock().unwrap().take().unwrap();
        assert_eq!(seed, Tensor::ones(shape));
        assert_eq!(x.grad().unwrap(), Tensor::full(shape, 6.0));

        let z = Var::parameter(Tensor::<f64>::full(shape, 2.0));
        z.mul(&z).backward();
        assert_eq!(z.grad().unwrap(), Tensor::full(shape, 4.0));
    }
}

/// An implicit seed needs a one-element root; the refusal comes before the pass touches
/// the graph, which stays usable.
#[test]
fn implicit_seed_of_several_elements_is_refused_and_the_graph_kept() {
    let x = Var::parameter(Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2]).unwrap());
    let y = x.mul(&x);
    let y_in_panic = y.clone();
    let err = std::panic::catch_unwind(move || y_in_panic.backward()).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("output of shape [2] is not a scalar"), "{msg}");
    assert!(x.grad().is_none());
    y.backward_with(Tensor::ones(&[2]));
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0]);
}

/// Gradients accumulate into a stored gradient in place, unless a handle to it was
/// given out, which must keep its value.
#[test]
fn accumulation_leaves_a_handed_out_gradient_unchanged() {
    let x = Var::parameter(Tensor::<f32>::from_vec(vec![3.0], &[1]).unwrap());
    x.mul(&x).backward();
    let first = x.grad_var().unwrap();
    x.mul(&x).backward();
    assert_eq!(first.value().to_vec(), vec![6.0]);
    assert_eq!(x.grad().unwrap().to_vec(), vec![12.0]);
    drop(first);
    x.mul(&x).backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![18.0]);
}

/// A pass started inside a hook of another pass gets buffers of its own.
#[test]
fn a_pass_inside_a_hook_does_not_share_buffers() {
    let x = Var::parameter(Tensor::<f32>::from_vec(vec![2.0], &[1]).unwrap());
    let inner = Var::parameter(Tensor::<f32>::from_vec(vec![5.0], &[1]).unwrap());
    let inner_in_hook = inner.clone();
    let y = x.mul(&x);
    y.register_hook(move |_| {
        // A hook runs with recording off, like the rest of the pass.
        let _on = crate::mode::set_grad_enabled(true);
        inner_in_hook.add(&inner_in_hook).backward();
        None
    });
    y.add(&x).backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![5.0]); // 2x + 1
    assert_eq!(inner.grad().unwrap().to_vec(), vec![2.0]);
    // The buffers kept afterwards still work.
    x.mul(&x).add(&x).backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![10.0]);
}

/// A graph built from two leaves.
type Build = fn(&Var<f32>, &Var<f32>) -> Var<f32>;

/// Runs `f` in anomaly mode, where every rule runs (nothing is passed through by the
/// engine): the general path to compare the pass-through with.
fn general<R>(f: impl FnOnce() -> R) -> R {
    crate::mode::detect_anomaly(f)
}

/// The gradients of `x` and `y` (both kept, or `y` a constant) after `build(x, y)` and a
/// backward pass, starting from gradients already stored in `.grad` when `preset`.
fn grads_of(
    shape: &[usize],
    y_requires_grad: bool,
    preset: bool,
    build: &Build,
) -> (Option<Tensor<f32>>, Option<Tensor<f32>>) {
    let n: usize = shape.iter().product();
    let values = |k: f32| {
        (0..n)
            .map(|i| (i as f32 * 0.37 + k).sin())
            .collect::<Vec<_>>()
    };
    let x = Var::parameter(Tensor::from_vec(values(0.1), shape).unwrap());
    let y = Var::leaf(
        Tensor::from_vec(values(0.7), shape).unwrap(),
        y_requires_grad,
    );
    if preset {
        x.set_grad(Some(Tensor::from_vec(values(1.3), shape).unwrap()));
        if y_requires_grad {
            y.set_grad(Some(Tensor::from_vec(values(2.9), shape).unwrap()));
        }
    }
    let out = build(&x, &y);
    if out.numel() == 1 {
        out.backward();
    } else {
        out.backward_with(Tensor::from_vec(values(4.1), out.shape().as_slice()).unwrap());
    }
    (x.grad(), y.grad())
}

/// The engine's pass-through of `add`'s upstream gradient (by reference, into pending
/// gradients or straight into `.grad`) gives bitwise what the rule itself computes, on
/// many shapes and graph forms: one or both inputs needing gradients, an input used twice,
/// a leaf reached along several paths, gradients already stored, a single root seeded
/// implicitly.
#[test]
fn add_pass_through_matches_the_rule_bitwise() {
    let builds: [Build; 6] = [
        |x, y| x.add(y),
        |x, y| x.add(y).sum(),
        |x, _| x.add(x),
        |x, y| x.add(y).mul(x).add(&y.mul(y)),
        |x, y| x.mul(y).add(&x.add(y)).add(x),
        |x, y| x.add(y).add(&x.add(y)).sum(),
    ];
    for shape in [&[][..], &[1], &[3], &[2, 3], &[4, 1, 5], &[1, 1, 1]] {
        for (b, build) in builds.iter().enumerate() {
            for y_requires_grad in [true, false] {
                for preset in [false, true] {
                    let fast = grads_of(shape, y_requires_grad, preset, build);
                    let slow = general(|| grads_of(shape, y_requires_grad, preset, build));
                    assert_eq!(
                        fast, slow,
                        "shape {shape:?}, graph {b}, y grad {y_requires_grad}, preset {preset}"
                    );
                }
            }
        }
    }
}

/// A leaf reached along two paths gets the sum of both contributions added into its
/// stored gradient once, as PyTorch does (`grad + (c1 + c2)`), not each in turn: with
/// contributions of 0.6 ulp of 1 the two orders round differently.
#[test]
fn a_leaf_with_two_contributions_adds_their_sum_once() {
    let k = 0.6 * f32::EPSILON;
    let x = Var::parameter(Tensor::from_vec(vec![5.0f32], &[1]).unwrap());
    x.set_grad(Some(Tensor::from_vec(vec![1.0], &[1]).unwrap()));
    x.mul_scalar(k).add(&x.mul_scalar(k)).backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0 + f32::EPSILON]);
    // One contribution goes straight into `.grad`, with the same rounding.
    let z = Var::parameter(Tensor::from_vec(vec![5.0f32], &[1]).unwrap());
    z.set_grad(Some(Tensor::from_vec(vec![1.0], &[1]).unwrap()));
    z.mul_scalar(k).backward();
    assert_eq!(z.grad().unwrap().to_vec(), vec![1.0 + f32::EPSILON]);
}

/// A leaf with a hook is not accumulated straight into: its hook still sees the
/// gradient, also when `add` passes it through.
#[test]
fn a_hooked_leaf_still_runs_its_hook_under_pass_through() {
    let x = Var::parameter(Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap());
    let y = Var::parameter(Tensor::from_vec(vec![3.0f32, 4.0], &[2]).unwrap());
    x.register_hook(|g| Some(g.mul_scalar(10.0)));
    x.add(&y).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![10.0, 10.0]);
    assert_eq!(y.grad().unwrap().to_vec(), vec![1.0, 1.0]);
}

/// The pass holds the nodes it reaches without counting them: nodes that only the graph
/// holds (every intermediate handle dropped) must live until the pass is done, and a
/// retained graph must be whole again for the next pass.
#[test]
fn nodes_held_only_by_the_graph_live_through_the_pass() {
    let x = Var::parameter(Tensor::<f64>::from_vec(vec![0.5, -1.0], &[2]).unwrap());
    let build = || {
        let mut h = x.clone();
        for _ in 0..20 {
            h = h.mul_scalar(1.5).tanh().add(&x);
        }
        h.sum()
    };
    let expected = {
        let y = build();
        y.backward();
        x.grad().unwrap()
    };
    x.zero_grad();
    let y = build();
    y.backward_opts(
        None,
        crate::BackwardOptions {
            retain_graph: true,
            ..Default::default()
        },
    );
    assert_eq!(x.grad().unwrap(), expected);
    y.backward();
    assert_eq!(x.grad().unwrap(), expected.add(&expected));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| y.backward())).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("backward through the graph a second time"),
        "{msg}"
    );
}
