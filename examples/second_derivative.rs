//! Gradients of gradients: the second derivative of the tutorial's y = e^{sin(x²)}.
//!
//! `grad` with `create_graph` records the backward pass, so dy/dx is itself a value with a
//! graph; differentiating it again gives d²y/dx², compared here with the closed form
//! y'' = e^{sin x²} · ((2x·cos x²)² − 4x²·sin x² + 2·cos x²).
//!
//! Run: `cargo run --example second_derivative`

use backprop::prelude::*;

fn main() {
    let mut worst: f64 = 0.0;
    println!(
        "{:>6}  {:>18}  {:>18}  {:>18}  {:>10}",
        "x", "dy/dx", "d2y/dx2 (autodiff)", "closed form", "|diff|"
    );
    for &x0 in &[-1.5f64, -0.5, 0.25, 1.0, 2.0] {
        let x = Var::parameter(Tensor::scalar(x0));
        let y = x.powf(2.0).sin().exp();
        let create = BackwardOptions {
            create_graph: true,
            ..Default::default()
        };
        let dy = grad(&[y], std::slice::from_ref(&x), &[], create)[0]
            .clone()
            .expect("y depends on x");
        let d2y = grad(
            std::slice::from_ref(&dy),
            &[x],
            &[],
            BackwardOptions::default(),
        )[0]
        .clone()
        .expect("dy/dx depends on x");
        let (s, c) = ((x0 * x0).sin(), (x0 * x0).cos());
        let closed = s.exp() * ((2.0 * x0 * c).powi(2) - 4.0 * x0 * x0 * s + 2.0 * c);
        let diff = (d2y.item() - closed).abs();
        worst = worst.max(diff);
        println!(
            "{x0:>6}  {:>18.12}  {:>18.12}  {closed:>18.12}  {diff:>10.2e}",
            dy.item(),
            d2y.item()
        );
    }
    if worst <= 1e-12 {
        println!(
            "second derivatives agree with the closed form to 1e-12 (largest difference {worst:.2e})"
        );
    } else {
        println!("MISMATCH: largest difference {worst:.2e}");
        std::process::exit(1);
    }
}
