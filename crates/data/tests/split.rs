//! `train_test_split`: sizes, disjointness, reproducibility and stratification.

use backprop_data::{iris, train_test_split, wine};

fn assert_partition(train: &[usize], test: &[usize], n: usize) {
    let mut all: Vec<usize> = train.iter().chain(test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>(), "not a partition of 0..{n}");
}

#[test]
fn test_size_is_the_ceiling_of_the_fraction_and_the_sets_partition_the_indices() {
    for (n, fraction, n_test) in [
        (150, 0.2, 30),
        (10, 0.25, 3),
        (7, 0.5, 4),
        (5, 0.0, 0),
        (5, 1.0, 5),
    ] {
        let (train, test) = train_test_split(n, fraction, 3, None);
        assert_eq!(test.len(), n_test, "n = {n}, fraction = {fraction}");
        assert_eq!(train.len(), n - n_test);
        assert_partition(&train, &test, n);
    }
}

#[test]
fn the_same_seed_gives_the_same_split_and_another_seed_another() {
    let a = train_test_split(100, 0.3, 11, None);
    assert_eq!(a, train_test_split(100, 0.3, 11, None));
    assert_ne!(a, train_test_split(100, 0.3, 12, None));
    let labels: Vec<usize> = (0..100).map(|i| i % 3).collect();
    let s = train_test_split(100, 0.3, 11, Some(&labels));
    assert_eq!(s, train_test_split(100, 0.3, 11, Some(&labels)));
    assert_ne!(s, train_test_split(100, 0.3, 12, Some(&labels)));
}

#[test]
fn the_split_is_shuffled() {
    let (train, test) = train_test_split(100, 0.2, 0, None);
    assert!(train.windows(2).any(|w| w[0] > w[1]));
    assert!(test.windows(2).any(|w| w[0] > w[1]));
}

#[test]
fn stratified_iris_keeps_ten_of_each_species_in_the_test_set() {
    let d = iris();
    for seed in 0..5 {
        let (train, test) = train_test_split(150, 0.2, seed, Some(&d.labels));
        assert_partition(&train, &test, 150);
        assert_eq!(d.subset(&test).class_counts(), vec![10, 10, 10]);
        assert_eq!(d.subset(&train).class_counts(), vec![40, 40, 40]);
    }
}

#[test]
fn stratified_split_keeps_unbalanced_proportions() {
    let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 80)).collect();
    let (train, test) = train_test_split(100, 0.25, 9, Some(&labels));
    let count = |idx: &[usize], k: usize| idx.iter().filter(|&&i| labels[i] == k).count();
    assert_eq!((count(&test, 0), count(&test, 1)), (20, 5));
    assert_eq!((count(&train, 0), count(&train, 1)), (60, 15));
}

#[test]
fn stratified_wine_is_within_one_of_the_exact_share_per_class() {
    let d = wine();
    let (train, test) = train_test_split(178, 0.3, 4, Some(&d.labels));
    assert_eq!(test.len(), 54); // ceil(0.3 * 178)
    assert_partition(&train, &test, 178);
    let counts = d.subset(&test).class_counts();
    for (k, &total) in d.class_counts().iter().enumerate() {
        let exact = total as f64 * 54.0 / 178.0;
        assert!(
            (counts[k] as f64 - exact).abs() < 1.0,
            "class {k}: {counts:?}"
        );
    }
}

#[test]
fn unstratified_splits_of_iris_are_not_always_balanced() {
    // Guards the test above: without stratification the classes do drift.
    let d = iris();
    let balanced = (0..10).all(|seed| {
        let (_, test) = train_test_split(150, 0.2, seed, None);
        d.subset(&test).class_counts() == vec![10, 10, 10]
    });
    assert!(!balanced);
}

#[test]
#[should_panic(expected = "test_fraction 1.5 is not within [0, 1]")]
fn a_fraction_above_one_panics() {
    train_test_split(10, 1.5, 0, None);
}

#[test]
#[should_panic(expected = "stratify has 3 labels for 10 examples")]
fn stratify_labels_must_match_n() {
    train_test_split(10, 0.5, 0, Some(&[0, 1, 0]));
}
