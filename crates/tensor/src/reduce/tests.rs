//! Tests of the reductions: results against their definitions, memory orders, and the
//! fast paths (narrow column sums, vector means) bitwise against the plain loops.

use super::*;

#[test]
fn sum_over_one_axis_matches_the_definition() {
    // Integer values, so every summation order gives the exact sum.
    for shape in [
        vec![120, 8],
        vec![130, 3],
        vec![7, 9],
        vec![300, 1],
        vec![5, 100],
        vec![3, 70, 2],
        vec![2, 200, 5],
    ] {
        let numel: usize = shape.iter().product();
        let t = Tensor::<f64>::arange(0.0, numel as f64, 1.0)
            .reshape(&shape)
            .map(|v| (v * 7.0) % 13.0 - 6.0);
        for axis in 0..shape.len() {
            let want = Tensor::from_array(t.array().sum_axis(ndarray::Axis(axis)));
            assert_eq!(t.sum(&[axis], false), want, "{shape:?} over axis {axis}");
        }
    }
}

#[test]
fn reductions_of_tensors_stored_column_major() {
    // Elementwise results keep their inputs' memory order, so a tensor can be stored
    // column-major; reductions must still lay their results out row-major.
    use ndarray::ShapeBuilder;
    let values: Vec<f64> = (0..12).map(f64::from).collect();
    let t =
        Tensor::from_array(ndarray::ArrayD::from_shape_vec(IxDyn(&[3, 4]).f(), values).unwrap());
    assert!(!t.array().is_standard_layout());
    let row_major = Tensor::from_vec(t.to_vec(), &[3, 4]).unwrap();
    for keepdim in [false, true] {
        assert_eq!(t.sum(&[], keepdim), row_major, "keepdim {keepdim}");
        assert_eq!(t.sum(&[1], keepdim), row_major.sum(&[1], keepdim));
        assert_eq!(t.max(&[0], keepdim), row_major.max(&[0], keepdim));
        assert_eq!(t.argmax(1, keepdim), row_major.argmax(1, keepdim));
    }
}

#[test]
fn reductions() {
    let t = Tensor::<f64>::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]);
    assert_eq!(t.sum(&[0, 2], false).to_vec(), vec![60.0, 92.0, 124.0]);
    assert_eq!(t.sum(&[2, 0], true).shape(), &[1, 3, 1]);
    assert_eq!(t.mean(&[1], false).shape(), &[2, 4]);
    assert_eq!(t.max(&[1], false).to_vec()[..4], [8.0, 9.0, 10.0, 11.0]);
    assert_eq!(t.min_all().item(), 0.0);
    assert_eq!(t.sum_all().item(), 276.0);
    assert_eq!(t.argmin(2, true).shape(), &[2, 3, 1]);
}

#[test]
fn contiguous_single_axis_sum_matches_the_general_path() {
    // Shapes of 0-3 axes, and of 8 and 9 (the reduced shape is built on the stack up to 8).
    let shapes: &[&[usize]] = &[
        &[7],
        &[3, 5, 4],
        &[2, 1, 2, 1, 3, 1, 2, 2],
        &[2, 1, 2, 1, 3, 1, 2, 2, 3],
    ];
    for &shape in shapes {
        let t = Tensor::<f64>::randn(shape, &mut crate::Rng::seed_from_u64(9));
        for axis in 0..shape.len() {
            for keepdim in [false, true] {
                let fast = t.sum(&[axis], keepdim);
                let general = t.fold_axes("sum", &[axis], keepdim, |d, a| d.sum_axis(a));
                assert_eq!(fast.shape(), general.shape(), "{shape:?} axis {axis}");
                assert!(
                    fast.allclose(&general, 1e-14, 1e-14),
                    "{shape:?} axis {axis}"
                );
            }
        }
    }
    let long = Tensor::<f64>::arange(0.0, 1001.0, 1.0);
    assert_eq!(long.sum_all().item(), 500_500.0);
    assert_eq!(long.sum(&[0], false).item(), 500_500.0);
}

#[test]
fn narrow_column_sums_match_the_plain_row_order_loop_bitwise() {
    /// Sums over `axis` of the row-major `x`, each output element added down its
    /// column in row order.
    fn plain<T: Float>(x: &[T], shape: &[usize], axis: usize) -> Vec<T> {
        let n = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let mut out = Vec::new();
        for block in x.chunks_exact(n * inner) {
            let mut sums = vec![T::zero(); inner];
            for row in block.chunks_exact(inner) {
                for (o, &v) in sums.iter_mut().zip(row) {
                    *o += v;
                }
            }
            out.extend(sums);
        }
        out
    }
    fn bits<T: Float>(v: &[T]) -> Vec<u64> {
        v.iter().map(|e| e.as_f64().to_bits()).collect()
    }
    let mut rng = crate::Rng::seed_from_u64(10);
    // Every width up to past the constant ones (rows of one element are summed by
    // `sum_slice`), W1's bias gradients, wide rows, and narrow rows under an outer axis
    // (3-d, summed over the middle axis).
    let shapes = (2..=NARROW + 2).map(|w| (vec![37, w], 0)).chain([
        (vec![120, 8], 0),
        (vec![120, 9], 0),
        (vec![120, 3], 0),
        (vec![1, 2], 0),
        (vec![3, 100], 0),
        (vec![2, 40, 5], 1),
        (vec![3, 50, 12], 1),
    ]);
    for (shape, axis) in shapes {
        // Values of mixed magnitude, so any change of the order changes the rounding.
        let t = Tensor::<f32>::randn(&shape, &mut rng).map(|v| v * v * v * 1e3);
        let want = plain(t.as_slice().unwrap(), &shape, axis);
        assert_eq!(
            bits(&t.sum(&[axis], false).to_vec()),
            bits(&want),
            "{shape:?}"
        );
        let values = t.to_vec().iter().map(|&v| f64::from(v) / 3.0).collect();
        let t = Tensor::from_vec(values, &shape).unwrap();
        let want = plain(t.as_slice().unwrap(), &shape, axis);
        assert_eq!(
            bits(&t.sum(&[axis], false).to_vec()),
            bits(&want),
            "{shape:?} f64"
        );
    }
}

#[test]
fn mean_of_a_vector_is_its_sum_times_one_over_n_bitwise() {
    let mut rng = crate::Rng::seed_from_u64(12);
    for n in [0, 1, 3, 8, 9, 120, 1001] {
        let t = Tensor::<f32>::randn(&[n], &mut rng).map(|v| v * v * v);
        for keepdim in [false, true] {
            let want = t.sum(&[0], keepdim).mul_scalar(1.0 / n as f32).to_vec();
            let got = t.mean(&[0], keepdim);
            assert_eq!(got.shape(), if keepdim { &[1][..] } else { &[] });
            let bits = |v: &[f32]| v.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.to_vec()), bits(&want), "n = {n}");
            // A repeated axis is sorted out first and takes the same route.
            assert_eq!(
                bits(&t.mean(&[0, 0], keepdim).to_vec()),
                bits(&want),
                "n = {n}"
            );
        }
    }
}

#[test]
#[should_panic(expected = "sum: axis 3 is out of range for a tensor of shape [2, 2]")]
fn bad_axis() {
    let _ = Tensor::<f32>::zeros(&[2, 2]).sum(&[3], false);
}
