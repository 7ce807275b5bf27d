//! adaptive_avg_pool2d: the mean over output (i, j)'s window of each `[H, W]` plane, the
//! windows chosen so the output is `[OH, OW]`, like PyTorch's `F.adaptive_avg_pool2d`.
//!
//! Window i along an axis of L inputs and O outputs covers ⌊i·L/O⌋ .. ⌈(i + 1)·L/O⌉
//! (PyTorch's `start_index`/`end_index`); neighbouring windows overlap when O does not
//! divide L. y[i, j] = Σ x over the window / (rows · columns in it), so
//! dx[p] = Σ over the windows w containing p of dy[w] / size[w]. It is avg_pool2d's
//! window mean with these windows, and shares its backward (`div`, `index_select`,
//! `index_add`, differentiable again). Saves the window positions and sizes.

use backprop_tensor::{Float, Rng};

use super::avg_pool2d::mean_over_windows;
use super::max_pool2d::{Size2, Span, split_planes};
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::Var;

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// Adaptive 2-d average pooling of a `[N, C, H, W]` or `[C, H, W]` value to
    /// `output_size` (height, width; an integer means a square), as PyTorch's
    /// `F.adaptive_avg_pool2d`.
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
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[1, 1, 3]).unwrap());
    /// let y = x.adaptive_avg_pool2d((1, 2)); // windows 0..2 and 1..3
    /// assert_eq!(y.value().to_vec(), vec![1.5, 2.5]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 1.0, 0.5]);
    /// ```
    #[track_caller]
    pub fn adaptive_avg_pool2d(&self, output_size: impl Into<Size2>) -> Var<T> {
        let op = "adaptive_avg_pool2d";
        let shape = self.shape();
        let (_, h, w) = split_planes(op, &shape);
        let out = output_size.into();
        let rows = adaptive_windows(op, &shape, h, out.0);
        let cols = adaptive_windows(op, &shape, w, out.1);
        let mut divisors = Vec::with_capacity(out.0 * out.1);
        for r in &rows {
            for c in &cols {
                divisors.push(T::from_usize((r.end - r.start) * (c.end - c.start)));
            }
        }
        mean_over_windows(self, op, &rows, &cols, divisors)
    }
}

/// The windows of an adaptive pooling of `len` inputs to `out` outputs along one axis.
#[track_caller]
pub(crate) fn adaptive_windows(op: &str, shape: &[usize], len: usize, out: usize) -> Vec<Span> {
    assert!(out > 0, "{op}: output extent 0 for an input of shape {shape:?}");
    (0..out)
        .map(|i| Span {
            start: i * len / out,
            end: ((i + 1) * len).div_ceil(out),
            step: 1,
        })
        .collect()
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let case = |shape: &[usize], out: (usize, usize), rng: &mut Rng| {
        GradCase::new(
            format!("to {out:?}"),
            vec![inputs::normal(rng, shape)],
            move |v| v[0].adaptive_avg_pool2d(out),
        )
    };
    let mut cases = vec![
        case(&[2, 2, 4, 6], (2, 3), rng),
        case(&[1, 2, 5, 7], (3, 4), rng),
        case(&[2, 5, 3], (4, 2), rng),
        case(&[1, 1, 3, 4], (1, 1), rng),
    ];
    cases.push(GradCase::new(
        "to (3, 2), squared",
        vec![inputs::normal(rng, &[1, 1, 5, 5])],
        |v| {
            let y = v[0].adaptive_avg_pool2d((3, 2));
            y.mul(&y)
        },
    ));
    cases
}
