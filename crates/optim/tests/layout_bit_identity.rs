//! Every optimizer updates a contiguous parameter (the branch-free loop over slices) and a
//! non-contiguous one (the general `Zip` loop over any layout) to the same bits, for every
//! combination of options, in `f32` and `f64`, over several steps.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_optim::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax,
    AdamaxConfig, Asgd, AsgdConfig, NAdam, NAdamConfig, Optimizer, ParamState, RAdam, RAdamConfig,
    RmsProp, RmsPropConfig, Rprop, RpropConfig, Sgd, SgdConfig,
};
use backprop_tensor::ndarray::{Array, IxDyn};
use backprop_tensor::{Float, Rng, Tensor};

/// Odd sizes, so vectorized loops also run their scalar tails.
const SHAPES: [[usize; 2]; 3] = [[1, 1], [3, 5], [7, 33]];
const STEPS: usize = 6;

/// Random values of mixed magnitudes, with exact zeros of both signs among them.
fn values<T: Float>(n: usize, rng: &mut Rng) -> Vec<T> {
    (0..n)
        .map(|i| match i % 11 {
            3 => T::zero(),
            7 => -T::zero(),
            _ => {
                let scale = [1e-3, 1.0, 30.0][i % 3];
                T::from_f64((rng.next_f64() * 2.0 - 1.0) * scale)
            }
        })
        .collect()
}

/// The same values as a row-major tensor and as a column-major one (a transposed array, whose
/// elements are not contiguous in row-major order).
fn both_layouts<T: Float>(shape: [usize; 2], data: Vec<T>) -> (Tensor<T>, Tensor<T>) {
    let contiguous = Tensor::from_vec(data, &shape).unwrap();
    let transposed: Vec<T> = contiguous.t().to_vec();
    let strided = Array::from_shape_vec(IxDyn(&[shape[1], shape[0]]), transposed)
        .unwrap()
        .reversed_axes();
    let strided = Tensor::from_array(strided);
    assert_eq!(strided.to_vec(), contiguous.to_vec());
    if shape.iter().all(|&n| n > 1) {
        assert!(
            strided.as_slice().is_none(),
            "the strided tensor must not be contiguous"
        );
    }
    (contiguous, strided)
}

fn bits<T: Float>(values: &[T]) -> Vec<u64> {
    values
        .iter()
        .map(|v| v.to_f64().unwrap().to_bits())
        .collect()
}

/// Runs `STEPS` steps of two identical optimizers, one over contiguous parameters and one over
/// the same values laid out column-major, and checks that parameters and state agree bit for
/// bit after every step.
fn check<T: Float>(label: &str, make: &dyn Fn(Vec<Var<T>>) -> Box<dyn Optimizer<T>>) {
    check_shapes(label, &SHAPES, make);
}

/// [`check`] over parameters of the given shapes.
fn check_shapes<T: Float>(
    label: &str,
    shapes: &[[usize; 2]],
    make: &dyn Fn(Vec<Var<T>>) -> Box<dyn Optimizer<T>>,
) {
    let mut rng = Rng::seed_from_u64(7);
    let mut fast = Vec::new();
    let mut general = Vec::new();
    for &shape in shapes {
        let (a, b) = both_layouts(shape, values::<T>(shape[0] * shape[1], &mut rng));
        fast.push(Var::parameter(a));
        general.push(Var::parameter(b));
    }
    let mut opt_fast = make(fast.clone());
    let mut opt_general = make(general.clone());
    for step in 0..STEPS {
        for (pf, pg) in fast.iter().zip(&general) {
            let shape = [pf.shape()[0], pf.shape()[1]];
            let (a, b) = both_layouts(shape, values::<T>(shape[0] * shape[1], &mut rng));
            // The general loop also sees a non-contiguous gradient.
            pf.set_grad(Some(a));
            pg.set_grad(Some(b));
        }
        opt_fast.step();
        opt_general.step();
        for (i, (pf, pg)) in fast.iter().zip(&general).enumerate() {
            assert_eq!(
                bits(&pf.value().to_vec()),
                bits(&pg.value().to_vec()),
                "{label}: param {i} differs after step {step}"
            );
            if pf.numel() > 1 {
                assert!(pg.data().as_slice().is_none(), "{label}: layout changed");
            }
        }
        let (sf, sg) = (opt_fast.state_dict(), opt_general.state_dict());
        assert_eq!(sf.state.len(), sg.state.len(), "{label}");
        for (index, (a, b)) in sf.state.values().zip(sg.state.values()).enumerate() {
            assert_eq!(step_count(a), step_count(b), "{label}");
            for ((name, x), (_, y)) in a.buffers().into_iter().zip(b.buffers()) {
                assert_eq!(
                    bits(&x.to_vec()),
                    bits(&y.to_vec()),
                    "{label}: {name} of param {index} differs after step {step}"
                );
            }
        }
    }
}

