//! The error type for data that comes from outside the program (files, CSV text).

/// An error while reading or parsing a dataset.
///
/// Every variant that concerns a place in a file displays as `file:line: ...`, with the line
/// counted from 1 (as editors do) and, where a single field is at fault, `column N` counted
/// from 1 as well, e.g. `iris.csv:12: column 3: "abc" is not a number`.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read (missing file, permissions, not UTF-8).
    #[error("{file}: cannot read file: {source}")]
    Io {
        /// The path as given.
        file: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text ended before the first data row (an empty file, or a header only).
    #[error("{file}:{line}: expected a data row, found end of file")]
    Empty {
        /// The file name.
        file: String,
        /// The line where a data row was expected.
        line: usize,
    },
    /// A row has a different number of fields from the header or the first data row.
    #[error("{file}:{line}: expected {expected} columns ({reference}), found {found}")]
    RowLength {
        /// The file name.
        file: String,
        /// The offending line.
        line: usize,
        /// The number of fields the row should have.
        expected: usize,
        /// The number of fields it has.
        found: usize,
        /// Where `expected` comes from: the header or the first data row, with its line.
        reference: String,
    },
    /// A feature field does not parse as a number.
    #[error("{file}:{line}: column {column}: {value:?} is not a number")]
    NotANumber {
        /// The file name.
        file: String,
        /// The offending line.
        line: usize,
        /// The 1-based column.
        column: usize,
        /// The field text.
        value: String,
    },
    /// A feature field parses, but to NaN or an infinity, which would poison training silently.
    #[error("{file}:{line}: column {column}: {value:?} is not a finite number")]
    NotFinite {
        /// The file name.
        file: String,
        /// The offending line.
        line: usize,
        /// The 1-based column.
        column: usize,
        /// The field text.
        value: String,
    },
    /// With [`Labels::Index`](crate::Labels::Index), a label is not a non-negative integer.
    #[error("{file}:{line}: column {column}: {value:?} is not a class index")]
    NotAClassIndex {
        /// The file name.
        file: String,
        /// The offending line.
        line: usize,
        /// The 1-based column.
        column: usize,
        /// The field text.
        value: String,
    },
    /// With [`Labels::Fixed`](crate::Labels::Fixed), a label is not one of the given classes.
    #[error(
        "{file}:{line}: column {column}: unknown label {value:?} (expected one of {expected:?})"
    )]
    UnknownLabel {
        /// The file name.
        file: String,
        /// The offending line.
        line: usize,
        /// The 1-based column.
        column: usize,
        /// The field text.
        value: String,
        /// The classes that were allowed.
        expected: Vec<String>,
    },
    /// The label column named in [`LabelColumn::Name`](crate::LabelColumn::Name) is not in the
    /// header, or the file has no header to look it up in.
    #[error("{file}:{line}: no column named {name:?} in the header {header:?}")]
    UnknownColumn {
        /// The file name.
        file: String,
        /// The header line (or the first line when there is no header).
        line: usize,
        /// The requested column name.
        name: String,
        /// The header fields (empty when the file has no header).
        header: Vec<String>,
    },
    /// The label column index does not exist in rows of this width.
    #[error("{file}:{line}: label column {index} is out of range for rows of {columns} columns")]
    LabelColumnOutOfRange {
        /// The file name.
        file: String,
        /// The first data line.
        line: usize,
        /// The requested index (negative counts from the end).
        index: isize,
        /// The number of fields per row.
        columns: usize,
    },
    /// A quoted field is not closed before the end of its line.
    #[error("{file}:{line}: column {column}: unterminated quoted field")]
    UnterminatedQuote {
        /// The file name.
        file: String,
        /// The offending line.
        line: usize,
        /// The 1-based column.
        column: usize,
    },
    /// Text after the closing quote of a quoted field, e.g. `"ab"c`.
    #[error("{file}:{line}: column {column}: unexpected text after a closing quote")]
    TextAfterQuote {
        /// The file name.
        file: String,
        /// The offending line.
        line: usize,
        /// The 1-based column.
        column: usize,
    },
    /// Features and labels given together do not have the same number of examples.
    #[error("features of shape {shape:?} do not have one row per label ({labels} labels)")]
    LengthMismatch {
        /// The shape of the features.
        shape: Vec<usize>,
        /// The number of labels.
        labels: usize,
    },
}
