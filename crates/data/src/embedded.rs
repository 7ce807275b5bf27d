//! The datasets compiled into the crate: Iris, wine and digits, as scikit-learn ships them.
//!
//! The CSV files live in `crates/data/data/` and are included with `include_str!`, so these
//! functions need no file system or network. Rows keep file order (row `i` is data row `i` of
//! the file, header excluded), which is what index lists saved from PyTorch or scikit-learn
//! refer to.

use crate::ClassificationDataset;
use crate::csv::{CsvOptions, LabelColumn, Labels, parse_csv};

const IRIS_CSV: &str = include_str!("../data/iris.csv");
const WINE_CSV: &str = include_str!("../data/wine.csv");
const DIGITS_CSV: &str = include_str!("../data/digits.csv");

/// Fisher's Iris: 150 flowers × 4 measurements (cm), 3 species with 50 each.
///
/// Classes: `setosa` (0), `versicolor` (1), `virginica` (2). Features: sepal length, sepal
/// width, petal length, petal width. This is scikit-learn's copy, in which rows 35 and 38
/// carry the corrected values rather than the UCI transcription errors.
///
/// # Examples
///
/// ```
/// let iris = backprop_data::iris();
/// assert_eq!(iris.features.shape(), &[150, 4]);
/// assert_eq!(iris.features.to_vec()[..4], [5.1, 3.5, 1.4, 0.2]);
/// assert_eq!(iris.class_names[iris.labels[0]], "setosa");
/// ```
pub fn iris() -> ClassificationDataset {
    with_sklearn_header(
        IRIS_CSV,
        "iris.csv",
        &[
            "sepal length (cm)",
            "sepal width (cm)",
            "petal length (cm)",
            "petal width (cm)",
        ],
    )
}

/// The UCI wine recognition data: 178 wines × 13 chemical measurements, 3 cultivars
/// (`class_0`: 59, `class_1`: 71, `class_2`: 48).
///
/// The features are on very different scales (proline is in the hundreds, hue near 1), so
/// standardize them (see [`StandardScaler`](crate::StandardScaler)) before training.
///
/// # Examples
///
/// ```
/// let wine = backprop_data::wine();
/// assert_eq!(wine.features.shape(), &[178, 13]);
/// assert_eq!(wine.class_counts(), vec![59, 71, 48]);
/// ```
pub fn wine() -> ClassificationDataset {
    with_sklearn_header(
        WINE_CSV,
        "wine.csv",
        &[
            "alcohol",
            "malic_acid",
            "ash",
            "alcalinity_of_ash",
            "magnesium",
            "total_phenols",
            "flavanoids",
            "nonflavanoid_phenols",
            "proanthocyanins",
            "color_intensity",
            "hue",
            "od280/od315_of_diluted_wines",
            "proline",
        ],
    )
}

/// The UCI optical handwritten digits as scikit-learn ships them: 1797 images of 8×8 pixels
/// with values 0..=16, flattened row-major to 64 features, and the digit 0..=9 as the class.
///
/// Feature `8 * r + c` is the pixel in row `r`, column `c` (named `pixel_r_c`); reshape the
/// features to `[1797, 1, 8, 8]` for a convolutional network. Class `k` is named `"k"`.
///
/// # Examples
///
/// ```
/// let digits = backprop_data::digits();
/// assert_eq!(digits.features.shape(), &[1797, 64]);
/// assert_eq!(digits.num_classes(), 10);
/// ```
pub fn digits() -> ClassificationDataset {
    let opts = CsvOptions {
        has_header: false,
        label_column: Some(LabelColumn::Last),
        labels: Labels::Fixed((0..10).map(|k| k.to_string()).collect()),
        ..CsvOptions::default()
    };
    let mut data = parse_csv(DIGITS_CSV, "digits.csv", &opts)
        .expect("the embedded digits.csv is valid")
        .into_classification()
        .expect("digits.csv has a label column");
    data.feature_names = (0..64)
        .map(|j| format!("pixel_{}_{}", j / 8, j % 8))
        .collect();
    data
}

/// Parses a file whose first line is scikit-learn's `n_samples,n_features,class names...`
/// header, followed by rows of features and a class index.
fn with_sklearn_header(text: &str, name: &str, feature_names: &[&str]) -> ClassificationDataset {
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split(',').collect();
    let count = |i: usize| header.get(i).and_then(|s| s.trim().parse::<usize>().ok());
    let (rows, columns) = (count(0), count(1));
    let class_names: Vec<String> = header
        .iter()
        .skip(2)
        .map(|s| s.trim().to_string())
        .collect();
    let opts = CsvOptions {
        has_header: false,
        skip_lines: 1,
        label_column: Some(LabelColumn::Last),
        labels: Labels::Fixed((0..class_names.len()).map(|k| k.to_string()).collect()),
        ..CsvOptions::default()
    };
    let data = parse_csv(text, name, &opts).unwrap_or_else(|e| panic!("embedded {e}"));
    assert_eq!(
        (
            Some(data.features.shape()[0]),
            Some(data.features.shape()[1])
        ),
        (rows, columns),
        "embedded {name}: the header does not match the data"
    );
    ClassificationDataset {
        features: data.features,
        labels: data.labels.unwrap_or_default(),
        class_names,
        feature_names: feature_names.iter().map(|s| s.to_string()).collect(),
    }
}
