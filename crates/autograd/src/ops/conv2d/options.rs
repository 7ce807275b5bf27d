//! The options of `conv2d` and `conv1d`, with PyTorch's defaults.

use crate::ops::Size2;

/// The options of [`Var::conv2d`](crate::Var::conv2d), each `(height, width)`, with PyTorch's
/// defaults; the builder methods take a [`Size2`]: `2` or `(2, 1)`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Conv2dOptions;
/// let opts = Conv2dOptions::default().stride(2).padding((1, 0)).groups(2);
/// assert_eq!((opts.stride, opts.padding, opts.dilation, opts.groups), ((2, 2), (1, 0), (1, 1), 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// The step between windows (default 1).
    pub stride: (usize, usize),
    /// Zeros added on both sides of each axis (default 0).
    pub padding: (usize, usize),
    /// The spacing between kernel elements (default 1).
    pub dilation: (usize, usize),
    /// The number of blocked connections from input to output channels (default 1).
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

impl Conv2dOptions {
    /// Sets the stride.
    pub fn stride(mut self, stride: impl Into<Size2>) -> Self {
        let Size2(h, w) = stride.into();
        self.stride = (h, w);
        self
    }

    /// Sets the zero padding.
    pub fn padding(mut self, padding: impl Into<Size2>) -> Self {
        let Size2(h, w) = padding.into();
        self.padding = (h, w);
        self
    }

    /// Sets the dilation.
    pub fn dilation(mut self, dilation: impl Into<Size2>) -> Self {
        let Size2(h, w) = dilation.into();
        self.dilation = (h, w);
        self
    }

    /// Sets the number of groups.
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }
}

/// The options of [`Var::conv1d`](crate::Var::conv1d), with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// The step between windows (default 1).
    pub stride: usize,
    /// Zeros added on both sides (default 0).
    pub padding: usize,
    /// The spacing between kernel elements (default 1).
    pub dilation: usize,
    /// The number of blocked connections from input to output channels (default 1).
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions {
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
        }
    }
}

impl Conv1dOptions {
    /// Sets the stride.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// Sets the zero padding.
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// Sets the dilation.
    pub fn dilation(mut self, dilation: usize) -> Self {
        self.dilation = dilation;
        self
    }

    /// Sets the number of groups.
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }
}
