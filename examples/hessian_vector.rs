//! A Hessian-vector product on a small MLP, checked against finite differences.
//!
//! With θ the parameters and L(θ) the loss, H·v = ∇_θ ⟨∇_θ L(θ), v⟩: one backward pass with
//! `create_graph` gives ∇L as values with a graph, a second backward through ⟨∇L, v⟩ gives
//! H·v — without ever forming H. The check: (∇L(θ + εv) − ∇L(θ − εv)) / 2ε.
//!
//! Run: `cargo run --example hessian_vector`

use backprop::nn::{Linear, MSELoss, Module};
use backprop::prelude::*;

/// 3-5-1 with tanh: smooth, so the Hessian is not trivially zero as with ReLU.
struct Net {
    fc1: Linear<f64>,
    out: Linear<f64>,
}

impl Module<f64> for Net {
    fn forward(&self, x: &Var<f64>) -> Var<f64> {
        self.out.forward(&self.fc1.forward(x).tanh())
    }
    fn children(&self) -> Vec<(&str, &dyn Module<f64>)> {
        vec![("fc1", &self.fc1), ("out", &self.out)]
    }
}

fn loss_grads(net: &Net, x: &Var<f64>, y: &Var<f64>, create_graph: bool) -> Vec<Var<f64>> {
    let params = net.parameters();
    let loss = MSELoss::new().forward(&net.forward(x), y);
    let opts = BackwardOptions {
        create_graph,
        ..Default::default()
    };
    grad(&[loss], &params, &[], opts)
        .into_iter()
        .map(|g| g.expect("every parameter affects the loss"))
        .collect()
}

fn main() {
    let mut rng = Rng::seed_from_u64(7);
    let net = Net {
        fc1: Linear::new(3, 5, &mut rng),
        out: Linear::new(5, 1, &mut rng),
    };
    let x = Var::new(Tensor::randn(&[16, 3], &mut rng));
    let y = Var::new(Tensor::randn(&[16, 1], &mut rng));
    let params = net.parameters();
    let v: Vec<Tensor<f64>> = params
        .iter()
        .map(|p| Tensor::randn(&p.shape(), &mut rng))
        .collect();

    // H·v by double backward.
    let g = loss_grads(&net, &x, &y, true);
    let mut gv = Var::scalar(0.0);
    for (gi, vi) in g.iter().zip(&v) {
        gv = gv.add(&gi.mul(&Var::new(vi.clone())).sum());
    }
    let hv = grad(&[gv], &params, &[], BackwardOptions::default());

    // H·v by central differences of the gradient along v.
    let eps = 1e-5;
    let shift = |sign: f64| {
        no_grad(|| {
            for (p, vi) in params.iter().zip(&v) {
                p.data_mut().add_scaled_(sign * eps, vi);
            }
        })
    };
    shift(1.0);
    let g_plus: Vec<Tensor<f64>> = loss_grads(&net, &x, &y, false)
        .iter()
        .map(|g| g.value())
        .collect();
    shift(-2.0);
    let g_minus: Vec<Tensor<f64>> = loss_grads(&net, &x, &y, false)
        .iter()
        .map(|g| g.value())
        .collect();
    shift(1.0);

    let mut worst: f64 = 0.0;
    println!(
        "{:<12} {:>14} {:>14} {:>10}",
        "parameter", "|Hv| autodiff", "|Hv| fin.diff", "max |diff|"
    );
    for (((name, _), hv), (gp, gm)) in net
        .named_parameters()
        .iter()
        .zip(&hv)
        .zip(g_plus.iter().zip(&g_minus))
    {
        let a = hv.as_ref().expect("depends on every parameter").value();
        let fd = gp.sub(gm).mul_scalar(1.0 / (2.0 * eps));
        let diff = a.sub(&fd).abs().max_all().item();
        worst = worst.max(diff);
        let norm = |t: &Tensor<f64>| t.square().sum_all().item().sqrt();
        println!(
            "{name:<12} {:>14.8} {:>14.8} {diff:>10.2e}",
            norm(&a),
            norm(&fd)
        );
    }
    if worst <= 1e-6 {
        println!(
            "Hessian-vector product agrees with finite differences (largest difference {worst:.2e})"
        );
    } else {
        println!("MISMATCH: largest difference {worst:.2e}");
        std::process::exit(1);
    }
}
