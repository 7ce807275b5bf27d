//! Splitting one CSV line into fields (quoting and trimming), with positioned errors.

use crate::DataError;

/// The file name and delimiter, for splitting lines and building errors.
pub(super) struct Reader<'a> {
    pub(super) file: &'a str,
    pub(super) delimiter: char,
}

impl Reader<'_> {
    pub(super) fn empty(&self, line: usize) -> DataError {
        DataError::Empty {
            file: self.file.to_string(),
            line,
        }
    }

    /// Splits one line into fields, unquoting quoted ones and trimming unquoted ones.
    pub(super) fn split(&self, line_text: &str, line: usize) -> Result<Vec<String>, DataError> {
        let mut fields = Vec::new();
        let mut rest = line_text;
        loop {
            let column = fields.len() + 1;
            let trimmed = rest.trim_start();
            if let Some(quoted) = trimmed.strip_prefix('"') {
                let (value, after) = self.unquote(quoted, line, column)?;
                fields.push(value);
                let after = after.trim_start();
                match after.chars().next() {
                    None => return Ok(fields),
                    Some(c) if c == self.delimiter => rest = &after[c.len_utf8()..],
                    Some(_) => {
                        return Err(DataError::TextAfterQuote {
                            file: self.file.to_string(),
                            line,
                            column,
                        });
                    }
                }
            } else {
                match rest.find(self.delimiter) {
                    Some(at) => {
                        fields.push(rest[..at].trim().to_string());
                        rest = &rest[at + self.delimiter.len_utf8()..];
                    }
                    None => {
                        fields.push(rest.trim().to_string());
                        return Ok(fields);
                    }
                }
            }
        }
    }

    /// Reads a quoted field's content (after the opening quote); returns it and the text after
    /// the closing quote.
    fn unquote<'t>(
        &self,
        text: &'t str,
        line: usize,
        column: usize,
    ) -> Result<(String, &'t str), DataError> {
        let mut value = String::new();
        let mut rest = text;
        loop {
            let Some(at) = rest.find('"') else {
                return Err(DataError::UnterminatedQuote {
                    file: self.file.to_string(),
                    line,
                    column,
                });
            };
            value.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            match rest.strip_prefix('"') {
                Some(after) => {
                    value.push('"');
                    rest = after;
                }
                None => return Ok((value, rest)),
            }
        }
    }
}
