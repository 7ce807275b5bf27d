//! NAdam, RAdam, Adamax, Adadelta, Rprop and ASGD reject every option that PyTorch raises a
//! `ValueError` for, with an error naming the optimizer, the option and the value.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_optim::{
    Adadelta, AdadeltaConfig, Adamax, AdamaxConfig, Asgd, AsgdConfig, NAdam, NAdamConfig,
    OptimError, Optimizer, RAdam, RAdamConfig, Rprop, RpropConfig,
};
use backprop_tensor::Tensor;

/// The error of an option with an invalid value.
fn invalid(
    owner: &'static str,
    option: &'static str,
    value: f64,
    reason: &'static str,
) -> OptimError {
    OptimError::InvalidOption {
        owner,
        option,
        value: value.to_string(),
        reason,
    }
}

fn one_param() -> Vec<Var<f64>> {
    vec![Var::parameter(Tensor::from_vec(vec![1.0], &[1]).unwrap())]
}

const NON_NEGATIVE: &str = "must be >= 0";
const BETA: &str = "must be in [0, 1)";

#[test]
fn nadam_rejects_each_invalid_option() {
    let d = NAdamConfig::default();
    let cases = [
        (
            NAdamConfig { lr: -1e-3, ..d },
            invalid("NAdam", "lr", -1e-3, NON_NEGATIVE),
        ),
        (
            NAdamConfig { eps: -1.0, ..d },
            invalid("NAdam", "eps", -1.0, NON_NEGATIVE),
        ),
        (
            NAdamConfig {
                betas: (1.0, 0.999),
                ..d
            },
            invalid("NAdam", "betas[0]", 1.0, BETA),
        ),
        (
            NAdamConfig {
                betas: (-0.1, 0.999),
                ..d
            },
            invalid("NAdam", "betas[0]", -0.1, BETA),
        ),
        (
            NAdamConfig {
                betas: (0.9, 1.5),
                ..d
            },
            invalid("NAdam", "betas[1]", 1.5, BETA),
        ),
        (
            NAdamConfig {
                weight_decay: -0.1,
                ..d
            },
            invalid("NAdam", "weight_decay", -0.1, NON_NEGATIVE),
        ),
        (
            NAdamConfig {
                momentum_decay: -4e-3,
                ..d
            },
            invalid("NAdam", "momentum_decay", -4e-3, NON_NEGATIVE),
        ),
    ];
    for (config, want) in cases {
        assert_eq!(NAdam::new(one_param(), config).err(), Some(want.clone()));
        // The same check guards groups added later.
        let mut opt = NAdam::new(one_param(), d).unwrap();
        assert_eq!(opt.add_param_group(one_param(), config), Err(want));
    }
    assert!(
        NAdam::new(
            one_param(),
            NAdamConfig {
                betas: (0.0, 0.0),
                ..d
            }
        )
        .is_ok()
    );
}

#[test]
fn radam_rejects_each_invalid_option() {
    let d = RAdamConfig::default();
    let cases = [
        (
            RAdamConfig { lr: -1.0, ..d },
            invalid("RAdam", "lr", -1.0, NON_NEGATIVE),
        ),
        (
            RAdamConfig { eps: -1e-8, ..d },
            invalid("RAdam", "eps", -1e-8, NON_NEGATIVE),
        ),
        (
            RAdamConfig {
                betas: (1.0, 0.999),
                ..d
            },
            invalid("RAdam", "betas[0]", 1.0, BETA),
        ),
        (
            RAdamConfig {
                betas: (0.9, 1.0),
                ..d
            },
            invalid("RAdam", "betas[1]", 1.0, BETA),
        ),
        (
            RAdamConfig {
                weight_decay: -0.5,
                ..d
            },
            invalid("RAdam", "weight_decay", -0.5, NON_NEGATIVE),
        ),
    ];
    for (config, want) in cases {
        assert_eq!(RAdam::new(one_param(), config).err(), Some(want));
    }
}

#[test]
fn adamax_rejects_each_invalid_option() {
    let d = AdamaxConfig::default();
    let cases = [
        (
            AdamaxConfig { lr: -2e-3, ..d },
            invalid("Adamax", "lr", -2e-3, NON_NEGATIVE),
        ),
        (
            AdamaxConfig { eps: -1.0, ..d },
            invalid("Adamax", "eps", -1.0, NON_NEGATIVE),
        ),
        (
            AdamaxConfig {
                betas: (2.0, 0.999),
                ..d
            },
            invalid("Adamax", "betas[0]", 2.0, BETA),
        ),
        (
            AdamaxConfig {
                betas: (0.9, -0.5),
                ..d
            },
            invalid("Adamax", "betas[1]", -0.5, BETA),
        ),
        (
            AdamaxConfig {
                weight_decay: -1.0,
                ..d
            },
            invalid("Adamax", "weight_decay", -1.0, NON_NEGATIVE),
        ),
    ];
    for (config, want) in cases {
        assert_eq!(Adamax::new(one_param(), config).err(), Some(want));
    }
}

