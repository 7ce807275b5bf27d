//! Train/test splitting, optionally stratified (scikit-learn's `train_test_split`).

use backprop_tensor::Rng;

/// Splits the indices `0..n` into a shuffled train set and a shuffled test set.
///
/// The test set has `ceil(test_fraction * n)` indices and the train set the rest, as in
/// scikit-learn. The shuffle is seeded, so the same `seed` gives the same split.
///
/// With `stratify: Some(labels)` the split keeps the class proportions: each class `k` with
/// `c_k` examples contributes about `c_k * test_fraction` of them to the test set, the
/// rounding spread over the classes by largest remainder (scikit-learn's approximate mode;
/// ties are broken by the seeded generator).
///
/// Returns `(train, test)`.
///
/// # Panics
///
/// If `test_fraction` is not within `[0, 1]`, or `stratify` does not have `n` labels.
///
/// # Examples
///
/// ```
/// use backprop_data::{iris, train_test_split};
///
/// let data = iris();
/// let (train, test) = train_test_split(150, 0.2, 41, Some(&data.labels));
/// assert_eq!((train.len(), test.len()), (120, 30));
/// // Stratified: 10 of each species in the test set.
/// let test_set = data.subset(&test);
/// assert_eq!(test_set.class_counts(), vec![10, 10, 10]);
/// ```
#[track_caller]
pub fn train_test_split(
    n: usize,
    test_fraction: f64,
    seed: u64,
    stratify: Option<&[usize]>,
) -> (Vec<usize>, Vec<usize>) {
    assert!(
        (0.0..=1.0).contains(&test_fraction),
        "train_test_split: test_fraction {test_fraction} is not within [0, 1]"
    );
    let n_test = ((test_fraction * n as f64).ceil() as usize).min(n);
    let mut rng = Rng::seed_from_u64(seed);
    let Some(labels) = stratify else {
        let perm = rng.permutation(n);
        let (test, train) = perm.split_at(n_test);
        return (train.to_vec(), test.to_vec());
    };
    assert!(
        labels.len() == n,
        "train_test_split: stratify has {} labels for {n} examples",
        labels.len()
    );

    let num_classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); num_classes];
    for (i, &label) in labels.iter().enumerate() {
        members[label].push(i);
    }
    let counts: Vec<usize> = members.iter().map(Vec::len).collect();
    // Like scikit-learn, allocate the train draws first and the test draws from what is left.
    let train_per_class = approximate_mode(&counts, n - n_test, &mut rng);
    let left: Vec<usize> = counts
        .iter()
        .zip(&train_per_class)
        .map(|(c, t)| c - t)
        .collect();
    let test_per_class = approximate_mode(&left, n_test, &mut rng);

    let mut train = Vec::with_capacity(n - n_test);
    let mut test = Vec::with_capacity(n_test);
    for ((class, &n_train_k), &n_test_k) in members
        .iter_mut()
        .zip(&train_per_class)
        .zip(&test_per_class)
    {
        rng.shuffle(class);
        train.extend_from_slice(&class[..n_train_k]);
        test.extend_from_slice(&class[n_train_k..n_train_k + n_test_k]);
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    (train, test)
}

/// Splits `draws` over classes in proportion to `counts`: the floors of the exact shares,
/// then one more for the classes with the largest remainders (ties broken at random), never
/// more than a class has.
fn approximate_mode(counts: &[usize], draws: usize, rng: &mut Rng) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    if total == 0 {
        return vec![0; counts.len()];
    }
    let exact: Vec<f64> = counts
        .iter()
        .map(|&c| c as f64 * draws as f64 / total as f64)
        .collect();
    let mut out: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut missing = draws.saturating_sub(out.iter().sum());
    // Random order first, then a stable sort by remainder, breaks ties at random.
    let mut order = rng.permutation(counts.len());
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra)
    });
    for &k in order.iter().cycle().take(counts.len() * 2) {
        if missing == 0 {
            break;
        }
        if out[k] < counts[k] {
            out[k] += 1;
            missing -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximate_mode_sums_to_the_draws_and_respects_counts() {
        let mut rng = Rng::seed_from_u64(0);
        for (counts, draws) in [(vec![5, 5, 5], 7), (vec![1, 10, 3], 13), (vec![2, 0, 2], 4)] {
            let out = approximate_mode(&counts, draws, &mut rng);
            assert_eq!(out.iter().sum::<usize>(), draws, "{counts:?} {draws}");
            assert!(out.iter().zip(&counts).all(|(o, c)| o <= c));
        }
        assert_eq!(
            approximate_mode(&[50, 50, 50], 30, &mut rng),
            vec![10, 10, 10]
        );
    }
}
