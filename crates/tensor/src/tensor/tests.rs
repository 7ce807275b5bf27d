use super::*;

#[test]
fn from_vec_refuses_shapes_too_large_to_exist() {
    let huge = usize::MAX / 2;
    for shape in [vec![huge, 3], vec![0, huge, huge], vec![huge, huge, 0]] {
        let e = Tensor::<f32>::from_vec(vec![], &shape).unwrap_err();
        assert_eq!(e, TensorError::ShapeTooLarge { shape }, "{e}");
    }
    assert_eq!(
        Tensor::<f32>::from_vec(vec![], &[0, 7]).unwrap().shape(),
        &[0, 7]
    );
}

#[test]
fn fixed_rank_construction_matches_ndarrays_dynamic_one() {
    let shapes: [&[usize]; 12] = [
        &[],
        &[1],
        &[0],
        &[5],
        &[1, 1],
        &[3, 0],
        &[2, 3],
        &[1, 4, 1],
        &[2, 0, 3],
        &[2, 1, 3, 2],
        &[1, 2, 1, 2, 3],
        &[2, 0, 1, 1, 1, 2],
    ];
    for shape in shapes {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let ours = array_from_vec(v.clone(), shape);
        let theirs = ArrayD::<f32>::from_shape_vec(IxDyn(shape), v).unwrap();
        assert_eq!(ours.shape(), theirs.shape(), "{shape:?}");
        assert_eq!(ours.strides(), theirs.strides(), "{shape:?}");
        assert_eq!(ours, theirs, "{shape:?}");
        assert_eq!(
            Tensor::<f64>::ones(shape).into_array(),
            ArrayD::<f64>::ones(IxDyn(shape))
        );
        assert_eq!(
            Tensor::<f64>::zeros(shape).into_array(),
            ArrayD::<f64>::zeros(IxDyn(shape))
        );
    }
    assert!(try_array_from_vec(vec![1.0f32; 5], &[2, 3]).is_err());
    assert!(try_array_from_vec(vec![1.0f32; 5], &[1, 1, 1, 1, 1, 6]).is_err());
}

#[test]
fn from_vec_checks_length() {
    let e = Tensor::from_vec(vec![1.0f32; 5], &[2, 3]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "data has 5 elements but shape [2, 3] needs 6"
    );
}

#[test]
fn serde_round_trip_and_rejects_bad_shape() {
    let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]).unwrap();
    let s = serde_json::to_string(&t).unwrap();
    assert_eq!(s, r#"{"shape":[3,2],"data":[1.0,2.0,3.0,4.0,5.0,6.0]}"#);
    let back: Tensor<f64> = serde_json::from_str(&s).unwrap();
    assert_eq!(back, t);
    let bad = serde_json::from_str::<Tensor<f64>>(r#"{"shape":[4,2],"data":[1.0]}"#);
    assert!(bad.unwrap_err().to_string().contains("shape [4, 2]"));
}

#[test]
fn creation() {
    assert_eq!(Tensor::<f32>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(
        Tensor::<f64>::linspace(0.0, 1.0, 3).to_vec(),
        vec![0.0, 0.5, 1.0]
    );
    assert_eq!(
        Tensor::<f32>::arange(3.0, 0.0, -1.0).to_vec(),
        vec![3.0, 2.0, 1.0]
    );
    let mut a = Rng::seed_from_u64(7);
    let mut b = Rng::seed_from_u64(7);
    assert_eq!(
        Tensor::<f32>::randn(&[4], &mut a),
        Tensor::<f32>::randn(&[4], &mut b)
    );
}
