//! Tests of the elementwise ops, including the vectorized loops against scalar loops.

use super::*;
use crate::simd::{awkward_values, bits};

/// Shapes of `n` elements: flat, and as rows of 7 when they divide.
fn shapes(n: usize) -> Vec<Vec<usize>> {
    let mut s = vec![vec![n]];
    if n % 7 == 0 && n > 0 {
        s.push(vec![n / 7, 7]);
    }
    if n == 1 {
        s.extend([vec![], vec![1, 1]]);
    }
    s
}

/// Every unary op on contiguous tensors (the loops compiled with AVX2 when the CPU has
/// it, and the one-element path) gives bitwise what a plain scalar loop gives.
fn unary_ops_match_scalar_loops<T: Float>() {
    type Op<T> = (&'static str, fn(&Tensor<T>) -> Tensor<T>, fn(T) -> T);
    let ops: [Op<T>; 8] = [
        ("relu", Tensor::relu, |x| {
            if x <= T::zero() { T::zero() } else { x }
        }),
        ("neg", Tensor::neg, |x| -x),
        ("abs", Tensor::abs, |x| x.abs()),
        ("square", Tensor::square, |x| x * x),
        ("sqrt", Tensor::sqrt, |x| x.sqrt()),
        ("recip", Tensor::recip, |x| x.recip()),
        ("sigmoid", Tensor::sigmoid, sigmoid),
        (
            "add_scalar",
            |t| t.add_scalar(T::from_f64(0.5)),
            |x| x + T::from_f64(0.5),
        ),
    ];
    for n in 0..70 {
        for shape in shapes(n) {
            let x = awkward_values::<T>(n, 1);
            let t = Tensor::from_vec(x.clone(), &shape).unwrap();
            for (name, op, scalar) in ops {
                let got = op(&t);
                let want: Vec<T> = x.iter().map(|&v| scalar(v)).collect();
                assert_eq!(got.shape(), &shape[..], "{name} {shape:?}");
                assert_eq!(bits(&got.to_vec()), bits(&want), "{name} {shape:?}");
            }
        }
    }
}

#[test]
fn unary_ops_match_scalar_loops_f32() {
    unary_ops_match_scalar_loops::<f32>();
}

#[test]
fn unary_ops_match_scalar_loops_f64() {
    unary_ops_match_scalar_loops::<f64>();
}

/// Every binary op on two contiguous tensors of one shape gives bitwise what a plain
/// scalar loop gives; so do the comparisons.
fn binary_ops_match_scalar_loops<T: Float>() {
    type Op<T> = (
        &'static str,
        fn(&Tensor<T>, &Tensor<T>) -> Tensor<T>,
        fn(T, T) -> T,
    );
    let ops: [Op<T>; 6] = [
        ("add", Tensor::add, |x, y| x + y),
        ("sub", Tensor::sub, |x, y| x - y),
        ("mul", Tensor::mul, |x, y| x * y),
        ("div", Tensor::div, |x, y| x / y),
        ("maximum", Tensor::maximum, |x, y| {
            if x.is_nan() || y.is_nan() {
                T::nan()
            } else if x >= y {
                x
            } else {
                y
            }
        }),
        ("minimum", Tensor::minimum, |x, y| {
            if x.is_nan() || y.is_nan() {
                T::nan()
            } else if x <= y {
                x
            } else {
                y
            }
        }),
    ];
    for n in 0..70 {
        for shape in shapes(n) {
            let (x, y) = (awkward_values::<T>(n, 2), awkward_values::<T>(n, 3));
            let a = Tensor::from_vec(x.clone(), &shape).unwrap();
            let b = Tensor::from_vec(y.clone(), &shape).unwrap();
            for (name, op, scalar) in ops {
                let got = op(&a, &b);
                let want: Vec<T> = x.iter().zip(&y).map(|(&u, &v)| scalar(u, v)).collect();
                assert_eq!(got.shape(), &shape[..], "{name} {shape:?}");
                assert_eq!(bits(&got.to_vec()), bits(&want), "{name} {shape:?}");
            }
            let gt: Vec<bool> = x.iter().zip(&y).map(|(u, v)| u > v).collect();
            assert_eq!(a.gt(&b).to_vec(), gt, "gt {shape:?}");
            let ne: Vec<bool> = x.iter().zip(&y).map(|(u, v)| u != v).collect();
            assert_eq!(a.ne_elem(&b).to_vec(), ne, "ne {shape:?}");
        }
    }
}

#[test]
fn binary_ops_match_scalar_loops_f32() {
    binary_ops_match_scalar_loops::<f32>();
}

#[test]
fn binary_ops_match_scalar_loops_f64() {
    binary_ops_match_scalar_loops::<f64>();
}

fn t(v: Vec<f64>, s: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v, s).unwrap()
}

