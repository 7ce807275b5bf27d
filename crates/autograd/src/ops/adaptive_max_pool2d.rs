//! adaptive_max_pool2d: the maximum over output (i, j)'s window of each `[H, W]` plane,
//! the windows chosen so the output is `[OH, OW]`, like PyTorch's `F.adaptive_max_pool2d`.
//!
//! The windows are adaptive_avg_pool2d's (⌊i·L/O⌋ .. ⌈(i + 1)·L/O⌉ along each axis). Within
//! a window the first maximum in row-major order wins, replaced only by a strictly larger
//! value or NaN (PyTorch's CPU kernel), so NaN propagates. The gradient goes to that
//! position, as in max_pool2d, whose forward and backward (`scatter_add`, differentiable
//! again) this shares. Saves the positions.

use backprop_tensor::{Float, Rng};

use super::adaptive_avg_pool2d::adaptive_windows;
use super::max_pool2d::{Size2, max_over_windows, split_planes};
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::Var;

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Adaptive 2-d max pooling of a `[N, C, H, W]` or `[C, H, W]` value to `output_size`
    /// (height, width; an integer means a square), as PyTorch's `F.adaptive_max_pool2d`.
    ///
    /// # Panics
    ///
    /// If the input does not have 3 or 4 axes or has an empty spatial axis, or if an output
    /// extent is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 3.0, 2.0], &[1, 1, 3]).unwrap());
    /// let y = x.adaptive_max_pool2d((1, 2)); // windows 0..2 and 1..3
    /// assert_eq!(y.value().to_vec(), vec![3.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn adaptive_max_pool2d(&self, output_size: impl Into<Size2>) -> Var<T> {
        let op = "adaptive_max_pool2d";
        let shape = self.shape();
        let (_, h, w) = split_planes(op, &shape);
        let out = output_size.into();
        let rows = adaptive_windows(op, &shape, h, out.0);
        let cols = adaptive_windows(op, &shape, w, out.1);
        max_over_windows(self, op, &rows, &cols)
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let case = |shape: &[usize], out: (usize, usize), rng: &mut Rng| {
        GradCase::new(
            format!("to {out:?}"),
            vec![inputs::distinct(rng, shape)],
            move |v| v[0].adaptive_max_pool2d(out),
        )
    };
    let mut cases = vec![
        case(&[2, 2, 4, 6], (2, 3), rng),
        case(&[1, 2, 5, 7], (3, 4), rng),
        case(&[2, 5, 3], (4, 2), rng),
    ];
    cases.push(GradCase::new(
        "to (3, 2), squared",
        vec![inputs::distinct(rng, &[1, 1, 5, 5])],
        |v| {
            let y = v[0].adaptive_max_pool2d((3, 2));
            y.mul(&y)
        },
    ));
    cases
}
