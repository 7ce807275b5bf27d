//! # backprop-data
//!
//! Everything between a dataset and a training loop, for the `backprop` deep-learning
//! library. Depends only on `backprop-tensor`.
//!
//! - **Embedded datasets**, compiled into the crate (no files or network needed):
//!   [`iris`] (150 × 4, 3 classes), [`wine`] (178 × 13, 3 classes) and [`digits`]
//!   (1797 × 64 pixels of 8×8 images, 10 classes), each as scikit-learn ships them, with rows
//!   in file order.
//! - **Synthetic sets**, seeded: [`make_moons`], [`make_circles`], [`make_spirals`],
//!   [`make_blobs`].
//! - **CSV loading**: [`load_csv`] / [`parse_csv`] with [`CsvOptions`] (header, label column
//!   by index, from the end or by name, categorical / index / fixed labels). Malformed input
//!   is a [`DataError`] that names the file, line and column.
//! - **Preparation**: [`train_test_split`] (optionally stratified), [`StandardScaler`],
//!   [`MinMaxScaler`], [`one_hot`].
//! - **Batching**: the [`Dataset`] / [`BatchDataset`] traits, [`TensorDataset`] and
//!   [`DataLoader`] (batch size, seeded reshuffling every epoch, `drop_last`, resumable
//!   generator state).
//!
//! ```
//! use backprop_data::{iris, train_test_split, DataLoader, Dataset, StandardScaler};
//!
//! let data = iris();
//! let (train_idx, test_idx) = train_test_split(data.len(), 0.2, 41, Some(&data.labels));
//! let (mut train, mut test) = (data.subset(&train_idx), data.subset(&test_idx));
//!
//! // Fit the scaler on the training rows only, then apply it to both sets.
//! let (scaler, x_train) = StandardScaler::fit_transform(&train.features);
//! train.features = x_train;
//! test.features = scaler.transform(&test.features);
//!
//! let mut loader = DataLoader::new(train, 16).shuffle(0);
//! for _epoch in 0..3 {
//!     for (x, y) in loader.iter() {
//!         assert_eq!(x.shape()[1], 4);
//!         assert_eq!(x.shape()[0], y.shape()[0]);
//!     }
//! }
//! assert_eq!(test.features.shape(), &[30, 4]);
//! ```

mod csv;
mod dataset;
mod embedded;
mod error;
mod loader;
mod one_hot;
mod scale;
mod split;
mod synthetic;

pub use csv::{CsvData, CsvOptions, LabelColumn, Labels, load_csv, parse_csv};
pub use dataset::{BatchDataset, ClassificationDataset, Dataset, TensorDataset};
pub use embedded::{digits, iris, wine};
pub use error::DataError;
pub use loader::{Batches, DataLoader, DataLoaderState};
pub use one_hot::one_hot;
pub use scale::{MinMaxScaler, StandardScaler};
pub use split::train_test_split;
pub use synthetic::{make_blobs, make_circles, make_moons, make_spirals};
