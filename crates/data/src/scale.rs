//! Feature scaling fitted on training data: [`StandardScaler`] and [`MinMaxScaler`]
//! (scikit-learn's, with the same statistics).
//!
//! Both work on tensors `[n, ...]`: statistics are taken over axis 0, one per feature (per
//! element of the trailing shape). Fit on the training set only and transform the test set
//! with the training statistics, so nothing about the test set leaks into training.
//!
//! Statistics are computed and kept in `f64` (as scikit-learn does for `float32` input), so
//! one fitted scaler serves `Tensor<f32>` and `Tensor<f64>`; a transform computes in `f64`
//! and rounds once to the input's element type.

use backprop_tensor::{Float, Tensor};
use serde::{Deserialize, Serialize};

/// Standardizes features: `z = (x - mean) / scale`, with `mean` and the population standard
/// deviation (`correction = 0`, as scikit-learn) of each feature over the fitted rows.
///
/// A constant feature (variance zero up to rounding) gets `scale = 1` instead of 0, as in
/// scikit-learn, so it maps to 0 instead of NaN.
///
/// # Examples
///
/// ```
/// use backprop_data::StandardScaler;
/// use backprop_tensor::Tensor;
///
/// let train = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 5.0], &[2, 2]).unwrap();
/// let (scaler, z) = StandardScaler::fit_transform(&train);
/// assert_eq!(z.to_vec(), vec![-1.0, 0.0, 1.0, 0.0]); // column 2 is constant
/// let test = Tensor::from_vec(vec![4.0f32, 7.0], &[1, 2]).unwrap();
/// assert_eq!(scaler.transform(&test).to_vec(), vec![2.0, 2.0]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    feature_shape: Vec<usize>,
    mean: Vec<f64>,
    var: Vec<f64>,
    scale: Vec<f64>,
}

impl StandardScaler {
    /// Fits the per-feature mean and standard deviation of `x` (`[n, ...]`, axis 0 = rows).
    ///
    /// # Panics
    ///
    /// If `x` is a scalar or has no rows.
    #[track_caller]
    pub fn fit<T: Float>(x: &Tensor<T>) -> Self {
        let stats = ColumnStats::of(x, "StandardScaler::fit");
        let n = stats.rows as f64;
        let scale = stats
            .mean
            .iter()
            .zip(&stats.var)
            .map(|(&m, &v)| {
                // scikit-learn's test for a constant feature (`_is_constant_feature`): the
                // variance is within the rounding error of computing it.
                let eps = f64::EPSILON;
                let bound = n * eps * v + (n * m * eps).powi(2);
                if v <= bound { 1.0 } else { v.sqrt() }
            })
            .collect();
        StandardScaler {
            feature_shape: stats.feature_shape,
            mean: stats.mean,
            var: stats.var,
            scale,
        }
    }

    /// Fits on `x` and returns the scaler with `x` transformed.
    ///
    /// # Panics
    ///
    /// If `x` is a scalar or has no rows.
    #[track_caller]
    pub fn fit_transform<T: Float>(x: &Tensor<T>) -> (Self, Tensor<T>) {
        let scaler = Self::fit(x);
        let z = scaler.transform(x);
        (scaler, z)
    }

    /// `(x - mean) / scale`, with the fitted statistics.
    ///
    /// # Panics
    ///
    /// If the trailing shape of `x` differs from the fitted one.
    #[track_caller]
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let (mean, scale) = (&self.mean, &self.scale);
        per_feature(
            "StandardScaler::transform",
            &self.feature_shape,
            x,
            |x, j| (x - mean[j]) / scale[j],
        )
    }

    /// `z * scale + mean`, undoing [`transform`](Self::transform).
    ///
    /// # Panics
    ///
    /// If the trailing shape of `z` differs from the fitted one.
    #[track_caller]
    pub fn inverse_transform<T: Float>(&self, z: &Tensor<T>) -> Tensor<T> {
        let (mean, scale) = (&self.mean, &self.scale);
        let op = "StandardScaler::inverse_transform";
        per_feature(op, &self.feature_shape, z, |z, j| z * scale[j] + mean[j])
    }

    /// The shape of one example (the trailing shape of the fitted tensor; `[d]` for a table).
    pub fn feature_shape(&self) -> &[usize] {
        &self.feature_shape
    }

    /// The per-feature mean of the fitted rows, row-major over the feature shape
    /// (scikit-learn's `mean_`).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The per-feature population variance of the fitted rows (`var_`).
    pub fn var(&self) -> &[f64] {
        &self.var
    }

    /// The divisor per feature: the standard deviation, or 1 for a constant feature (`scale_`).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }
}

