//! [`DataLoader`]: mini-batches over a dataset, reshuffled every epoch from a seeded,
//! serializable generator.

use backprop_tensor::{Rng, Tensor};
use serde::{Deserialize, Serialize};

use crate::{BatchDataset, DataError, TensorDataset};

/// Iterates over a dataset in mini-batches, like `torch.utils.data.DataLoader`.
///
/// Each call to [`iter`](Self::iter) is one epoch. With [`shuffle`](Self::shuffle) the order
/// is a fresh permutation each epoch, drawn from the loader's own [`Rng`]: the same seed gives
/// the same sequence of epochs, and the generator's state can be saved
/// ([`state`](Self::state)) and restored ([`load_state`](Self::load_state)) so a checkpointed
/// run continues with the same batches. Without shuffling, batches follow the dataset order.
///
/// # Examples
///
/// ```
/// use backprop_data::{iris, DataLoader};
///
/// let mut loader = DataLoader::new(iris(), 32).shuffle(7).drop_last(true);
/// assert_eq!(loader.len(), 4); // 150 / 32, the partial batch dropped
/// for epoch in 0..2 {
///     for (x, y) in loader.iter() {
///         assert_eq!(x.shape(), &[32, 4]);
///         assert_eq!(y.shape(), &[32]);
///     }
/// }
/// assert_eq!(loader.epoch(), 2);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataLoader<D = TensorDataset> {
    dataset: D,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    rng: Rng,
    epoch: usize,
}

/// What a checkpoint needs to resume a [`DataLoader`]: its generator and epoch counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataLoaderState {
    /// The generator that will draw the next epoch's permutation.
    pub rng: Rng,
    /// The number of epochs started so far.
    pub epoch: usize,
}

impl<D: BatchDataset> DataLoader<D> {
    /// A loader over `dataset` in batches of `batch_size`, in dataset order, keeping the last
    /// partial batch.
    ///
    /// # Panics
    ///
    /// If `batch_size` is zero.
    #[track_caller]
    pub fn new(dataset: D, batch_size: usize) -> Self {
        assert!(
            batch_size > 0,
            "DataLoader::new: batch_size must be positive"
        );
        DataLoader {
            dataset,
            batch_size,
            shuffle: false,
            drop_last: false,
            rng: Rng::seed_from_u64(0),
            epoch: 0,
        }
    }

    /// Shuffles every epoch, with a generator seeded from `seed`.
    pub fn shuffle(self, seed: u64) -> Self {
        self.shuffle_with(Rng::seed_from_u64(seed))
    }

    /// Shuffles every epoch, drawing from `rng` (e.g. one forked from a run's main generator).
    pub fn shuffle_with(mut self, rng: Rng) -> Self {
        self.shuffle = true;
        self.rng = rng;
        self
    }

    /// Whether to drop the last batch when it is smaller than `batch_size`.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// The number of batches per epoch.
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// True when an epoch yields no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The dataset.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// The number of epochs started (calls to [`iter`](Self::iter)).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Starts an epoch: draws this epoch's order (a new permutation when shuffling) and
    /// returns an iterator over its batches.
    ///
    /// To resume in the middle of an epoch, restore the state saved before that epoch's
    /// `iter()` and skip the batches already done: `loader.iter().skip(done)` (skipping does
    /// not build the skipped batches).
    pub fn iter(&mut self) -> Batches<'_, D> {
        let n = self.dataset.len();
        let order = if self.shuffle {
            self.rng.permutation(n)
        } else {
            (0..n).collect()
        };
        self.epoch += 1;
        let end = self.len().saturating_mul(self.batch_size).min(n);
        Batches {
            dataset: &self.dataset,
            order,
            batch_size: self.batch_size,
            position: 0,
            end,
        }
    }

    /// The generator that will shuffle the next epoch.
    pub fn rng_state(&self) -> &Rng {
        &self.rng
    }

    /// Replaces the generator (e.g. with one saved by [`rng_state`](Self::rng_state)).
    pub fn set_rng_state(&mut self, rng: Rng) {
        self.rng = rng;
    }

    /// The generator and epoch counter, for a checkpoint.
    pub fn state(&self) -> DataLoaderState {
        DataLoaderState {
            rng: self.rng.clone(),
            epoch: self.epoch,
        }
    }

    /// Restores a state saved by [`state`](Self::state): the next epoch gets the permutation
    /// it would have had in the saved run.
    pub fn load_state(&mut self, state: DataLoaderState) {
        self.rng = state.rng;
        self.epoch = state.epoch;
    }
}

impl DataLoader<TensorDataset> {
    /// A loader over features `[n, ...]` and `n` labels.
    ///
    /// # Errors
    ///
    /// [`DataError::LengthMismatch`] when `features` does not have one row per label.
    ///
    /// # Panics
    ///
    /// If `batch_size` is zero.
    #[track_caller]
    pub fn from_tensors(
        features: Tensor<f32>,
        labels: Vec<usize>,
        batch_size: usize,
    ) -> Result<Self, DataError> {
        Ok(DataLoader::new(
            TensorDataset::new(features, labels)?,
            batch_size,
        ))
    }
}

impl<'a, D: BatchDataset> IntoIterator for &'a mut DataLoader<D> {
    type Item = D::Batch;
    type IntoIter = Batches<'a, D>;

    fn into_iter(self) -> Batches<'a, D> {
        self.iter()
    }
}

/// The batches of one epoch, from [`DataLoader::iter`].
#[derive(Debug)]
pub struct Batches<'a, D> {
    dataset: &'a D,
    order: Vec<usize>,
    batch_size: usize,
    position: usize,
    /// Where the epoch stops: `order.len()`, or less with `drop_last`.
    end: usize,
}

impl<D> Batches<'_, D> {
    /// The dataset indices of this epoch, in order (including any dropped tail).
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

impl<D: BatchDataset> Iterator for Batches<'_, D> {
    type Item = D::Batch;

    fn next(&mut self) -> Option<D::Batch> {
        if self.position >= self.end {
            return None;
        }
        let stop = (self.position + self.batch_size).min(self.end);
        let batch = self.dataset.get_batch(&self.order[self.position..stop]);
        self.position = stop;
        Some(batch)
    }

    fn nth(&mut self, n: usize) -> Option<D::Batch> {
        let skip = n.saturating_mul(self.batch_size);
        self.position = self.position.saturating_add(skip).min(self.end);
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.end - self.position).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl<D: BatchDataset> ExactSizeIterator for Batches<'_, D> {}
