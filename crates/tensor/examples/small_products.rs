//! Runs each of W1's eight matrix products (as the autograd ops call them) a given number of
//! times, for counting instructions per product with callgrind:
//!
//! `small_products [NAME] [COUNT]`: NAME is one of the names below (all when absent), COUNT
//! the repetitions (10,000 by default).

use std::hint::black_box;

use backprop_tensor::{Rng, Tensor};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = args.get(1).map(String::as_str);
    let count: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut rng = Rng::seed_from_u64(1);
    let mut randn = |shape: &[usize]| Tensor::<f32>::randn(shape, &mut rng);
    // Activations `x` ([120, in]), weights `w` ([out, in]) and output gradients `g`
    // ([120, out]) of W1's three layers 4 → 8 → 9 → 3.
    let (x0, x1, x2) = (randn(&[120, 4]), randn(&[120, 8]), randn(&[120, 9]));
    let (w0, w1, w2) = (randn(&[8, 4]), randn(&[9, 8]), randn(&[3, 9]));
    let (g0, g1, g2) = (randn(&[120, 8]), randn(&[120, 9]), randn(&[120, 3]));
    type Op<'a> = (&'a str, Box<dyn Fn() -> Tensor<f32> + 'a>);
    let ops: Vec<Op<'_>> = vec![
        ("fwd0", Box::new(|| x0.matmul_t(&w0))),
        ("fwd1", Box::new(|| x1.matmul_t(&w1))),
        ("fwd2", Box::new(|| x2.matmul_t(&w2))),
        ("dx2", Box::new(|| g2.matmul(&w2))),
        ("dx1", Box::new(|| g1.matmul(&w1))),
        ("dw2", Box::new(|| g2.t_matmul(&x2))),
        ("dw1", Box::new(|| g1.t_matmul(&x1))),
        ("dw0", Box::new(|| g0.t_matmul(&x0))),
    ];
    for (name, op) in &ops {
        if only.is_some_and(|o| o != *name && o != "all") {
            continue;
        }
        for _ in 0..count {
            black_box(op());
        }
    }
}
