//! Property tests: broadcasting rules, gradients of broadcast inputs, and gradient checks of
//! random compositions of ops.

// Tests may unwrap: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use backprop_autograd::{GradCheckConfig, Var, gradcheck, gradgradcheck};
use backprop_tensor::{Rng, Tensor, broadcast_shape};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Any shape with up to 3 axes and extents 1..=3 (compatible with others or not).
fn any_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=3, 0..=3)
}

/// A shape and a shape that broadcasts to it: some leading axes dropped, some extents 1.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec((1usize..=4, any::<bool>()), 0..=3).prop_flat_map(|axes| {
        let n = axes.len();
        (Just(axes), 0..=n).prop_map(|(axes, drop)| {
            let full: Vec<usize> = axes.iter().map(|&(d, _)| d).collect();
            let small = axes[drop..]
                .iter()
                .map(|&(d, one)| if one { 1 } else { d })
                .collect();
            (full, small)
        })
    })
}

fn values(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn(shape, &mut Rng::seed_from_u64(seed))
}

/// The index into a tensor of shape `small` that element `index` of the broadcast result
/// reads (extents of 1 repeat, missing leading axes are ignored). Written out here, apart
/// from the library, so the expectations below do not reuse the code under test.
fn source_index(index: &[usize], small: &[usize]) -> Vec<usize> {
    let skip = index.len() - small.len();
    index[skip..]
        .iter()
        .zip(small)
        .map(|(&i, &d)| if d == 1 { 0 } else { i })
        .collect()
}

/// Row-major offset of `index` in `shape`.
fn offset(index: &[usize], shape: &[usize]) -> usize {
    index.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

/// Every index of `shape` in row-major order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    (0..n)
        .map(|mut flat| {
            let mut index = vec![0; shape.len()];
            for (i, &d) in index.iter_mut().zip(shape).rev() {
                *i = flat % d;
                flat /= d;
            }
            index
        })
        .collect()
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn broadcast_shape_is_symmetric(a in any_shape(), b in any_shape()) {
        prop_assert_eq!(broadcast_shape(&a, &b), broadcast_shape(&b, &a));
    }

    #[test]
    fn the_broadcast_shape_is_a_common_target(a in any_shape(), b in any_shape()) {
        if let Some(s) = broadcast_shape(&a, &b) {
            prop_assert_eq!(broadcast_shape(&a, &s), Some(s.clone()));
            prop_assert_eq!(broadcast_shape(&b, &s), Some(s.clone()));
            prop_assert_eq!(s.len(), a.len().max(b.len()));
            let ta = Tensor::<f64>::ones(&a).broadcast_to(&s);
            prop_assert_eq!(ta.shape(), s.as_slice());
        } else {
            // Incompatible exactly when some aligned pair of extents differs and neither is 1.
            let clash = a.iter().rev().zip(b.iter().rev()).any(|(&x, &y)| x != y && x != 1 && y != 1);
            prop_assert!(clash, "{:?} and {:?} were refused", a, b);
        }
    }

    #[test]
    fn a_compatible_pair_always_broadcasts_to_the_full_shape((full, small) in broadcast_pair()) {
        prop_assert_eq!(broadcast_shape(&full, &small), Some(full.clone()));
    }

    #[test]
    fn add_is_commutative_with_broadcasting((full, small) in broadcast_pair(), seed in any::<u64>()) {
        let a = Var::new(values(&full, seed));
        let b = Var::new(values(&small, seed ^ 1));
        let ab = a.add(&b).value();
        prop_assert_eq!(&ab, &b.add(&a).value());
        prop_assert_eq!(ab.shape(), full.as_slice());
        // Each element is the sum of the two elements it was broadcast from.
        let (av, bv, abv) = (a.value().to_vec(), b.value().to_vec(), ab.to_vec());
        for index in indices(&full) {
            let expected = av[offset(&index, &full)] + bv[offset(&source_index(&index, &small), &small)];
            prop_assert_eq!(abv[offset(&index, &full)], expected);
        }
    }

    #[test]
    fn the_gradient_of_a_broadcast_input_is_the_sum_over_broadcast_axes(
        (full, small) in broadcast_pair(),
        seed in any::<u64>(),
        use_mul in any::<bool>(),
    ) {
        let a = Var::parameter(values(&full, seed));
        let b = Var::parameter(values(&small, seed ^ 1));
        let y = if use_mul { a.mul(&b) } else { a.add(&b) };
        let upstream = values(&full, seed ^ 2);
        y.backward_with(upstream.clone());
        // d(a ⊙ b)/db at a source element sums upstream (times a, for mul) over every
        // element of the result that read it.
        let mut expected = vec![0.0; small.iter().product()];
        let (av, uv) = (a.value().to_vec(), upstream.to_vec());
        for index in indices(&full) {
            let k = offset(&index, &full);
            let local = if use_mul { av[k] } else { 1.0 };
            expected[offset(&source_index(&index, &small), &small)] += uv[k] * local;
        }
        let got = b.grad().unwrap();
        prop_assert_eq!(got.shape(), small.as_slice());
        for (g, e) in got.to_vec().iter().zip(&expected) {
            prop_assert!((g - e).abs() < 1e-12, "got {:?}, expected {:?}", got.to_vec(), expected);
        }
    }
}

