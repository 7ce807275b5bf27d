//! Synthetic datasets: shapes, classes, seeding and geometry.

use backprop_data::{ClassificationDataset, make_blobs, make_circles, make_moons, make_spirals};

fn points(d: &ClassificationDataset) -> Vec<(f64, f64, usize)> {
    let x = d.features.to_vec();
    d.labels
        .iter()
        .enumerate()
        .map(|(i, &l)| (x[2 * i] as f64, x[2 * i + 1] as f64, l))
        .collect()
}

#[test]
fn moons_without_noise_lie_on_their_half_circles() {
    let d = make_moons(101, 0.0, 0);
    assert_eq!(d.features.shape(), &[101, 2]);
    assert_eq!(d.class_counts(), vec![50, 51]);
    for (x, y, l) in points(&d) {
        let (cx, cy, upper) = if l == 0 {
            (0.0, 0.0, true)
        } else {
            (1.0, 0.5, false)
        };
        let r = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
        assert!((r - 1.0).abs() < 1e-5, "class {l}: ({x}, {y})");
        assert!(if upper { y >= -1e-6 } else { y <= 0.5 + 1e-6 });
    }
}

#[test]
fn circles_without_noise_have_radius_one_and_factor() {
    let d = make_circles(80, 0.0, 0.3, 1);
    assert_eq!(d.class_counts(), vec![40, 40]);
    for (x, y, l) in points(&d) {
        let expected = if l == 0 { 1.0 } else { 0.3 };
        assert!(((x * x + y * y).sqrt() - expected).abs() < 1e-5);
    }
}

#[test]
#[should_panic(expected = "make_circles: factor 1 is not within [0, 1)")]
fn circles_reject_a_factor_of_one() {
    make_circles(10, 0.0, 1.0, 0);
}

#[test]
fn spirals_have_equal_classes_within_the_unit_disc() {
    let d = make_spirals(60, 4, 0.2, 0);
    assert_eq!(d.features.shape(), &[240, 2]);
    assert_eq!(d.class_counts(), vec![60; 4]);
    assert!(
        points(&d)
            .iter()
            .all(|(x, y, _)| x * x + y * y <= 1.0 + 1e-6)
    );
}

#[test]
fn spirals_without_noise_follow_their_arm() {
    // Without noise, a point at radius r of arm k has angle 2πk/K + 4r (mod 2π), measured
    // as atan2(x, y) because the point is (r sin θ, r cos θ).
    let classes = 3;
    let d = make_spirals(50, classes, 0.0, 2);
    for (x, y, k) in points(&d) {
        let r = (x * x + y * y).sqrt();
        if r < 1e-3 {
            continue;
        }
        let theta = 2.0 * std::f64::consts::PI * k as f64 / classes as f64 + 4.0 * r;
        let diff = x.atan2(y) - theta;
        let wrapped = diff.sin().atan2(diff.cos());
        assert!(wrapped.abs() < 1e-4, "arm {k}: r = {r}, off by {wrapped}");
    }
}

#[test]
fn blobs_split_points_evenly_around_centres_in_the_box() {
    let d = make_blobs(3001, 3, 0.5, 7);
    assert_eq!(d.class_counts(), vec![1001, 1000, 1000]);
    for k in 0..3 {
        let pts: Vec<(f64, f64)> = points(&d)
            .into_iter()
            .filter(|p| p.2 == k)
            .map(|(x, y, _)| (x, y))
            .collect();
        let n = pts.len() as f64;
        let (mx, my) = pts
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
        assert!((-10.5..10.5).contains(&mx) && (-10.5..10.5).contains(&my));
        let var_x = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum::<f64>() / n;
        assert!((var_x.sqrt() - 0.5).abs() < 0.05, "std {}", var_x.sqrt());
    }
}

#[test]
fn noise_spreads_the_points() {
    let spread = |noise| {
        points(&make_circles(200, noise, 0.5, 3))
            .iter()
            .filter(|p| p.2 == 0)
            .map(|(x, y, _)| ((x * x + y * y).sqrt() - 1.0).abs())
            .fold(0.0, f64::max)
    };
    assert!(spread(0.0) < 1e-5);
    assert!(spread(0.1) > 0.05);
}

#[test]
fn generators_are_seeded_and_shuffled() {
    assert_eq!(make_moons(50, 0.1, 4), make_moons(50, 0.1, 4));
    assert_ne!(make_moons(50, 0.1, 4), make_moons(50, 0.1, 5));
    assert_eq!(make_spirals(20, 3, 0.2, 1), make_spirals(20, 3, 0.2, 1));
    assert_ne!(make_blobs(30, 2, 1.0, 1), make_blobs(30, 2, 1.0, 2));
    // Shuffled: the labels are not sorted.
    let labels = make_moons(100, 0.0, 0).labels;
    assert!(labels.windows(2).any(|w| w[0] > w[1]));
}
