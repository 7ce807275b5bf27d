//! A small CSV reader for numeric feature tables with one class-label column.
//!
//! The parser is written by hand rather than taken from the `csv` crate: the format needed here
//! is tiny (one record per line, numbers, optionally quoted strings), and owning the loop lets
//! every error name the file, the 1-based line and the 1-based column without mapping the
//! crate's byte positions back to lines. It costs no extra dependency.
//!
//! What it accepts: fields separated by a one-byte ASCII delimiter; whitespace around a field
//! is ignored; a field may be quoted with `"` (a doubled `""` inside stands for one quote), in
//! which case it may contain the delimiter but not a line break; `\n` and `\r\n` line endings;
//! blank lines are skipped.

mod fields;
mod options;
mod parse;

pub use options::{CsvData, CsvOptions, LabelColumn, Labels};
pub use parse::{load_csv, parse_csv};
