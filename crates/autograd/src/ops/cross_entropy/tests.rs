//! Tests of [`Var::cross_entropy`]: the loss against its unfused definition, strided
//! logits, huge logits, ignored rows, and the class-index fast path against the general one.

use super::*;

/// The unfused definition: -Σ_c q_nc · log_softmax(x)_nc from elementary ops.
fn reference(x: &Tensor<f64>, q: &Tensor<f64>) -> Vec<f64> {
    let lse = x.exp().sum(&[1], true).log();
    q.mul(&x.sub(&lse)).sum(&[1], false).neg().to_vec()
}

#[test]
fn matches_the_unfused_definition() {
    let mut rng = Rng::seed_from_u64(3);
    let x = Tensor::<f64>::randn(&[3, 4], &mut rng);
    let y = Tensor::from_vec(vec![1usize, 3, 0], &[3]).unwrap();
    let w = Tensor::from_vec(vec![0.5, 1.0, 2.0, 3.0], &[4]).unwrap();
    let eps = 0.3;
    let mut q = vec![0.0; 12];
    for (n, &yn) in [1usize, 3, 0].iter().enumerate() {
        for c in 0..4 {
            q[n * 4 + c] = eps / 4.0 * w.to_vec()[c];
        }
        q[n * 4 + yn] += (1.0 - eps) * w.to_vec()[yn];
    }
    let q = Tensor::from_vec(q, &[3, 4]).unwrap();
    let target = CrossEntropyTarget::Indices {
        classes: &y,
        ignore_index: None,
    };
    let got = Var::new(x.clone()).cross_entropy(target, Some(&w), eps);
    for (a, b) in got.value().to_vec().iter().zip(reference(&x, &q)) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn strided_logits_give_the_same_loss_and_gradient() {
    let mut rng = Rng::seed_from_u64(4);
    let base = Tensor::<f64>::randn(&[4, 3], &mut rng);
    let y = Tensor::from_vec(vec![0usize, 3, 2], &[3]).unwrap();
    let run = |x: &Var<f64>| {
        let target = CrossEntropyTarget::Indices {
            classes: &y,
            ignore_index: None,
        };
        let loss = x.cross_entropy(target, None, 0.1);
        loss.backward_with(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap());
        loss.value()
    };
    let strided = Var::parameter(Tensor::from_array(base.array().clone().reversed_axes()));
    assert!(strided.data().as_slice().is_none(), "the case must be strided");
    let dense = Var::parameter(strided.value().to_contiguous());
    assert_eq!(run(&strided), run(&dense));
    assert_eq!(strided.grad().unwrap(), dense.grad().unwrap());
}

#[test]
fn finite_loss_and_gradient_at_huge_logits_in_f32() {
    let x = Var::parameter(
        Tensor::from_vec(vec![1e4f32, -1e4, 0.0, -1e4, 1e4, 1e4], &[2, 3]).unwrap(),
    );
    let y = Tensor::from_vec(vec![1usize, 0], &[2]).unwrap();
    let target = CrossEntropyTarget::Indices {
        classes: &y,
        ignore_index: None,
    };
    let loss = x.cross_entropy(target, None, 0.1);
    assert!(loss.value().all_finite());
    assert!((loss.value().to_vec()[0] - 2e4 * 0.9 - 0.1 / 3.0 * 3e4).abs() < 1.0);
    loss.sum().backward();
    assert!(x.grad().unwrap().all_finite());
}

#[test]
fn ignored_rows_have_zero_loss_and_gradient() {
    let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
    let y = Tensor::from_vec(vec![7usize, 1], &[2]).unwrap();
    let target = CrossEntropyTarget::Indices {
        classes: &y,
        ignore_index: Some(7),
    };
    let loss = x.cross_entropy(target, None, 0.2);
    assert_eq!(loss.value().to_vec()[0], 0.0);
    loss.sum().backward();
    let g = x.grad().unwrap().to_vec();
    assert_eq!(&g[..2], &[0.0, 0.0]);
    assert!(g[2] != 0.0);
}

#[test]
#[should_panic(expected = "cross_entropy: target 5 of row 1 is out of range for 2 classes")]
fn out_of_range_class_panics() {
    let x = Var::new(Tensor::<f32>::zeros(&[2, 2]));
    let y = Tensor::from_vec(vec![0usize, 5], &[2]).unwrap();
    let _ = x.cross_entropy(
        CrossEntropyTarget::Indices {
            classes: &y,
            ignore_index: None,
        },
        None,
        0.0,
    );
}

/// Loss and gradient bits of `x.cross_entropy` with class indices `y`, upstream gradient
/// `g` and the given weights and ignored class (every NaN as the same bits).
fn bits_of<T: Float>(
    x: &Tensor<T>,
    y: &Tensor<usize>,
    weight: Option<&Tensor<T>>,
    ignore_index: Option<usize>,
    g: &Tensor<T>,
) -> (Vec<u64>, Vec<u64>) {
    let v = Var::parameter(x.clone());
    let target = CrossEntropyTarget::Indices {
        classes: y,
        ignore_index,
    };
    let loss = v.cross_entropy(target, weight, T::zero());
    loss.backward_with(g.clone());
    // NaNs compare as one value: which NaN an operation on two NaNs returns depends on
    // the order the compiler picks for its operands (Rust leaves NaN bits unspecified).
    let bits = |t: Tensor<T>| {
        t.to_vec()
            .iter()
            .map(|e| if e.is_nan() { u64::MAX } else { e.as_f64().to_bits() })
            .collect()
    };
    (bits(loss.value()), bits(v.grad().unwrap()))
}

fn class_index_fast_path_matches_the_general_path<T: Float>() {
    let mut rng = Rng::seed_from_u64(21);
    for c in (1..=17).chain([32, 100]) {
        for n in [0, 1, 5, 7, 120] {
            let mut x: Vec<T> = Tensor::<T>::randn(&[n, c], &mut rng).to_vec();
            if n > 3 {
                // Huge, infinite and NaN logits go through both paths too.
                x[c] = T::from_f64(1e4);
                x[2 * c] = T::neg_infinity();
                x[3 * c] = T::nan();
            }
            let x = Tensor::from_vec(x, &[n, c]).unwrap();
            let y = Tensor::from_vec((0..n).map(|_| rng.below(c)).collect(), &[n]).unwrap();
            // Signed upstream gradients, with zeros of both signs.
            let mut g = Tensor::<T>::randn(&[n], &mut rng).to_vec();
            if n > 0 {
                g[0] = T::zero();
            }
            if n > 1 {
                g[1] = -T::zero();
            }
            // Equal upstream gradients (a mean's) take the one-pass scaling; +0 and -0
            // count as equal there, a NaN does not.
            let mean = T::from_f64(1.0 / (n.max(1) as f64));
            let signed_zeros = (0..n).map(|i| if i % 2 == 0 { T::zero() } else { -T::zero() });
            let with_nan = (0..n).map(|i| if i == n / 2 { T::nan() } else { mean });
            let upstream = [
                g,
                vec![mean; n],
                vec![-mean; n],
                signed_zeros.collect(),
                with_nan.collect(),
            ];
            // Unit weights force the general path through the same arithmetic.
            let ones = Tensor::from_vec(vec![T::one(); c], &[c]).unwrap();
            for g in upstream {
                let g = Tensor::from_vec(g, &[n]).unwrap();
                let general = bits_of(&x, &y, Some(&ones), None, &g);
                assert_eq!(bits_of(&x, &y, None, None, &g), general, "{n}x{c}");
                // An ignored class that no row has keeps the fast path.
                assert_eq!(bits_of(&x, &y, None, Some(c + 3), &g), general, "{n}x{c}");
            }
        }
    }
}

#[test]
fn class_index_fast_path_matches_the_general_path_bitwise() {
    class_index_fast_path_matches_the_general_path::<f32>();
    class_index_fast_path_matches_the_general_path::<f64>();
}

#[test]
fn out_of_range_class_panics_even_next_to_an_ignored_one() {
    let x = Var::new(Tensor::<f32>::zeros(&[3, 2]));
    let y = Tensor::from_vec(vec![9usize, 1, 2], &[3]).unwrap();
    let result = std::panic::catch_unwind(|| {
        x.cross_entropy(
            CrossEntropyTarget::Indices {
                classes: &y,
                ignore_index: Some(9),
            },
            None,
            0.0,
        )
    });
    let message = *result.unwrap_err().downcast::<String>().unwrap();
    assert_eq!(
        message,
        "cross_entropy: target 2 of row 2 is out of range for 2 classes"
    );
}
