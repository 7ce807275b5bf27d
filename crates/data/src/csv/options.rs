//! What to read from a CSV file ([`CsvOptions`]) and what comes back ([`CsvData`]).

use backprop_tensor::Tensor;

use crate::ClassificationDataset;

/// Which column of a CSV file holds the class labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelColumn {
    /// A 0-based column index; a negative index counts from the end as in Python (`-1` is the
    /// last column).
    Index(isize),
    /// The last column (the same as `Index(-1)`).
    Last,
    /// The column with this name in the header (needs [`CsvOptions::has_header`]).
    Name(String),
}

/// How the text of the label column becomes class indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Labels {
    /// Any text; classes are numbered in order of first appearance, and
    /// [`CsvData::class_names`] holds the texts in that order.
    Categorical,
    /// The labels already are class indices `0, 1, 2, ...` (as in `iris.csv`); the class names
    /// are `"0"` up to the largest index seen.
    Index,
    /// A fixed list of class names; a label is its position in the list, and any other text is
    /// an error ([`DataError::UnknownLabel`](crate::DataError::UnknownLabel)).
    Fixed(Vec<String>),
}

/// Options for [`load_csv`](crate::load_csv) and [`parse_csv`](crate::parse_csv).
///
/// The default reads a comma-separated file with a header line, takes the last column as a
/// categorical label and every other column as a numeric feature.
///
/// # Examples
///
/// ```
/// use backprop_data::{CsvOptions, LabelColumn, Labels};
///
/// let opts = CsvOptions {
///     has_header: false,
///     label_column: Some(LabelColumn::Index(0)),
///     labels: Labels::Index,
///     delimiter: b';',
///     ..CsvOptions::default()
/// };
/// let data = backprop_data::parse_csv("1;0.5;2\n0;1.5;3\n", "inline", &opts).unwrap();
/// assert_eq!(data.features.shape(), &[2, 2]);
/// assert_eq!(data.labels, Some(vec![1, 0]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// The first (non-skipped, non-blank) line names the columns.
    pub has_header: bool,
    /// Lines to skip at the top before the header or the data (e.g. 1 for the scikit-learn
    /// style files whose first line is `150,4,setosa,versicolor,virginica`).
    pub skip_lines: usize,
    /// The label column, or `None` when every column is a feature.
    pub label_column: Option<LabelColumn>,
    /// How label texts become class indices.
    pub labels: Labels,
    /// The field separator, an ASCII byte such as `b','`, `b';'` or `b'\t'`.
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            has_header: true,
            skip_lines: 0,
            label_column: Some(LabelColumn::Last),
            labels: Labels::Categorical,
            delimiter: b',',
        }
    }
}

/// The parsed contents of a CSV file.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvData {
    /// The feature columns, `[rows, columns]`, in file order.
    pub features: Tensor<f32>,
    /// The class index of each row, or `None` when no label column was chosen.
    pub labels: Option<Vec<usize>>,
    /// The class names: `class_names[k]` is the label text of class `k`. Empty without labels.
    pub class_names: Vec<String>,
    /// The feature column names from the header, or `column_N` (1-based) without one.
    pub feature_names: Vec<String>,
}

impl CsvData {
    /// Turns a labelled table into a [`ClassificationDataset`]; `None` when it has no labels.
    pub fn into_classification(self) -> Option<ClassificationDataset> {
        let labels = self.labels?;
        Some(ClassificationDataset {
            features: self.features,
            labels,
            class_names: self.class_names,
            feature_names: self.feature_names,
        })
    }
}
