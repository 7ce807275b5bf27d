//! The [`Dataset`] trait and the two in-memory datasets: [`TensorDataset`] and
//! [`ClassificationDataset`].

use backprop_tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::DataError;

/// A collection of examples that can be read by index (like `torch.utils.data.Dataset`).
///
/// # Examples
///
/// ```
/// use backprop_data::Dataset;
///
/// /// The squares 0, 1, 4, 9, ... as a dataset.
/// struct Squares(usize);
///
/// impl Dataset for Squares {
///     type Item = usize;
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, index: usize) -> usize { index * index }
/// }
///
/// assert_eq!(Squares(4).get(3), 9);
/// assert!(!Squares(4).is_empty());
/// ```
pub trait Dataset {
    /// One example.
    type Item;

    /// The number of examples.
    fn len(&self) -> usize;

    /// The example at `index`.
    ///
    /// Implementations panic when `index >= self.len()`.
    fn get(&self, index: usize) -> Self::Item;

    /// True when the dataset has no examples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A dataset that can gather many examples into one batch at once, which is what
/// [`DataLoader`](crate::DataLoader) needs (PyTorch's `__getitems__` plus the default collate).
pub trait BatchDataset: Dataset {
    /// A batch of examples, e.g. `(features [b, d], labels [b])`.
    type Batch;

    /// The examples at `indices`, in that order, as one batch.
    ///
    /// Implementations panic when an index is out of range.
    fn get_batch(&self, indices: &[usize]) -> Self::Batch;
}

/// Features and class labels held in memory (like `torch.utils.data.TensorDataset`).
///
/// `features` has shape `[n, ...]` (one example per index of axis 0) and there is one label
/// per example. An item is `(features [...], label)`; a batch is
/// `(features [b, ...], labels [b])`.
///
/// # Examples
///
/// ```
/// use backprop_data::{BatchDataset, Dataset, TensorDataset};
/// use backprop_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]).unwrap();
/// let data = TensorDataset::new(x, vec![0, 1, 0]).unwrap();
/// let (row, label) = data.get(1);
/// assert_eq!((row.to_vec(), label), (vec![3.0, 4.0], 1));
/// let (xb, yb) = data.get_batch(&[2, 0]);
/// assert_eq!(xb.shape(), &[2, 2]);
/// assert_eq!(yb.to_vec(), vec![0, 0]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorDataset {
    features: Tensor<f32>,
    labels: Vec<usize>,
}

impl TensorDataset {
    /// Pairs features `[n, ...]` with `n` labels.
    ///
    /// # Errors
    ///
    /// [`DataError::LengthMismatch`] when `features` is a scalar or its first axis does not
    /// have one entry per label.
    pub fn new(features: Tensor<f32>, labels: Vec<usize>) -> Result<Self, DataError> {
        match features.shape().first() {
            Some(&n) if n == labels.len() => Ok(TensorDataset { features, labels }),
            _ => Err(DataError::LengthMismatch {
                shape: features.shape().to_vec(),
                labels: labels.len(),
            }),
        }
    }

    /// The features, `[n, ...]`.
    pub fn features(&self) -> &Tensor<f32> {
        &self.features
    }

    /// The labels, one per example.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The examples at `indices`, in that order, as a new dataset.
    ///
    /// # Panics
    ///
    /// If an index is out of range.
    #[track_caller]
    pub fn subset(&self, indices: &[usize]) -> TensorDataset {
        let (features, labels) = self.get_batch(indices);
        TensorDataset {
            features,
            labels: labels.to_vec(),
        }
    }
}

impl Dataset for TensorDataset {
    type Item = (Tensor<f32>, usize);

    fn len(&self) -> usize {
        self.labels.len()
    }

    #[track_caller]
    fn get(&self, index: usize) -> Self::Item {
        row(&self.features, &self.labels, index)
    }
}

impl BatchDataset for TensorDataset {
    type Batch = (Tensor<f32>, Tensor<usize>);

    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Self::Batch {
        batch(&self.features, &self.labels, indices)
    }
}

/// A labelled table: features `[n, d]`, a class index per row, and the names of the classes
/// and features. The embedded datasets ([`iris`](crate::iris), [`wine`](crate::wine),
/// [`digits`](crate::digits)), the synthetic ones and [`CsvData`](crate::CsvData) all give
/// one.
///
/// The fields are public so a dataset can be built or transformed directly; keep
/// `labels.len()` equal to the first extent of `features` and every label below
/// `class_names.len()`.
///
/// # Examples
///
/// ```
/// let iris = backprop_data::iris();
/// assert_eq!(iris.features.shape(), &[150, 4]);
/// assert_eq!(iris.class_counts(), vec![50, 50, 50]);
/// let first_two = iris.subset(&[0, 1]);
/// assert_eq!(first_two.labels, vec![0, 0]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassificationDataset {
    /// The features, `[n, d]`, one row per example.
    pub features: Tensor<f32>,
    /// The class index of each row.
    pub labels: Vec<usize>,
    /// `class_names[k]` names class `k`.
    pub class_names: Vec<String>,
    /// `feature_names[j]` names column `j` of `features`.
    pub feature_names: Vec<String>,
}

