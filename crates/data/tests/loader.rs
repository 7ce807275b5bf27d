//! DataLoader: coverage per epoch, shuffling, reproducibility, drop_last and resuming.

use backprop_data::{DataLoader, DataLoaderState, TensorDataset, iris};
use backprop_tensor::{Rng, Tensor};

/// A dataset whose single feature is the example's own index, and whose label is index % 3,
/// so a batch tells which examples it holds.
fn indexed(n: usize) -> TensorDataset {
    let x = Tensor::from_vec((0..n).map(|i| i as f32).collect(), &[n, 1]).expect("n values");
    TensorDataset::new(x, (0..n).map(|i| i % 3).collect()).expect("n labels")
}

/// One epoch as the list of example indices per batch, checking labels match features.
fn epoch(loader: &mut DataLoader) -> Vec<Vec<usize>> {
    loader
        .iter()
        .map(|(x, y)| {
            let idx: Vec<usize> = x.to_vec().iter().map(|&v| v as usize).collect();
            assert_eq!(y.to_vec(), idx.iter().map(|i| i % 3).collect::<Vec<_>>());
            idx
        })
        .collect()
}

fn flat(batches: &[Vec<usize>]) -> Vec<usize> {
    batches.concat()
}

#[test]
fn every_index_appears_exactly_once_per_epoch() {
    for (n, bs, shuffle) in [(10, 3, false), (10, 3, true), (32, 8, true), (5, 10, true)] {
        let mut loader = DataLoader::new(indexed(n), bs);
        if shuffle {
            loader = loader.shuffle(1);
        }
        for _ in 0..3 {
            let mut seen = flat(&epoch(&mut loader));
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "n={n} bs={bs}");
        }
    }
}

#[test]
fn without_shuffle_batches_follow_dataset_order() {
    let mut loader = DataLoader::new(indexed(7), 3);
    assert_eq!(
        epoch(&mut loader),
        vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]
    );
    assert_eq!(
        epoch(&mut loader),
        vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]
    );
}

#[test]
fn shuffled_epochs_differ_from_each_other() {
    let mut loader = DataLoader::new(indexed(50), 10).shuffle(3);
    let e1 = flat(&epoch(&mut loader));
    let e2 = flat(&epoch(&mut loader));
    assert_ne!(e1, e2);
    assert_ne!(e1, (0..50).collect::<Vec<_>>());
}

#[test]
fn the_same_seed_gives_the_same_epochs_and_another_seed_others() {
    let run = |seed| {
        let mut loader = DataLoader::new(indexed(40), 8).shuffle(seed);
        (0..3).map(|_| epoch(&mut loader)).collect::<Vec<_>>()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

#[test]
fn drop_last_drops_only_the_partial_batch() {
    let mut keep = DataLoader::new(indexed(10), 3).shuffle(0);
    assert_eq!(keep.len(), 4);
    let sizes: Vec<usize> = epoch(&mut keep).iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);

    let mut drop = DataLoader::new(indexed(10), 3).shuffle(0).drop_last(true);
    assert_eq!(drop.len(), 3);
    let batches = epoch(&mut drop);
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 3]
    );
    let mut seen = flat(&batches);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 9);

    // A batch larger than the dataset: one partial batch, or none with drop_last.
    assert_eq!(DataLoader::new(indexed(4), 8).len(), 1);
    let mut none = DataLoader::new(indexed(4), 8).drop_last(true);
    assert!(none.is_empty());
    assert_eq!(none.iter().count(), 0);
}

#[test]
fn an_epoch_iterator_knows_its_length() {
    let mut loader = DataLoader::new(indexed(10), 4);
    let mut it = loader.iter();
    assert_eq!(it.len(), 3);
    it.next();
    assert_eq!(it.len(), 2);
    assert_eq!(it.order().len(), 10);
}

#[test]
fn for_loops_over_a_mutable_reference_run_one_epoch_each() {
    let mut loader = DataLoader::new(iris(), 50);
    let mut batches = 0;
    for (x, y) in &mut loader {
        assert_eq!(x.shape(), &[50, 4]);
        assert_eq!(y.shape(), &[50]);
        batches += 1;
    }
    assert_eq!(batches, 3);
    assert_eq!(loader.epoch(), 1);
}

#[test]
fn a_restored_state_continues_with_the_same_epochs() {
    let mut original = DataLoader::new(indexed(30), 7).shuffle(9);
    epoch(&mut original);
    epoch(&mut original);
    let saved = serde_json::to_string(&original.state()).unwrap();
    let next_two = [epoch(&mut original), epoch(&mut original)];

    let mut resumed = DataLoader::new(indexed(30), 7).shuffle(1234);
    let state: DataLoaderState = serde_json::from_str(&saved).unwrap();
    resumed.load_state(state);
    assert_eq!(resumed.epoch(), 2);
    assert_eq!([epoch(&mut resumed), epoch(&mut resumed)], next_two);
}

#[test]
fn rng_state_round_trips_and_set_rng_state_replays() {
    let mut a = DataLoader::new(indexed(20), 5).shuffle(2);
    let before: Rng = a.rng_state().clone();
    let first = epoch(&mut a);
    a.set_rng_state(before);
    assert_eq!(epoch(&mut a), first);
}

#[test]
fn resuming_mid_epoch_skips_the_batches_already_done() {
    let mut loader = DataLoader::new(indexed(25), 4).shuffle(8);
    let saved = loader.state();
    let full = epoch(&mut loader);
    loader.load_state(saved);
    let rest: Vec<Vec<usize>> = loader
        .iter()
        .skip(3)
        .map(|(x, _)| x.to_vec().iter().map(|&v| v as usize).collect())
        .collect();
    assert_eq!(rest, full[3..]);
}

#[test]
fn the_whole_loader_serializes_with_its_dataset() {
    let mut loader = DataLoader::new(indexed(12), 5).shuffle(4).drop_last(true);
    epoch(&mut loader);
    let json = serde_json::to_string(&loader).unwrap();
    let mut back: DataLoader = serde_json::from_str(&json).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(epoch(&mut back), epoch(&mut loader));
}

#[test]
fn from_tensors_checks_the_label_count() {
    let err = DataLoader::from_tensors(Tensor::zeros(&[3, 2]), vec![0], 2).unwrap_err();
    assert!(err.to_string().contains("[3, 2]"));
    assert_eq!(
        DataLoader::from_tensors(Tensor::zeros(&[3, 2]), vec![0; 3], 2)
            .unwrap()
            .len(),
        2
    );
}

#[test]
#[should_panic(expected = "batch_size must be positive")]
fn a_zero_batch_size_panics() {
    DataLoader::new(indexed(3), 0);
}