/// One step of a random composition, with every parameter fixed when the plan is drawn.
#[derive(Debug, Clone)]
enum Step {
    /// `h + inputs[i]` (the input broadcasts to h).
    Add(usize),
    /// `h * inputs[i]` (the input broadcasts to h).
    Mul(usize),
    /// `h · inputs[i]` for 2-D h.
    Matmul(usize),
    /// `exp(0.3 h)`: the factor keeps repeated exponentials finite.
    Exp,
    Sin,
    Sum(usize, bool),
    Mean(usize, bool),
    Reshape(Vec<usize>),
    Permute(Vec<usize>),
    Unsqueeze(usize),
    Squeeze(usize),
    Narrow(usize, usize, usize),
    /// `concat([h, sin h], axis)`.
    Concat(usize),
    /// `stack([h, h²], axis)`.
    Stack(usize),
    IndexSelect(usize, Vec<usize>),
    Gather(usize, Tensor<usize>),
    Max(usize, bool),
    Min(usize, bool),
    Var(usize, usize, bool),
}

const KINDS: usize = 19;

fn apply(step: &Step, h: &Var<f64>, inputs: &[Var<f64>]) -> Var<f64> {
    match step {
        Step::Add(i) => h.add(&inputs[*i]),
        Step::Mul(i) => h.mul(&inputs[*i]),
        Step::Matmul(i) => h.matmul(&inputs[*i]),
        Step::Exp => h.mul_scalar(0.3).exp(),
        Step::Sin => h.sin(),
        Step::Sum(a, k) => h.sum_axes(&[*a], *k),
        Step::Mean(a, k) => h.mean_axes(&[*a], *k),
        Step::Reshape(s) => h.reshape(s),
        Step::Permute(p) => h.permute(p),
        Step::Unsqueeze(a) => h.unsqueeze(*a),
        Step::Squeeze(a) => h.squeeze(*a),
        Step::Narrow(a, s, l) => h.narrow(*a, *s, *l),
        Step::Concat(a) => Var::concat(&[h, &h.sin()], *a),
        Step::Stack(a) => Var::stack(&[h, &h.mul(h)], *a),
        Step::IndexSelect(a, idx) => h.index_select(*a, idx),
        Step::Gather(a, idx) => h.gather(*a, idx),
        Step::Max(a, k) => h.max_axes(&[*a], *k),
        Step::Min(a, k) => h.min_axes(&[*a], *k),
        Step::Var(a, c, k) => h.var_axes(&[*a], *c, *k),
    }
}

/// A random composition: the steps, the gradcheck inputs (the first is the start value).
struct Plan {
    steps: Vec<Step>,
    inputs: Vec<Tensor<f64>>,
}

