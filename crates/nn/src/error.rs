//! Errors of layer constructors that take outside data.

/// A layer could not be built from the values it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    /// A tensor handed to a constructor has the wrong shape.
    #[error("{layer}: {reason}")]
    Shape {
        /// The layer type.
        layer: &'static str,
        /// What was expected and what was given.
        reason: String,
    },
}
