//! avg_pool2d: y[n, c, i, j] = (Σ over the window of output (i, j) of x[n, c, ·, ·]) / divisor,
//! like PyTorch's `F.avg_pool2d` on `[N, C, H, W]` or `[C, H, W]`.
//!
//! Window (i, j) covers rows i·sh − ph .. i·sh − ph + kh and likewise columns; padding is
//! zero. The output size is max_pool2d's with dilation 1. The divisor follows PyTorch's CPU
//! kernel: `divisor_override` when given; else, with `count_include_pad`, the window's
//! extent clipped to the padded input (rows min(start + kh, H + ph) − start, times columns),
//! so a `ceil_mode` window hanging past the right padding counts only what lies inside it;
//! without `count_include_pad`, the number of input elements in the window. A window
//! entirely outside the input (impossible with PyTorch's size rules) would give 0.
//!
//! y is linear in x: dx[p] = Σ over the windows w containing p of dy[w] / divisor[w]. The
//! backward is composed of `div`, `index_select` (each window's gradient to each of its
//! positions) and `index_add` (summed into the input), so it is differentiable again.
//! Saves the window positions and divisors, not the input.

use backprop_tensor::{Float, Rng, Tensor, parallel_for_each};

use super::max_pool2d::{
    Size2, Span, check_window, planes_per_item, pooled_len, split_planes,
};
use crate::ops::with_slice;
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

/// The options of [`Var::avg_pool2d`], with PyTorch's defaults: stride = kernel size,
/// padding 0, `ceil_mode` off, `count_include_pad` on, no `divisor_override`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::AvgPool2dOptions;
/// let opts = AvgPool2dOptions::new((2, 3)).padding(1).count_include_pad(false);
/// assert!(!opts.count_include_pad);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvgPool2dOptions {
    /// The window's extent (height, width).
    pub kernel_size: Size2,
    /// The step between windows; `None` means the kernel size.
    pub stride: Option<Size2>,
    /// Implicit zero padding on each side; at most half the kernel size.
    pub padding: Size2,
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
    /// Whether padded positions count in the divisor.
    pub count_include_pad: bool,
    /// A fixed divisor (non-zero) replacing the window's size.
    pub divisor_override: Option<i64>,
}

impl AvgPool2dOptions {
    /// Windows of `kernel_size`, with the other options at PyTorch's defaults.
    pub fn new(kernel_size: impl Into<Size2>) -> Self {
        AvgPool2dOptions {
            kernel_size: kernel_size.into(),
            stride: None,
            padding: Size2(0, 0),
            ceil_mode: false,
            count_include_pad: true,
            divisor_override: None,
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: impl Into<Size2>) -> Self {
        self.stride = Some(stride.into());
        self
    }

    /// Sets the padding.
    pub fn padding(mut self, padding: impl Into<Size2>) -> Self {
        self.padding = padding.into();
        self
    }

    /// Sets `ceil_mode`.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// Sets `count_include_pad`.
    pub fn count_include_pad(mut self, count_include_pad: bool) -> Self {
        self.count_include_pad = count_include_pad;
        self
    }

    /// Sets `divisor_override`.
    pub fn divisor_override(mut self, divisor: i64) -> Self {
        self.divisor_override = Some(divisor);
        self
    }

    /// A short description for check labels: `k 3x3 s 2x2 p 1x1 ceil exclude-pad /3`.
    fn describe(&self) -> String {
        let (k, p) = (self.kernel_size, self.padding);
        let s = self.stride.unwrap_or(k);
        let mut out = format!("k {}x{} s {}x{} p {}x{}", k.0, k.1, s.0, s.1, p.0, p.1);
        if self.ceil_mode {
            out += " ceil";
        }
        if !self.count_include_pad {
            out += " exclude-pad";
        }
        if let Some(d) = self.divisor_override {
            out += &format!(" /{d}");
        }
        out
    }
}

impl<T: Float> Var<T> {
    /// 2-d average pooling over the last two axes of a `[N, C, H, W]` or `[C, H, W]` value,
    /// as PyTorch's `F.avg_pool2d` (same divisors, see the module notes).
    ///
    /// # Panics
    ///
    /// If the input does not have 3 or 4 axes or has an empty spatial axis, if a kernel
    /// size or stride is 0, if the padding exceeds half the kernel size, if the output
    /// would be empty, or if `divisor_override` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::{AvgPool2dOptions, Var};
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[1, 2, 2]).unwrap());
    /// let y = x.avg_pool2d(AvgPool2dOptions::new(2));
    /// assert_eq!(y.value().to_vec(), vec![2.5]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.25; 4]);
    /// ```
    #[track_caller]
    pub fn avg_pool2d(&self, opts: AvgPool2dOptions) -> Var<T> {
        let op = "avg_pool2d";
        let shape = self.shape();
        let (_, h, w) = split_planes(op, &shape);
        let (k, s, p) = (
            opts.kernel_size,
            opts.stride.unwrap_or(opts.kernel_size),
            opts.padding,
        );
        check_window(op, &shape, k, s, p, Size2(1, 1));
        assert!(
            opts.divisor_override != Some(0),
            "avg_pool2d: divisor_override must be non-zero (input {shape:?})"
        );
        let rows = windows(op, &shape, h, k.0, s.0, p.0, opts.ceil_mode);
        let cols = windows(op, &shape, w, k.1, s.1, p.1, opts.ceil_mode);
        let mut divisors = Vec::with_capacity(rows.len() * cols.len());
        for (r, padded_rows) in &rows {
            for (c, padded_cols) in &cols {
                let d = match opts.divisor_override {
                    Some(d) => d as f64,
                    None if opts.count_include_pad => (padded_rows * padded_cols) as f64,
                    None => ((r.end - r.start) * (c.end - c.start)) as f64,
                };
                divisors.push(T::from_f64(d));
            }
        }
        let rows: Vec<Span> = rows.into_iter().map(|(r, _)| r).collect();
        let cols: Vec<Span> = cols.into_iter().map(|(c, _)| c).collect();
        mean_over_windows(self, op, &rows, &cols, divisors)
    }
}