fn step_count<T: Float>(s: &ParamState<T>) -> Option<u64> {
    match s {
        ParamState::Sgd(_) => None,
        ParamState::Adam(s) => Some(s.step),
        ParamState::RmsProp(s) => Some(s.step),
        ParamState::Adagrad(s) => Some(s.step),
        ParamState::NAdam(s) => Some(s.step),
        ParamState::RAdam(s) => Some(s.step),
        ParamState::Adamax(s) => Some(s.step),
        ParamState::Adadelta(s) => Some(s.step),
        ParamState::Rprop(s) => Some(s.step),
        ParamState::Asgd(s) => Some(s.step),
        ParamState::Lbfgs(s) => Some(s.n_iter),
    }
}

fn all_bools() -> [bool; 2] {
    [false, true]
}

fn sgd_configs() -> Vec<SgdConfig> {
    let mut out = Vec::new();
    for maximize in all_bools() {
        for weight_decay in [0.0, 0.1] {
            for (momentum, dampening, nesterov) in [
                (0.0, 0.0, false),
                (0.9, 0.0, false),
                (0.9, 0.3, false),
                (0.9, 0.0, true),
            ] {
                out.push(SgdConfig {
                    lr: 0.03,
                    momentum,
                    dampening,
                    weight_decay,
                    nesterov,
                    maximize,
                });
            }
        }
    }
    out
}

#[test]
fn sgd_is_bit_identical_for_every_layout() {
    for c in sgd_configs() {
        let label = format!("SGD {c:?}");
        check::<f32>(&label, &|p| Box::new(Sgd::new(p, c).unwrap()));
        check::<f64>(&label, &|p| Box::new(Sgd::new(p, c).unwrap()));
    }
}

