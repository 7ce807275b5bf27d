//! Conv2d and Conv1d: init, names, builders, unbatched inputs and errors.

use super::*;

#[test]
fn default_init_is_within_pytorch_bounds() {
    let mut rng = Rng::seed_from_u64(0);
    // fan_in = 8/2 · 2 · 2 = 16, so the bound is 1/4.
    let opts = Conv2dOptions::default().groups(2);
    let conv = Conv2d::<f64>::with_options(8, 600, 2, opts, true, &mut rng);
    assert_eq!(conv.weight.shape(), [600, 4, 2, 2]);
    let bound = 0.25;
    let w = conv.weight.value();
    assert!(w.abs().max_all().item() <= bound);
    // U(-b, b) has standard deviation b/√3; 9600 samples pin it to well under 1%.
    let std = w.var(&[0, 1, 2, 3], 0, false).item().sqrt();
    assert!((std - bound / 3f64.sqrt()).abs() < 0.004, "std {std}");
    let b = conv.bias.as_ref().unwrap().value();
    assert!(b.abs().max_all().item() <= bound);
    assert!(b.abs().max_all().item() > 0.24);
    // Conv1d: fan_in = 3 · 3 = 9, bound 1/3.
    let conv = Conv1d::<f64>::new(3, 400, 3, &mut rng);
    let w = conv.weight.value();
    assert!(w.abs().max_all().item() <= 1.0 / 3.0);
    assert!(w.abs().max_all().item() > 0.33);
}

#[test]
fn parameters_have_pytorch_names_and_builders_keep_shapes() {
    let mut rng = Rng::seed_from_u64(1);
    let conv = Conv2d::<f32>::new(3, 4, (2, 5), &mut rng)
        .with_stride((1, 2))
        .with_dilation(2);
    let names: Vec<String> = conv
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["weight", "bias"]);
    assert_eq!(
        (conv.in_channels(), conv.out_channels(), conv.kernel_size()),
        (3, 4, (2, 5))
    );
    assert_eq!(conv.options.stride, (1, 2));
    let conv = conv.with_bias(false);
    assert_eq!(conv.num_parameters(), 4 * 3 * 2 * 5);
    let conv1 =
        Conv1d::<f32>::with_options(4, 2, 3, Conv1dOptions::default().groups(2), false, &mut rng);
    assert_eq!(conv1.weight.shape(), [2, 2, 3]);
    assert_eq!(conv1.in_channels(), 4);
}

#[test]
fn unbatched_input_matches_a_batch_of_one() {
    let mut rng = Rng::seed_from_u64(2);
    let conv = Conv2d::<f64>::new(2, 3, 3, &mut rng).with_padding(1);
    let x = Tensor::<f64>::randn(&[2, 5, 4], &mut rng);
    let single = conv.forward(&Var::new(x.clone())).value();
    let batch = conv.forward(&Var::new(x.reshape(&[1, 2, 5, 4]))).value();
    assert_eq!(single.shape(), [3, 5, 4]);
    assert_eq!(single.to_vec(), batch.to_vec());
    let conv = Conv1d::<f64>::new(2, 3, 3, &mut rng);
    let x = Tensor::<f64>::randn(&[2, 6], &mut rng);
    assert_eq!(conv.forward(&Var::new(x)).shape(), [3, 4]);
}

#[test]
fn from_weights_rejects_bad_shapes() {
    let e = Conv2d::from_weights(
        Tensor::<f32>::zeros(&[2, 3, 3]),
        None,
        Conv2dOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Conv2d: weight must be [out, in/groups, kH, kW], got [2, 3, 3]"
    );
    let e = Conv1d::from_weights(
        Tensor::<f32>::zeros(&[2, 3, 3]),
        Some(Tensor::zeros(&[3])),
        Conv1dOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Conv1d: bias must be [2] for weight [2, 3, 3], got [3]"
    );
}

#[test]
#[should_panic(
    expected = "Conv2d: in_channels = 3 and out_channels = 4 must both be divisible by groups = 2"
)]
fn groups_must_divide_the_channels() {
    let opts = Conv2dOptions::default().groups(2);
    let _ = Conv2d::<f32>::with_options(3, 4, 3, opts, true, &mut Rng::seed_from_u64(0));
}