/// Scales each feature linearly onto `feature_range = (low, high)`: the fitted minimum maps to
/// `low` and the maximum to `high` (`x * scale + min`, as scikit-learn's `MinMaxScaler`).
///
/// A constant feature gets a data range of 1 instead of 0, so it maps to `low`. Values
/// outside the fitted range map outside `feature_range` (no clipping).
///
/// # Examples
///
/// ```
/// use backprop_data::MinMaxScaler;
/// use backprop_tensor::Tensor;
///
/// let train = Tensor::from_vec(vec![0.0f32, 10.0, 5.0, 20.0], &[2, 2]).unwrap();
/// let (scaler, z) = MinMaxScaler::fit_transform(&train, (-1.0, 1.0));
/// assert_eq!(z.to_vec(), vec![-1.0, -1.0, 1.0, 1.0]);
/// let test = Tensor::from_vec(vec![2.5f32, 15.0], &[1, 2]).unwrap();
/// assert_eq!(scaler.transform(&test).to_vec(), vec![0.0, 0.0]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    feature_range: (f64, f64),
    feature_shape: Vec<usize>,
    data_min: Vec<f64>,
    data_max: Vec<f64>,
    scale: Vec<f64>,
    min: Vec<f64>,
}

impl MinMaxScaler {
    /// Fits the per-feature minimum and maximum of `x` (`[n, ...]`, axis 0 = rows).
    ///
    /// # Panics
    ///
    /// If `x` is a scalar or has no rows, or `feature_range.0 >= feature_range.1`.
    #[track_caller]
    pub fn fit<T: Float>(x: &Tensor<T>, feature_range: (f64, f64)) -> Self {
        let (low, high) = feature_range;
        assert!(
            low < high,
            "MinMaxScaler::fit: feature_range ({low}, {high}) must have low < high"
        );
        let stats = ColumnStats::of(x, "MinMaxScaler::fit");
        let scale: Vec<f64> = stats
            .min
            .iter()
            .zip(&stats.max)
            .map(|(&lo, &hi)| {
                let range = if hi - lo == 0.0 { 1.0 } else { hi - lo };
                (high - low) / range
            })
            .collect();
        let min = stats
            .min
            .iter()
            .zip(&scale)
            .map(|(&lo, &s)| low - lo * s)
            .collect();
        MinMaxScaler {
            feature_range,
            feature_shape: stats.feature_shape,
            data_min: stats.min,
            data_max: stats.max,
            scale,
            min,
        }
    }

    /// Fits on `x` and returns the scaler with `x` transformed.
    ///
    /// # Panics
    ///
    /// As [`fit`](Self::fit).
    #[track_caller]
    pub fn fit_transform<T: Float>(x: &Tensor<T>, feature_range: (f64, f64)) -> (Self, Tensor<T>) {
        let scaler = Self::fit(x, feature_range);
        let z = scaler.transform(x);
        (scaler, z)
    }

