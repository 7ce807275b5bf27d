//! The chain rule, worked: y = e^{sin(x²)} at a few x.
//!
//! Decomposes y = f(u) = eᵘ, u = g(v) = sin v, v = h(x) = x², prints each local derivative,
//! their product, the gradient that autodiff computed (with the backward pass traced step
//! by step) and the closed form e^{sin(x²)}·cos(x²)·2x, then writes the graph as DOT.
//!
//! Run: `cargo run --example chain_rule [-- OUT.dot]`

use backprop::autograd::trace_backward;
use backprop::prelude::*;

fn main() {
    let dot_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/chain_rule.dot".to_string());
    let mut worst: f64 = 0.0;
    let mut last_graph = String::new();
    for &x0 in &[0.5f64, 1.0, 1.5, -2.0] {
        let v0 = x0 * x0;
        let u0 = v0.sin();
        let y0 = u0.exp();
        let dy_du = u0.exp(); // f'(u) = eᵘ
        let du_dv = v0.cos(); // g'(v) = cos v
        let dv_dx = 2.0 * x0; // h'(x) = 2x
        let product = dy_du * du_dv * dv_dx;
        let closed = (x0 * x0).sin().exp() * (x0 * x0).cos() * 2.0 * x0;

        let x = Var::parameter(Tensor::scalar(x0));
        x.set_name("x");
        let v = x.powf(2.0);
        v.set_name("v = x²");
        let u = v.sin();
        u.set_name("u = sin v");
        let y = u.exp();
        y.set_name("y = eᵘ");
        last_graph = y.to_dot();
        let ((), steps) = trace_backward(|| y.backward());
        let autodiff = x.grad().expect("x requires grad").item();

        println!("x = {x0}");
        println!("  forward:  v = x² = {v0:.12}, u = sin v = {u0:.12}, y = eᵘ = {y0:.12}");
        println!(
            "  local derivatives: dy/du = eᵘ = {dy_du:.12}, du/dv = cos v = {du_dv:.12}, dv/dx = 2x = {dv_dx:.12}"
        );
        println!(
            "  backward, step by step (each step multiplies the upstream gradient by a local derivative):"
        );
        for s in &steps {
            for line in s.to_string().lines() {
                println!("    {line}");
            }
        }
        println!("  product of local derivatives: {product:.12}");
        println!("  autodiff dy/dx:               {autodiff:.12}");
        println!("  closed form e^sin(x²)·cos(x²)·2x: {closed:.12}");
        let err = (autodiff - closed).abs().max((product - closed).abs());
        worst = worst.max(err);
        println!("  |difference| = {err:.3e}");
    }
    println!();
    if worst <= 1e-12 {
        println!("all agree to 1e-12 (largest difference {worst:.3e})");
    } else {
        println!("MISMATCH: largest difference {worst:.3e} exceeds 1e-12");
        std::process::exit(1);
    }
    if let Some(dir) = std::path::Path::new(&dot_path).parent() {
        if !dir.as_os_str().is_empty() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("error: cannot create {}: {e}", dir.display());
                std::process::exit(1);
            }
        }
    }
    match std::fs::write(&dot_path, &last_graph) {
        Ok(()) => {
            println!("graph of the last x written to {dot_path} (render: dot -Tsvg {dot_path})")
        }
        Err(e) => {
            eprintln!("error: cannot write {dot_path}: {e}");
            std::process::exit(1);
        }
    }
}