/// The windows of an average pooling along one axis, each with its extent inside the
/// padded input (what `count_include_pad` divides by).
#[track_caller]
fn windows(
    op: &str,
    shape: &[usize],
    len: usize,
    k: usize,
    s: usize,
    p: usize,
    ceil: bool,
) -> Vec<(Span, usize)> {
    let out = pooled_len(len, k, s, p, 1, ceil);
    assert!(
        out >= 1,
        "{op}: an axis of {len} is too small for kernel {k}, stride {s}, padding {p} \
         (input {shape:?})"
    );
    (0..out)
        .map(|i| {
            let start = i * s as i64 - p as i64;
            let end = (start + k as i64).min((len + p) as i64);
            let clipped = Span {
                start: start.max(0) as usize,
                end: end.clamp(0, len as i64) as usize,
                step: 1,
            };
            (clipped, (end - start) as usize)
        })
        .collect()
}

/// The sum of every window (rows × cols) of every plane of `x` divided by that window's
/// divisor (row-major over the windows), recorded as `op`; the forward of avg_pool2d and
/// adaptive_avg_pool2d.
#[track_caller]
pub(crate) fn mean_over_windows<T: Float>(
    x: &Var<T>,
    op: &'static str,
    rows: &[Span],
    cols: &[Span],
    divisors: Vec<T>,
) -> Var<T> {
    let shape = x.shape();
    let (planes, h, w) = split_planes(op, &shape);
    let (oh, ow) = (rows.len(), cols.len());
    // The (output, input position) pairs of one plane, the same for every plane.
    let (mut outs, mut ins) = (Vec::new(), Vec::new());
    for (i, r) in rows.iter().enumerate() {
        for (j, c) in cols.iter().enumerate() {
            for a in r.start..r.end {
                for b in c.start..c.end {
                    outs.push(i * ow + j);
                    ins.push(a * w + b);
                }
            }
        }
    }
    let mut y = vec![T::zero(); planes * oh * ow];
    let per = planes_per_item(planes, h * w + outs.len());
    with_slice(&x.data(), |xs| {
        let items: Vec<_> = xs
            .chunks(per * h * w)
            .zip(y.chunks_mut(per * oh * ow))
            .collect();
        parallel_for_each(items, |(xs, y)| {
            for (plane, ys) in xs.chunks_exact(h * w).zip(y.chunks_exact_mut(oh * ow)) {
                for (&o, &p) in outs.iter().zip(&ins) {
                    ys[o] += plane[p];
                }
                for (v, &d) in ys.iter_mut().zip(&divisors) {
                    *v /= d;
                }
            }
        });
    });
    let mut out_shape = shape[..shape.len() - 2].to_vec();
    out_shape.extend([oh, ow]);
    let y = Tensor::from_vec(y, &out_shape).expect("one value per output");
    let divisors = Tensor::from_vec(divisors, &[oh * ow]).expect("one divisor per output");
    Var::from_unary_op(
        op,
        y,
        x,
        WindowMeanBackward {
            outs,
            ins,
            divisors,
            flat_in: [planes, h * w],
            flat_out: [planes, oh * ow],
        },
    )
}