#[test]
fn broadcasting_add() {
    let a = t(vec![1.0, 2.0, 3.0], &[3, 1]);
    let b = t(vec![10.0, 20.0], &[2]);
    let c = &a + &b;
    assert_eq!(c.shape(), &[3, 2]);
    assert_eq!(c.to_vec(), vec![11.0, 21.0, 12.0, 22.0, 13.0, 23.0]);
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [4] cannot be broadcast together")]
fn mismatch_names_op_and_shapes() {
    let _ = &Tensor::<f32>::zeros(&[2, 3]) + &Tensor::<f32>::zeros(&[4]);
}

#[test]
fn add_assign_of_one_element_matches_the_general_path() {
    for shape in [&[][..], &[1], &[1, 1], &[1, 1, 1, 1, 1]] {
        let mut fast = Tensor::<f64>::full(shape, 0.1);
        fast.add_assign_(&Tensor::full(shape, 0.2));
        assert_eq!(fast.item(), 0.1 + 0.2);
        assert_eq!(fast.shape(), shape);
    }
}

#[test]
#[should_panic(expected = "add_assign_: shapes [1] and [1, 1] differ")]
fn add_assign_of_one_element_checks_shapes() {
    Tensor::<f32>::zeros(&[1]).add_assign_(&Tensor::zeros(&[1, 1]));
}

#[test]
fn stable_sigmoid_and_softplus() {
    let x = t(vec![-1000.0, 0.0, 1000.0], &[3]);
    assert_eq!(x.sigmoid().to_vec(), vec![0.0, 0.5, 1.0]);
    let sp = x.softplus().to_vec();
    assert_eq!(sp[0], 0.0);
    assert!((sp[1] - 2f64.ln()).abs() < 1e-15);
    assert_eq!(sp[2], 1000.0);
}

#[test]
fn where_and_comparisons() {
    let x = t(vec![-1.0, 0.5, 2.0], &[3]);
    let m = x.gt(&Tensor::scalar(0.0));
    assert_eq!(m.to_vec(), vec![false, true, true]);
    let y = Tensor::where_cond(&m, &x, &Tensor::scalar(-9.0));
    assert_eq!(y.to_vec(), vec![-9.0, 0.5, 2.0]);
    assert_eq!(x.clamp(Some(0.0), Some(1.0)).to_vec(), vec![0.0, 0.5, 1.0]);
}

/// `add_assign_` gives bitwise what `add` gives, through each of its routes: one element
/// (found from the shapes alone, also when the element is not at its buffer's start),
/// contiguous slices, and the general walk of transposed tensors; and it refuses different
/// shapes, one-element ones included, naming them.
#[test]
fn add_assign_matches_add_bitwise() {
    let mut rng = crate::Rng::seed_from_u64(7);
    let shapes: [&[usize]; 10] = [
        &[],
        &[1],
        &[0],
        &[1, 1],
        &[1, 1, 1],
        &[3],
        &[2, 3],
        &[4, 1, 5],
        &[17],
        &[3, 0, 2],
    ];
    for shape in shapes {
        let (a, b) = (
            Tensor::<f32>::randn(shape, &mut rng),
            Tensor::randn(shape, &mut rng),
        );
        let mut sum = a.clone();
        sum.add_assign_(&b);
        assert_eq!(sum.shape(), shape);
        assert_eq!(bits(&sum.to_vec()), bits(&a.add(&b).to_vec()), "{shape:?}");
        if a.numel() > 0 {
            assert_ne!(
                bits(&sum.to_vec()),
                bits(&a.to_vec()),
                "{shape:?}: nothing added"
            );
        }
    }
    let (a, b) = (
        Tensor::<f64>::randn(&[3, 4], &mut rng),
        Tensor::randn(&[3, 4], &mut rng),
    );
    let mut sum = a.t();
    sum.add_assign_(&b.t());
    assert_eq!(sum, a.add(&b).t());
    // One element each, one of them not at the start of its buffer (a slice of [2, 3]).
    let big = ArrayD::from_shape_vec(vec![2, 3], vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let last = Tensor::from_array(big.slice_move(ndarray::s![1..2, 2..3]).into_dyn());
    let mut sum = Tensor::<f64>::full(&[1, 1], 0.5);
    sum.add_assign_(&last);
    assert_eq!(sum.to_vec(), vec![6.5]);
    let mut into_last = last.clone();
    into_last.add_assign_(&sum);
    assert_eq!(into_last.to_vec(), vec![12.5]);
    for (x, y) in [(vec![3, 4], vec![4, 3]), (vec![1], vec![1, 1])] {
        let err = std::panic::catch_unwind(|| {
            Tensor::<f64>::ones(&x).add_assign_(&Tensor::ones(&y));
        })
        .unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains(&format!("add_assign_: shapes {x:?} and {y:?} differ")),
            "{msg}"
        );
    }
}

/// Loops over at least `PARALLEL_MIN_ELEMENTS` elements are split between the kernel
/// threads: bitwise what a scalar loop gives, for 1, 2 and 3 threads, allocating and in
/// place, with a last chunk shorter than the others.
#[test]
fn long_loops_split_between_threads_match_scalar_loops() {
    let n = 100_003;
    let (x, y) = (awkward_values::<f32>(n, 7), awkward_values::<f32>(n, 8));
    let a = Tensor::from_vec(x.clone(), &[n]).unwrap();
    let b = Tensor::from_vec(y.clone(), &[n]).unwrap();
    let relu = |v: f32| if v <= 0.0 { 0.0 } else { v };
    let mask = |g: f32, v: f32| if v > 0.0 { g } else { 0.0 };
    let before = crate::num_threads();
    for threads in [1, 2, 3] {
        crate::set_num_threads(threads);
        let want: Vec<f32> = x.iter().map(|&v| relu(v)).collect();
        assert_eq!(
            bits(&a.relu().to_vec()),
            bits(&want),
            "relu, {threads} threads"
        );
        let want: Vec<f32> = x.iter().zip(&y).map(|(&u, &v)| u * v).collect();
        assert_eq!(
            bits(&a.mul(&b).to_vec()),
            bits(&want),
            "mul, {threads} threads"
        );
        let want: Vec<bool> = x.iter().zip(&y).map(|(u, v)| u > v).collect();
        assert_eq!(a.gt(&b).to_vec(), want, "gt, {threads} threads");
        let mut c = a.clone();
        c.map_(|v| v * 2.0 - 1.0);
        let want: Vec<f32> = x.iter().map(|&v| v * 2.0 - 1.0).collect();
        assert_eq!(bits(&c.to_vec()), bits(&want), "map_, {threads} threads");
        let mut c = a.clone();
        c.zip_with_(&b, "mask", mask);
        let want: Vec<f32> = x.iter().zip(&y).map(|(&g, &v)| mask(g, v)).collect();
        assert_eq!(
            bits(&c.to_vec()),
            bits(&want),
            "zip_with_, {threads} threads"
        );
    }
    crate::set_num_threads(before);
}

/// A panic in the function of a loop split between threads reaches the caller (and leaves
/// no half-written result behind).
#[test]
fn a_panic_in_a_split_loop_reaches_the_caller() {
    let n = 1 << 17;
    let a = Tensor::<f32>::arange(0.0, n as f32, 1.0);
    let r = std::panic::catch_unwind(|| {
        a.map(|v| {
            assert!(v != 100_000.0, "element 100000");
            v
        })
    });
    let msg = r.expect_err("the panic propagates");
    let msg = msg
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| msg.downcast_ref::<&str>().copied());
    assert_eq!(msg, Some("element 100000"));
}
