//! Errors for fallible tensor constructors.

/// An error from a fallible tensor constructor (data that came from outside the program).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TensorError {
    /// The number of elements does not match the product of the shape.
    #[error("data has {len} elements but shape {shape:?} needs {expected}")]
    LengthMismatch {
        /// Elements supplied.
        len: usize,
        /// The requested shape.
        shape: Vec<usize>,
        /// The product of the shape.
        expected: usize,
    },
    /// The shape has more elements than any array can hold (the product of its axes
    /// overflows), as a damaged file can claim.
    #[error("shape {shape:?} has more elements than an array can hold")]
    ShapeTooLarge {
        /// The requested shape.
        shape: Vec<usize>,
    },
}
