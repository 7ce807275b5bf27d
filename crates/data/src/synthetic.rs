//! Seeded synthetic 2-D classification sets, with scikit-learn's semantics: two moons,
//! concentric circles, interleaved spirals and Gaussian blobs.
//!
//! Every generator computes in `f64`, shuffles the rows (as scikit-learn does by default)
//! and returns a [`ClassificationDataset`] with features `x0`, `x1` and classes named
//! `"0"`, `"1"`, .... The same arguments give the same dataset.

use std::f64::consts::PI;

use backprop_tensor::{Rng, Tensor};

use crate::ClassificationDataset;

/// Two interleaving half circles (scikit-learn's `make_moons`).
///
/// `n / 2` points (rounded down) lie on the upper half circle `(cos t, sin t)`, class 0, and
/// the rest on the lower one `(1 - cos t, 0.5 - sin t)`, class 1, for `t` evenly spaced in
/// `[0, π]`; then Gaussian noise with standard deviation `noise` is added to each coordinate.
///
/// # Examples
///
/// ```
/// let moons = backprop_data::make_moons(100, 0.1, 0);
/// assert_eq!(moons.features.shape(), &[100, 2]);
/// assert_eq!(moons.class_counts(), vec![50, 50]);
/// ```
pub fn make_moons(n: usize, noise: f64, seed: u64) -> ClassificationDataset {
    let n_outer = n / 2;
    let n_inner = n - n_outer;
    let mut points = Vec::with_capacity(n);
    for t in linspace(0.0, PI, n_outer, true) {
        points.push(([t.cos(), t.sin()], 0));
    }
    for t in linspace(0.0, PI, n_inner, true) {
        points.push(([1.0 - t.cos(), 0.5 - t.sin()], 1));
    }
    finish(points, 2, noise, seed)
}

/// A large circle containing a smaller one (scikit-learn's `make_circles`).
///
/// `n / 2` points (rounded down) lie on the unit circle, class 0, and the rest on the circle
/// of radius `factor`, class 1, at evenly spaced angles; then Gaussian noise with standard
/// deviation `noise` is added to each coordinate.
///
/// # Panics
///
/// If `factor` is not within `[0, 1)`.
///
/// # Examples
///
/// ```
/// let circles = backprop_data::make_circles(100, 0.0, 0.5, 0);
/// let x = circles.features.to_vec();
/// let r0 = (x[0] * x[0] + x[1] * x[1]).sqrt();
/// let expected = if circles.labels[0] == 0 { 1.0 } else { 0.5 };
/// assert!((r0 - expected).abs() < 1e-6);
/// ```
#[track_caller]
pub fn make_circles(n: usize, noise: f64, factor: f64, seed: u64) -> ClassificationDataset {
    assert!(
        (0.0..1.0).contains(&factor),
        "make_circles: factor {factor} is not within [0, 1)"
    );
    let n_outer = n / 2;
    let n_inner = n - n_outer;
    let mut points = Vec::with_capacity(n);
    for t in linspace(0.0, 2.0 * PI, n_outer, false) {
        points.push(([t.cos(), t.sin()], 0));
    }
    for t in linspace(0.0, 2.0 * PI, n_inner, false) {
        points.push(([factor * t.cos(), factor * t.sin()], 1));
    }
    finish(points, 2, noise, seed)
}