/// Hands every output's gradient, divided by its divisor, to each position of its window.
struct WindowMeanBackward<T: Float> {
    /// Pair k links output `outs[k]` to input position `ins[k]` (within a plane).
    outs: Vec<usize>,
    ins: Vec<usize>,
    divisors: Tensor<T>,
    flat_in: [usize; 2],
    flat_out: [usize; 2],
}

impl<T: Float> Backward<T> for WindowMeanBackward<T> {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let [planes, hw] = self.flat_in;
        let ohw = self.flat_out[1];
        let divisors = self.divisors.as_slice().expect("recorded contiguous");
        let mut dx = vec![T::zero(); planes * hw];
        let per = planes_per_item(planes, hw + self.outs.len());
        with_slice(&g, |g| {
            let items: Vec<_> = g.chunks(per * ohw).zip(dx.chunks_mut(per * hw)).collect();
            parallel_for_each(items, |(g, dx)| {
                let mut share = vec![T::zero(); ohw];
                for (gs, dxs) in g.chunks_exact(ohw).zip(dx.chunks_exact_mut(hw)) {
                    for ((s, &g), &d) in share.iter_mut().zip(gs).zip(divisors) {
                        *s = g / d;
                    }
                    for (&o, &p) in self.outs.iter().zip(&self.ins) {
                        dxs[p] += share[o];
                    }
                }
            });
        });
        let dx = Tensor::from_vec(dx, &ctx.input_shape(0)).expect("one value per input");
        vec![Some(dx)]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let share = g
            .reshape(&self.flat_out)
            .div(&Var::new(self.divisors.clone()));
        let dx = Var::index_add(
            &self.flat_in,
            1,
            &self.ins,
            &share.index_select(1, &self.outs),
        );
        vec![Some(dx.reshape(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let case = |label: &str, shape: &[usize], opts: AvgPool2dOptions, rng: &mut Rng| {
        GradCase::new(
            format!("{label}: {}", opts.describe()),
            vec![inputs::normal(rng, shape)],
            move |v| v[0].avg_pool2d(opts),
        )
    };
    fn o(kernel_size: impl Into<Size2>) -> AvgPool2dOptions {
        AvgPool2dOptions::new(kernel_size)
    }
    let mut cases = vec![
        case("2x2", &[2, 3, 4, 4], o(2), rng),
        case("overlapping", &[1, 2, 5, 5], o(3).stride(1), rng),
        case("padding", &[1, 2, 5, 6], o(3).stride(2).padding(1), rng),
        case(
            "padding, count_include_pad false",
            &[1, 2, 5, 6],
            o(3).stride(2).padding(1).count_include_pad(false),
            rng,
        ),
        case(
            "ceil_mode, padding",
            &[1, 2, 6, 5],
            o((3, 2)).stride(2).padding(1).ceil_mode(true),
            rng,
        ),
        case(
            "[C, H, W], divisor_override",
            &[2, 5, 5],
            o(2).stride(1).divisor_override(3),
            rng,
        ),
    ];
    let opts = o(3).stride(1).padding(1).count_include_pad(false);
    cases.push(GradCase::new(
        "overlapping, squared",
        vec![inputs::normal(rng, &[1, 1, 4, 4])],
        move |v| {
            let y = v[0].avg_pool2d(opts);
            y.mul(&y)
        },
    ));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(x: Vec<f64>, shape: &[usize], opts: AvgPool2dOptions) -> Vec<f64> {
        let y = Var::new(Tensor::from_vec(x, shape).unwrap()).avg_pool2d(opts);
        y.value().to_vec()
    }

    #[test]
    fn divisors_follow_pytorch() {
        let ones = || vec![1.0; 9];
        let opts = AvgPool2dOptions::new(2).padding(1);
        // Corner windows hold one input element of a 2x2 window.
        assert_eq!(pool(ones(), &[1, 3, 3], opts)[0], 0.25);
        assert_eq!(pool(ones(), &[1, 3, 3], opts.count_include_pad(false))[0], 1.0);
        assert_eq!(pool(ones(), &[1, 3, 3], opts.divisor_override(2))[0], 0.5);
        // ceil_mode on 3 with kernel 2, stride 2: the last window hangs past the input
        // (without padding), and counts only the one row and column inside.
        let opts = AvgPool2dOptions::new(2).ceil_mode(true);
        assert_eq!(pool(ones(), &[1, 3, 3], opts), vec![1.0; 4]);
    }

    #[test]
    #[should_panic(expected = "avg_pool2d: divisor_override must be non-zero")]
    fn zero_divisor_panics() {
        pool(vec![0.0; 4], &[1, 2, 2], AvgPool2dOptions::new(2).divisor_override(0));
    }
}