#[test]
fn adadelta_rejects_each_invalid_option() {
    let d = AdadeltaConfig::default();
    let rho = "must be in [0, 1]";
    let cases = [
        (
            AdadeltaConfig { lr: -1.0, ..d },
            invalid("Adadelta", "lr", -1.0, NON_NEGATIVE),
        ),
        (
            AdadeltaConfig { rho: -0.1, ..d },
            invalid("Adadelta", "rho", -0.1, rho),
        ),
        (
            AdadeltaConfig { rho: 1.1, ..d },
            invalid("Adadelta", "rho", 1.1, rho),
        ),
        (
            AdadeltaConfig { eps: -1e-6, ..d },
            invalid("Adadelta", "eps", -1e-6, NON_NEGATIVE),
        ),
        (
            AdadeltaConfig {
                weight_decay: -0.1,
                ..d
            },
            invalid("Adadelta", "weight_decay", -0.1, NON_NEGATIVE),
        ),
    ];
    for (config, want) in cases {
        assert_eq!(Adadelta::new(one_param(), config).err(), Some(want));
    }
    // Both ends of rho's range are allowed, as in PyTorch.
    for rho in [0.0, 1.0] {
        assert!(Adadelta::new(one_param(), AdadeltaConfig { rho, ..d }).is_ok());
    }
}

#[test]
fn rprop_rejects_each_invalid_option() {
    let d = RpropConfig::default();
    let eta_minus = "must be in (0, 1)";
    let cases = [
        (
            RpropConfig { lr: -0.01, ..d },
            invalid("Rprop", "lr", -0.01, NON_NEGATIVE),
        ),
        (
            RpropConfig {
                etas: (0.0, 1.2),
                ..d
            },
            invalid("Rprop", "etas[0]", 0.0, eta_minus),
        ),
        (
            RpropConfig {
                etas: (1.0, 1.2),
                ..d
            },
            invalid("Rprop", "etas[0]", 1.0, eta_minus),
        ),
        (
            RpropConfig {
                etas: (0.5, 1.0),
                ..d
            },
            invalid("Rprop", "etas[1]", 1.0, "must be > 1"),
        ),
        (
            RpropConfig {
                etas: (0.5, 0.9),
                ..d
            },
            invalid("Rprop", "etas[1]", 0.9, "must be > 1"),
        ),
    ];
    for (config, want) in cases {
        assert_eq!(Rprop::new(one_param(), config).err(), Some(want));
    }
    // PyTorch does not check the step-size bounds.
    assert!(
        Rprop::new(
            one_param(),
            RpropConfig {
                step_sizes: (1.0, 0.5),
                ..d
            }
        )
        .is_ok()
    );
}

#[test]
fn asgd_rejects_each_invalid_option() {
    let d = AsgdConfig::default();
    let cases = [
        (
            AsgdConfig { lr: -0.01, ..d },
            invalid("ASGD", "lr", -0.01, NON_NEGATIVE),
        ),
        (
            AsgdConfig { lambd: -1e-4, ..d },
            invalid("ASGD", "lambd", -1e-4, NON_NEGATIVE),
        ),
        (
            AsgdConfig { alpha: -0.75, ..d },
            invalid("ASGD", "alpha", -0.75, NON_NEGATIVE),
        ),
        (
            AsgdConfig {
                weight_decay: -1.0,
                ..d
            },
            invalid("ASGD", "weight_decay", -1.0, NON_NEGATIVE),
        ),
    ];
    for (config, want) in cases {
        assert_eq!(Asgd::new(one_param(), config).err(), Some(want));
    }
    // t0 is not checked by PyTorch either.
    assert!(Asgd::new(one_param(), AsgdConfig { t0: -5.0, ..d }).is_ok());
}

#[test]
fn nan_options_are_rejected_and_errors_name_the_option() {
    let err = NAdam::new(
        one_param(),
        NAdamConfig {
            lr: f64::NAN,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(err.to_string(), "NAdam: invalid lr = NaN: must be >= 0");
    let err = Rprop::new(
        one_param(),
        RpropConfig {
            etas: (f64::NAN, 1.2),
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(
        err.to_string(),
        "Rprop: invalid etas[0] = NaN: must be in (0, 1)"
    );
    let err = Adadelta::new(
        one_param(),
        AdadeltaConfig {
            rho: f64::NAN,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(
        err.to_string(),
        "Adadelta: invalid rho = NaN: must be in [0, 1]"
    );
    assert!(matches!(
        Asgd::<f64>::new(vec![], AsgdConfig::default()),
        Err(OptimError::EmptyParameters { owner: "ASGD" })
    ));
}

/// A saved state whose options were edited to invalid values is refused, and nothing changes.
#[test]
fn loading_invalid_options_is_refused() {
    let mut opt = Adadelta::new(one_param(), AdadeltaConfig::default()).unwrap();
    let mut state = opt.state_dict();
    if let backprop_optim::GroupOptions::Adadelta(c) = &mut state.param_groups[0].options {
        c.rho = 2.0;
    }
    assert_eq!(
        opt.load_state_dict(state).unwrap_err(),
        invalid("Adadelta", "rho", 2.0, "must be in [0, 1]")
    );
    assert_eq!(opt.lr(), 1.0);
}