/// Adam's options, with β₁ on both sides of `lerp`'s switch (weight `1 − β₁` below and above
/// one half).
fn adam_configs() -> Vec<AdamConfig> {
    let mut out = Vec::new();
    for maximize in all_bools() {
        for amsgrad in all_bools() {
            for weight_decay in [0.0, 0.1] {
                for betas in [(0.9, 0.999), (0.3, 0.5)] {
                    out.push(AdamConfig {
                        lr: 0.01,
                        betas,
                        eps: 1e-8,
                        weight_decay,
                        amsgrad,
                        maximize,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn adam_is_bit_identical_for_every_layout() {
    for c in adam_configs() {
        let label = format!("Adam {c:?}");
        check::<f32>(&label, &|p| Box::new(Adam::new(p, c).unwrap()));
        check::<f64>(&label, &|p| Box::new(Adam::new(p, c).unwrap()));
    }
}

/// Adam's slice loop runs in chunks of eight elements, the last chunk overlapping the one
/// before it when the length is not a multiple of eight, and element by element below eight:
/// lengths below eight, multiples of eight and every remainder, against the general loop.
#[test]
fn adam_chunks_and_remainders_are_bit_identical() {
    let shapes = [
        [2, 2],
        [2, 3],
        [2, 4],
        [3, 3],
        [2, 5],
        [2, 6],
        [2, 7],
        [3, 5],
        [2, 8],
        [3, 6],
        [4, 5],
        [3, 7],
        [2, 11],
        [4, 6],
        [5, 5],
        [3, 9],
        [3, 11],
    ];
    for c in adam_configs() {
        let label = format!("Adam chunks {c:?}");
        check_shapes::<f32>(&label, &shapes, &|p| Box::new(Adam::new(p, c).unwrap()));
        check_shapes::<f64>(&label, &shapes, &|p| Box::new(Adam::new(p, c).unwrap()));
    }
}

#[test]
fn adamw_is_bit_identical_for_every_layout() {
    for c in adam_configs() {
        let c = AdamWConfig {
            lr: c.lr,
            betas: c.betas,
            eps: c.eps,
            weight_decay: c.weight_decay,
            amsgrad: c.amsgrad,
            maximize: c.maximize,
        };
        let label = format!("AdamW {c:?}");
        check::<f32>(&label, &|p| Box::new(AdamW::new(p, c).unwrap()));
        check::<f64>(&label, &|p| Box::new(AdamW::new(p, c).unwrap()));
    }
}

#[test]
fn rmsprop_is_bit_identical_for_every_layout() {
    for maximize in all_bools() {
        for centered in all_bools() {
            for momentum in [0.0, 0.9] {
                for weight_decay in [0.0, 0.1] {
                    // α = 0.3 makes the centered average's lerp weight 1 − α exceed one half.
                    for alpha in [0.99, 0.3] {
                        let c = RmsPropConfig {
                            lr: 0.01,
                            alpha,
                            eps: 1e-8,
                            weight_decay,
                            momentum,
                            centered,
                            maximize,
                        };
                        let label = format!("RMSprop {c:?}");
                        check::<f32>(&label, &|p| Box::new(RmsProp::new(p, c).unwrap()));
                        check::<f64>(&label, &|p| Box::new(RmsProp::new(p, c).unwrap()));
                    }
                }
            }
        }
    }
}

#[test]
fn adagrad_is_bit_identical_for_every_layout() {
    for maximize in all_bools() {
        for weight_decay in [0.0, 0.1] {
            for (lr_decay, initial_accumulator_value) in [(0.0, 0.0), (0.05, 0.2)] {
                let c = AdagradConfig {
                    lr: 0.05,
                    lr_decay,
                    weight_decay,
                    initial_accumulator_value,
                    eps: 1e-10,
                    maximize,
                };
                let label = format!("Adagrad {c:?}");
                check::<f32>(&label, &|p| Box::new(Adagrad::new(p, c).unwrap()));
                check::<f64>(&label, &|p| Box::new(Adagrad::new(p, c).unwrap()));
            }
        }
    }
}

#[test]
fn nadam_and_radam_are_bit_identical_for_every_layout() {
    for maximize in all_bools() {
        for decoupled_weight_decay in all_bools() {
            for weight_decay in [0.0, 0.1] {
                // β₁ on both sides of `lerp`'s switch.
                for betas in [(0.9, 0.999), (0.3, 0.5)] {
                    let c = NAdamConfig {
                        lr: 0.01,
                        betas,
                        weight_decay,
                        decoupled_weight_decay,
                        maximize,
                        ..Default::default()
                    };
                    let label = format!("NAdam {c:?}");
                    check::<f32>(&label, &|p| Box::new(NAdam::new(p, c).unwrap()));
                    check::<f64>(&label, &|p| Box::new(NAdam::new(p, c).unwrap()));
                }
                // β₂ = 0.3 gives ρ∞ < 5 (never rectified); 0.6 rectifies from the fourth step.
                for betas in [(0.9, 0.3), (0.3, 0.6)] {
                    let c = RAdamConfig {
                        lr: 0.01,
                        betas,
                        weight_decay,
                        decoupled_weight_decay,
                        maximize,
                        ..Default::default()
                    };
                    let label = format!("RAdam {c:?}");
                    check::<f32>(&label, &|p| Box::new(RAdam::new(p, c).unwrap()));
                    check::<f64>(&label, &|p| Box::new(RAdam::new(p, c).unwrap()));
                }
            }
        }
    }
}

#[test]
fn adamax_adadelta_and_asgd_are_bit_identical_for_every_layout() {
    for maximize in all_bools() {
        for weight_decay in [0.0, 0.1] {
            for betas in [(0.9, 0.999), (0.3, 0.5)] {
                let c = AdamaxConfig {
                    lr: 0.01,
                    betas,
                    weight_decay,
                    maximize,
                    ..Default::default()
                };
                let label = format!("Adamax {c:?}");
                check::<f32>(&label, &|p| Box::new(Adamax::new(p, c).unwrap()));
                check::<f64>(&label, &|p| Box::new(Adamax::new(p, c).unwrap()));
            }
            let c = AdadeltaConfig {
                weight_decay,
                maximize,
                ..Default::default()
            };
            let label = format!("Adadelta {c:?}");
            check::<f32>(&label, &|p| Box::new(Adadelta::new(p, c).unwrap()));
            check::<f64>(&label, &|p| Box::new(Adadelta::new(p, c).unwrap()));
            // t0 = 2: the average copies the parameter, then follows it with μ < 1.
            let c = AsgdConfig {
                lr: 0.05,
                lambd: 0.1,
                t0: 2.0,
                weight_decay,
                maximize,
                ..Default::default()
            };
            let label = format!("ASGD {c:?}");
            check::<f32>(&label, &|p| Box::new(Asgd::new(p, c).unwrap()));
            check::<f64>(&label, &|p| Box::new(Asgd::new(p, c).unwrap()));
        }
    }
}

#[test]
fn rprop_is_bit_identical_for_every_layout() {
    for maximize in all_bools() {
        let c = RpropConfig {
            lr: 0.05,
            step_sizes: (1e-3, 0.2),
            maximize,
            ..Default::default()
        };
        let label = format!("Rprop {c:?}");
        check::<f32>(&label, &|p| Box::new(Rprop::new(p, c).unwrap()));
        check::<f64>(&label, &|p| Box::new(Rprop::new(p, c).unwrap()));
    }
}

/// A parameter above the optimizers' threading threshold (2¹⁶ elements) is updated in one
/// chunk per thread; the chunks must give the same bits as the single-threaded general loop.
#[test]
fn adam_on_several_threads_is_bit_identical() {
    backprop_tensor::set_num_threads(2);
    for c in adam_configs().into_iter().filter(|c| c.weight_decay != 0.0) {
        let label = format!("Adam on two threads {c:?}");
        let shapes = [[300, 301], [3, 5]];
        check_shapes::<f32>(&label, &shapes, &|p| Box::new(Adam::new(p, c).unwrap()));
        let w = AdamWConfig {
            lr: c.lr,
            betas: c.betas,
            eps: c.eps,
            weight_decay: c.weight_decay,
            amsgrad: c.amsgrad,
            maximize: c.maximize,
        };
        check_shapes::<f64>(&label, &shapes, &|p| Box::new(AdamW::new(p, w).unwrap()));
    }
    backprop_tensor::set_num_threads(0);
}