/// `classes` interleaved spiral arms of `n_per_class` points each (the CS231n spiral set).
///
/// Point `i` of arm `k` has radius `r = i / (n_per_class - 1)` and angle
/// `2πk / classes + 4r + noise · ε` (ε standard normal), i.e. each arm turns by 4 radians
/// from the centre outwards and the noise jitters the angle, as in CS231n's generator (which
/// uses `noise = 0.2`). The point is `(r sin θ, r cos θ)`.
///
/// # Examples
///
/// ```
/// let spirals = backprop_data::make_spirals(100, 3, 0.2, 0);
/// assert_eq!(spirals.features.shape(), &[300, 2]);
/// assert_eq!(spirals.class_counts(), vec![100, 100, 100]);
/// ```
pub fn make_spirals(
    n_per_class: usize,
    classes: usize,
    noise: f64,
    seed: u64,
) -> ClassificationDataset {
    let mut rng = Rng::seed_from_u64(seed);
    let mut points = Vec::with_capacity(n_per_class * classes);
    for k in 0..classes {
        let jitter = standard_normal(n_per_class, &mut rng);
        for (r, e) in linspace(0.0, 1.0, n_per_class, true)
            .into_iter()
            .zip(jitter)
        {
            let theta = 2.0 * PI * k as f64 / classes as f64 + 4.0 * r + noise * e;
            points.push(([r * theta.sin(), r * theta.cos()], k));
        }
    }
    // The noise went into the angle already; no extra coordinate noise.
    finish_with(points, classes, 0.0, &mut rng)
}

/// Isotropic Gaussian blobs (scikit-learn's `make_blobs` with 2 features).
///
/// `centers` centres are drawn uniformly from the box `[-10, 10]²`; blob `k` gets `n /
/// centers` points, plus one for the first `n % centers` blobs, drawn from a normal
/// distribution around its centre with standard deviation `std` on each axis.
///
/// # Panics
///
/// If `centers` is zero while `n` is not.
///
/// # Examples
///
/// ```
/// let blobs = backprop_data::make_blobs(100, 3, 1.0, 0);
/// assert_eq!(blobs.features.shape(), &[100, 2]);
/// assert_eq!(blobs.class_counts(), vec![34, 33, 33]);
/// ```
#[track_caller]
pub fn make_blobs(n: usize, centers: usize, std: f64, seed: u64) -> ClassificationDataset {
    assert!(
        centers > 0 || n == 0,
        "make_blobs: {n} points need at least one centre"
    );
    let mut rng = Rng::seed_from_u64(seed);
    let centres: Vec<[f64; 2]> = (0..centers)
        .map(|_| [rng.next_f64() * 20.0 - 10.0, rng.next_f64() * 20.0 - 10.0])
        .collect();
    let mut points = Vec::with_capacity(n);
    for (k, c) in centres.iter().enumerate() {
        let count = n / centers + usize::from(k < n % centers);
        points.extend((0..count).map(|_| (*c, k)));
    }
    finish_with(points, centers, std, &mut rng)
}

/// `n` evenly spaced values from `start` to `end`, with or without `end` itself (NumPy's
/// `linspace(start, end, n, endpoint)`).
fn linspace(start: f64, end: f64, n: usize, endpoint: bool) -> Vec<f64> {
    let steps = if endpoint { n.saturating_sub(1) } else { n };
    let step = if steps == 0 {
        0.0
    } else {
        (end - start) / steps as f64
    };
    (0..n).map(|i| start + step * i as f64).collect()
}

fn standard_normal(n: usize, rng: &mut Rng) -> Vec<f64> {
    Tensor::<f64>::randn(&[n], rng).to_vec()
}

fn finish(
    points: Vec<([f64; 2], usize)>,
    classes: usize,
    noise: f64,
    seed: u64,
) -> ClassificationDataset {
    finish_with(points, classes, noise, &mut Rng::seed_from_u64(seed))
}

/// Adds Gaussian noise of standard deviation `noise` to every coordinate, shuffles the rows
/// and packs them into a dataset.
fn finish_with(
    points: Vec<([f64; 2], usize)>,
    classes: usize,
    noise: f64,
    rng: &mut Rng,
) -> ClassificationDataset {
    let n = points.len();
    let order = rng.permutation(n);
    let eps = standard_normal(2 * n, rng);
    let mut features = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for (row, &i) in order.iter().enumerate() {
        let ([x, y], label) = points[i];
        features.push((x + noise * eps[2 * row]) as f32);
        features.push((y + noise * eps[2 * row + 1]) as f32);
        labels.push(label);
    }
    ClassificationDataset {
        features: Tensor::from_vec(features, &[n, 2]).expect("two coordinates per point"),
        labels,
        class_names: (0..classes).map(|k| k.to_string()).collect(),
        feature_names: vec!["x0".into(), "x1".into()],
    }
}