    /// `x * scale + min`, with the fitted statistics.
    ///
    /// # Panics
    ///
    /// If the trailing shape of `x` differs from the fitted one.
    #[track_caller]
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let (scale, min) = (&self.scale, &self.min);
        per_feature("MinMaxScaler::transform", &self.feature_shape, x, |x, j| {
            x * scale[j] + min[j]
        })
    }

    /// `(z - min) / scale`, undoing [`transform`](Self::transform).
    ///
    /// # Panics
    ///
    /// If the trailing shape of `z` differs from the fitted one.
    #[track_caller]
    pub fn inverse_transform<T: Float>(&self, z: &Tensor<T>) -> Tensor<T> {
        let (scale, min) = (&self.scale, &self.min);
        let op = "MinMaxScaler::inverse_transform";
        per_feature(op, &self.feature_shape, z, |z, j| (z - min[j]) / scale[j])
    }

    /// The target range `(low, high)`.
    pub fn feature_range(&self) -> (f64, f64) {
        self.feature_range
    }

    /// The shape of one example (the trailing shape of the fitted tensor; `[d]` for a table).
    pub fn feature_shape(&self) -> &[usize] {
        &self.feature_shape
    }

    /// The per-feature minimum of the fitted rows (`data_min_`).
    pub fn data_min(&self) -> &[f64] {
        &self.data_min
    }

    /// The per-feature maximum of the fitted rows (`data_max_`).
    pub fn data_max(&self) -> &[f64] {
        &self.data_max
    }

    /// The per-feature factor of the transform, `(high - low) / (max - min)` (`scale_`).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// The per-feature offset of the transform, `low - min * scale` (`min_`).
    pub fn min(&self) -> &[f64] {
        &self.min
    }
}

/// Per-feature statistics over axis 0, in `f64`.
struct ColumnStats {
    rows: usize,
    feature_shape: Vec<usize>,
    mean: Vec<f64>,
    var: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

impl ColumnStats {
    #[track_caller]
    fn of<T: Float>(x: &Tensor<T>, op: &str) -> ColumnStats {
        assert!(
            x.ndim() >= 1 && x.shape()[0] > 0,
            "{op}: needs at least one row, got shape {:?}",
            x.shape()
        );
        let rows = x.shape()[0];
        let feature_shape = x.shape()[1..].to_vec();
        let d: usize = feature_shape.iter().product();
        let values: Vec<f64> = x.to_vec().into_iter().map(T::as_f64).collect();
        let mut mean = vec![0.0; d];
        let mut min = vec![f64::INFINITY; d];
        let mut max = vec![f64::NEG_INFINITY; d];
        for row in values.chunks(d.max(1)).take(rows) {
            for (j, &v) in row.iter().enumerate() {
                mean[j] += v;
                min[j] = min[j].min(v);
                max[j] = max[j].max(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= rows as f64);
        // Two passes (mean first, then squared deviations) for an accurate variance.
        let mut var = vec![0.0; d];
        for row in values.chunks(d.max(1)).take(rows) {
            for (j, &v) in row.iter().enumerate() {
                var[j] += (v - mean[j]).powi(2);
            }
        }
        var.iter_mut().for_each(|v| *v /= rows as f64);
        ColumnStats {
            rows,
            feature_shape,
            mean,
            var,
            min,
            max,
        }
    }
}

/// Applies `f(x, feature index)` to every element of `x` (`[n, ...]`) in `f64`, after
/// checking that the trailing shape of `x` is the fitted feature shape.
#[track_caller]
fn per_feature<T: Float>(
    op: &str,
    feature_shape: &[usize],
    x: &Tensor<T>,
    f: impl Fn(f64, usize) -> f64,
) -> Tensor<T> {
    assert!(
        x.ndim() >= 1 && x.shape()[1..] == *feature_shape,
        "{op}: input of shape {:?} does not have the fitted shape [n, {}]",
        x.shape(),
        feature_shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let d = feature_shape.iter().product::<usize>().max(1);
    let out: Vec<T> = x
        .to_vec()
        .into_iter()
        .enumerate()
        .map(|(i, v)| T::from_f64(f(v.as_f64(), i % d)))
        .collect();
    Tensor::from_vec(out, x.shape()).expect("same shape as the input")
}