impl ClassificationDataset {
    /// The number of classes (`class_names.len()`).
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// The number of features per example (the product of the trailing axes of `features`).
    pub fn num_features(&self) -> usize {
        self.features.shape().iter().skip(1).product()
    }

    /// How many examples each class has, indexed by class.
    pub fn class_counts(&self) -> Vec<usize> {
        let n = self
            .num_classes()
            .max(self.labels.iter().max().map_or(0, |&m| m + 1));
        let mut counts = vec![0; n];
        for &label in &self.labels {
            counts[label] += 1;
        }
        counts
    }

    /// The rows at `indices`, in that order, keeping the names.
    ///
    /// # Panics
    ///
    /// If an index is out of range.
    #[track_caller]
    pub fn subset(&self, indices: &[usize]) -> ClassificationDataset {
        let (features, labels) = self.get_batch(indices);
        ClassificationDataset {
            features,
            labels: labels.to_vec(),
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
        }
    }

    /// The features and labels as a [`TensorDataset`].
    ///
    /// # Errors
    ///
    /// [`DataError::LengthMismatch`] when the public fields were left inconsistent.
    pub fn to_tensor_dataset(&self) -> Result<TensorDataset, DataError> {
        TensorDataset::new(self.features.clone(), self.labels.clone())
    }
}

impl Dataset for ClassificationDataset {
    type Item = (Tensor<f32>, usize);

    fn len(&self) -> usize {
        self.labels.len()
    }

    #[track_caller]
    fn get(&self, index: usize) -> Self::Item {
        row(&self.features, &self.labels, index)
    }
}

impl BatchDataset for ClassificationDataset {
    type Batch = (Tensor<f32>, Tensor<usize>);

    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Self::Batch {
        batch(&self.features, &self.labels, indices)
    }
}

#[track_caller]
fn row(features: &Tensor<f32>, labels: &[usize], index: usize) -> (Tensor<f32>, usize) {
    assert!(
        index < labels.len(),
        "Dataset::get: index {index} is out of range for {} examples",
        labels.len()
    );
    let x = features.index_select(0, &[index]);
    (x.reshape(&features.shape()[1..]), labels[index])
}

#[track_caller]
fn batch(
    features: &Tensor<f32>,
    labels: &[usize],
    indices: &[usize],
) -> (Tensor<f32>, Tensor<usize>) {
    if let Some(&bad) = indices.iter().find(|&&i| i >= labels.len()) {
        panic!(
            "get_batch: index {bad} is out of range for {} examples",
            labels.len()
        );
    }
    let x = features.index_select(0, indices);
    let y: Vec<usize> = indices.iter().map(|&i| labels[i]).collect();
    let y = Tensor::from_vec(y, &[indices.len()]).expect("one label per index");
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> TensorDataset {
        let x = Tensor::from_vec((0..8).map(|v| v as f32).collect(), &[4, 2]).unwrap();
        TensorDataset::new(x, vec![3, 1, 2, 0]).unwrap()
    }

    #[test]
    fn items_and_batches_follow_the_indices() {
        let d = toy();
        assert_eq!(d.len(), 4);
        let (x, y) = d.get(2);
        assert_eq!((x.shape(), x.to_vec(), y), (&[2][..], vec![4.0, 5.0], 2));
        let (xb, yb) = d.get_batch(&[3, 0]);
        assert_eq!(xb.to_vec(), vec![6.0, 7.0, 0.0, 1.0]);
        assert_eq!(yb.to_vec(), vec![0, 3]);
        assert_eq!(d.subset(&[1]).labels(), &[1]);
    }

    #[test]
    fn new_rejects_a_label_count_that_does_not_match() {
        let err = TensorDataset::new(Tensor::zeros(&[3, 2]), vec![0, 1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "features of shape [3, 2] do not have one row per label (2 labels)"
        );
        assert!(TensorDataset::new(Tensor::scalar(1.0), vec![0]).is_err());
    }

    #[test]
    #[should_panic(expected = "index 4 is out of range for 4 examples")]
    fn get_out_of_range_panics() {
        toy().get(4);
    }

    #[test]
    fn class_counts_cover_labels_beyond_the_names() {
        let d = ClassificationDataset {
            features: Tensor::zeros(&[3, 1]),
            labels: vec![0, 2, 2],
            class_names: vec!["a".into()],
            feature_names: vec!["f".into()],
        };
        assert_eq!(d.class_counts(), vec![1, 0, 2]);
        assert_eq!(d.num_features(), 1);
    }
}
