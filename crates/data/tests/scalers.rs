//! StandardScaler and MinMaxScaler: statistics from the training rows only, applied to test
//! rows; constant columns; inverse transforms; serde.

use backprop_data::{MinMaxScaler, StandardScaler, wine};
use backprop_tensor::Tensor;

fn t(v: Vec<f32>, shape: &[usize]) -> Tensor<f32> {
    Tensor::from_vec(v, shape).expect("length matches shape")
}

#[test]
fn standard_scaler_uses_the_population_std_of_the_training_rows() {
    // Column 0: 1, 2, 3, 4 -> mean 2.5, population variance 1.25.
    let train = t(vec![1.0, 10.0, 2.0, 10.0, 3.0, 30.0, 4.0, 30.0], &[4, 2]);
    let scaler = StandardScaler::fit(&train);
    assert_eq!(scaler.mean(), &[2.5, 20.0]);
    assert_eq!(scaler.var(), &[1.25, 100.0]);
    assert_eq!(scaler.scale(), &[1.25f64.sqrt(), 10.0]);

    let test = t(vec![5.0, 0.0], &[1, 2]);
    let z = scaler.transform(&test).to_vec();
    assert!((z[0] - (2.5 / 1.25f64.sqrt()) as f32).abs() < 1e-6);
    assert_eq!(z[1], -2.0);
}

#[test]
fn transforming_the_test_set_uses_the_training_statistics_not_its_own() {
    let train = t(vec![0.0, 2.0, 4.0], &[3, 1]);
    let test = t(vec![10.0, 12.0], &[2, 1]);
    let scaler = StandardScaler::fit(&train);
    let with_train_stats = scaler.transform(&test);
    let (_, with_own_stats) = StandardScaler::fit_transform(&test);
    assert_ne!(with_train_stats, with_own_stats);
    // mean 2, std sqrt(8/3)
    let s = (8.0f64 / 3.0).sqrt();
    let expected = [(8.0 / s) as f32, (10.0 / s) as f32];
    assert!(
        with_train_stats
            .to_vec()
            .iter()
            .zip(expected)
            .all(|(a, b)| (a - b).abs() < 1e-5)
    );
}

#[test]
fn standardized_wine_has_zero_mean_and_unit_std_per_column() {
    let x = wine().features;
    let (_, z) = StandardScaler::fit_transform(&x);
    // Checked with the tensor crate's own reductions, an independent computation.
    let z = z.cast::<f64>();
    let mean = z.mean(&[0], false).to_vec();
    let var = z.var(&[0], 0, false).to_vec();
    assert!(mean.iter().all(|m| m.abs() < 1e-5), "{mean:?}");
    assert!(var.iter().all(|v| (v - 1.0).abs() < 1e-5), "{var:?}");
}

#[test]
fn a_constant_column_maps_to_zero_instead_of_nan() {
    let train = t(vec![1000.1, 1.0, 1000.1, 2.0, 1000.1, 3.0], &[3, 2]);
    let (scaler, z) = StandardScaler::fit_transform(&train);
    assert_eq!(scaler.scale()[0], 1.0);
    assert!(z.all_finite());
    let z = z.to_vec();
    assert_eq!([z[0], z[2], z[4]], [0.0, 0.0, 0.0]);
}

#[test]
fn inverse_transform_undoes_transform() {
    let x = wine().features;
    let scaler = StandardScaler::fit(&x);
    assert!(
        scaler
            .inverse_transform(&scaler.transform(&x))
            .allclose(&x, 1e-5, 1e-4)
    );
    let mm = MinMaxScaler::fit(&x, (-1.0, 1.0));
    assert!(
        mm.inverse_transform(&mm.transform(&x))
            .allclose(&x, 1e-5, 1e-4)
    );
}

#[test]
fn one_fitted_scaler_transforms_f32_and_f64() {
    let train = t(vec![1.0, 3.0], &[2, 1]);
    let scaler = StandardScaler::fit(&train);
    let x64 = Tensor::from_vec(vec![2.0f64, 4.0], &[2, 1]).unwrap();
    assert_eq!(scaler.transform(&x64).to_vec(), vec![0.0, 2.0]);
}

#[test]
fn scalers_handle_trailing_feature_shapes() {
    // [n, 2, 2]: statistics per element of the 2x2 trailing shape.
    let x = t((0..8).map(|v| v as f32).collect(), &[2, 2, 2]);
    let scaler = StandardScaler::fit(&x);
    assert_eq!(scaler.feature_shape(), &[2, 2]);
    assert_eq!(scaler.mean(), &[2.0, 3.0, 4.0, 5.0]);
    assert_eq!(
        scaler.transform(&x).to_vec(),
        vec![-1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0]
    );
}

#[test]
#[should_panic(
    expected = "StandardScaler::transform: input of shape [2, 3] does not have the fitted shape [n, 2]"
)]
fn transform_with_another_feature_count_panics() {
    let scaler = StandardScaler::fit(&Tensor::<f32>::ones(&[4, 2]));
    scaler.transform(&Tensor::<f32>::ones(&[2, 3]));
}

#[test]
#[should_panic(expected = "StandardScaler::fit: needs at least one row")]
fn fitting_no_rows_panics() {
    StandardScaler::fit(&Tensor::<f32>::zeros(&[0, 3]));
}

#[test]
fn min_max_scaler_maps_training_min_and_max_onto_the_range() {
    let train = t(vec![2.0, -1.0, 4.0, 1.0, 6.0, 3.0], &[3, 2]);
    let (scaler, z) = MinMaxScaler::fit_transform(&train, (0.0, 1.0));
    assert_eq!(scaler.data_min(), &[2.0, -1.0]);
    assert_eq!(scaler.data_max(), &[6.0, 3.0]);
    assert_eq!(z.to_vec(), vec![0.0, 0.0, 0.5, 0.5, 1.0, 1.0]);
    // A test value outside the training range maps outside [0, 1]: training stats only.
    let test = t(vec![8.0, -3.0], &[1, 2]);
    assert_eq!(scaler.transform(&test).to_vec(), vec![1.5, -0.5]);
}

#[test]
fn min_max_scaler_maps_a_constant_column_to_the_low_end() {
    let train = t(vec![5.0, 0.0, 5.0, 1.0], &[2, 2]);
    let (scaler, z) = MinMaxScaler::fit_transform(&train, (-1.0, 1.0));
    assert_eq!(scaler.scale()[0], 2.0);
    assert_eq!(z.to_vec(), vec![-1.0, -1.0, -1.0, 1.0]);
}

#[test]
#[should_panic(expected = "feature_range (1, 0) must have low < high")]
fn min_max_scaler_rejects_an_empty_range() {
    MinMaxScaler::fit(&Tensor::<f32>::ones(&[2, 1]), (1.0, 0.0));
}

#[test]
fn scalers_round_trip_through_serde() {
    let x = wine().features;
    let s = StandardScaler::fit(&x);
    // serde_json's default float parsing may be off by one ulp, so compare with a tolerance.
    let close = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs())
    };
    let back: StandardScaler = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back.feature_shape(), s.feature_shape());
    assert!(close(back.mean(), s.mean()) && close(back.scale(), s.scale()));
    assert!(back.transform(&x).allclose(&s.transform(&x), 1e-6, 1e-6));
    let m = MinMaxScaler::fit(&x, (0.0, 1.0));
    let back: MinMaxScaler = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back.feature_range(), (0.0, 1.0));
    assert!(close(back.data_min(), m.data_min()) && close(back.data_max(), m.data_max()));
    assert!(back.transform(&x).allclose(&m.transform(&x), 1e-6, 1e-6));
}