/// Draws a plan from the chosen op kinds; a kind that does not apply to the current shape
/// (matmul on a 0-d value, say) becomes `sin`.
fn plan(kinds: &[usize], start: &[usize], seed: u64) -> Plan {
    let mut rng = Rng::seed_from_u64(seed);
    let mut inputs = vec![Tensor::<f64>::randn(start, &mut rng)];
    let mut steps = Vec::new();
    let mut h = Var::new(inputs[0].clone());
    // Max and min are checked only while no two elements can be equal (no kinks at ties).
    let mut distinct = true;
    for &kind in kinds {
        let shape = h.shape();
        let ndim = shape.len();
        let numel = h.numel();
        let axis = if ndim > 0 { rng.below(ndim) } else { 0 };
        let keepdim = rng.below(2) == 0;
        let step = match kind {
            0 | 1 => {
                // A broadcastable operand: drop some leading axes, set some extents to 1.
                let drop = rng.below(ndim + 1);
                let small: Vec<usize> = shape[drop..]
                    .iter()
                    .map(|&d| if rng.below(3) == 0 { 1 } else { d })
                    .collect();
                inputs.push(Tensor::randn(&small, &mut rng));
                if kind == 0 {
                    Step::Add(inputs.len() - 1)
                } else {
                    Step::Mul(inputs.len() - 1)
                }
            }
            2 if ndim == 2 => {
                inputs.push(Tensor::randn(&[shape[1], 1 + rng.below(3)], &mut rng));
                Step::Matmul(inputs.len() - 1)
            }
            3 => Step::Exp,
            5 if ndim > 0 => Step::Sum(axis, keepdim),
            6 if ndim > 0 => Step::Mean(axis, keepdim),
            7 => {
                let mut s = shape.clone();
                s.reverse();
                if ndim < 2 {
                    s = vec![1, numel]
                }
                Step::Reshape(s)
            }
            8 if ndim > 1 => Step::Permute(rng.permutation(ndim)),
            9 => Step::Unsqueeze(rng.below(ndim + 1)),
            10 if shape.contains(&1) => Step::Squeeze(shape.iter().position(|&d| d == 1).unwrap()),
            11 if ndim > 0 => {
                let start = rng.below(shape[axis]);
                let len = 1 + rng.below(shape[axis] - start);
                Step::Narrow(axis, start, len)
            }
            12 if ndim > 0 && numel <= 12 => Step::Concat(axis),
            13 if numel <= 12 => Step::Stack(rng.below(ndim + 1)),
            14 if ndim > 0 => {
                let count = 1 + rng.below(4);
                Step::IndexSelect(axis, (0..count).map(|_| rng.below(shape[axis])).collect())
            }
            15 if ndim > 0 => {
                let index_shape: Vec<usize> = shape
                    .iter()
                    .enumerate()
                    .map(|(d, &n)| {
                        if d == axis {
                            1 + rng.below(3)
                        } else {
                            1 + rng.below(n)
                        }
                    })
                    .collect();
                let n: usize = index_shape.iter().product();
                let idx = (0..n).map(|_| rng.below(shape[axis])).collect();
                Step::Gather(axis, Tensor::from_vec(idx, &index_shape).unwrap())
            }
            16 if ndim > 0 && distinct => Step::Max(axis, keepdim),
            17 if ndim > 0 && distinct => Step::Min(axis, keepdim),
            18 if ndim > 0 && shape[axis] > 1 => Step::Var(axis, rng.below(2), keepdim),
            _ => Step::Sin,
        };
        // Selecting with repeated indices copies elements; every other step keeps generic
        // values distinct (broadcasting only ever repeats the other operand, never h).
        distinct &= !matches!(step, Step::IndexSelect(..) | Step::Gather(..));
        let vars: Vec<Var<f64>> = inputs.iter().map(|t| Var::new(t.clone())).collect();
        h = apply(&step, &h, &vars);
        steps.push(step);
    }
    Plan { steps, inputs }
}

fn run(steps: &[Step], inputs: &[Var<f64>]) -> Var<f64> {
    steps
        .iter()
        .fold(inputs[0].clone(), |h, s| apply(s, &h, inputs))
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn random_compositions_pass_gradcheck(
        kinds in prop::collection::vec(0usize..KINDS, 2..=4),
        start in prop::collection::vec(1usize..=3, 1..=3),
        seed in any::<u64>(),
    ) {
        let Plan { steps, inputs } = plan(&kinds, &start, seed);
        let f = |v: &[Var<f64>]| run(&steps, v);
        let cfg = GradCheckConfig::default();
        let first = gradcheck(&f, &inputs, &cfg);
        prop_assert!(first.passed, "first order, {:?} on {:?}: {:?}", steps, start, first);
        let second = gradgradcheck(&f, &inputs, &cfg);
        prop_assert!(second.passed, "second order, {:?} on {:?}: {:?}", steps, start, second);
    }
}
