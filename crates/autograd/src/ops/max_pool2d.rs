//! max_pool2d: y[n, c, i, j] = max over the window of output (i, j) of x[n, c, ·, ·], like
//! PyTorch's `F.max_pool2d` on `[N, C, H, W]` or `[C, H, W]`.
//!
//! Window (i, j) reads rows i·sh − ph + a·dh (a = 0..kh) and columns j·sw − pw + b·dw
//! (b = 0..kw); positions in the padding count as −∞, so they never win. The number of
//! outputs along an axis of extent L is ⌊(L + 2p − d(k − 1) − 1 + (s − 1 if ceil_mode)) / s⌋ + 1,
//! and with `ceil_mode` one less if the last window would start at or past L + p (PyTorch's
//! rule: every window starts inside the input or the left padding).
//!
//! The forward records, per output, the position of its maximum: the first in window order
//! (rows, then columns), replaced by a later one only when strictly larger or NaN, as
//! PyTorch's CPU kernel (`val > maxval || isnan(val)`), so NaN propagates. y is then
//! x gathered at those positions, so dx = dy scattered back to them (`scatter_add`), summed
//! where overlapping windows share a maximum. The positions are piecewise constant in x,
//! so the second derivative is 0 away from ties; the backward is `scatter_add`, whose own
//! backward is `gather`. Saves the positions.

use backprop_tensor::{Float, Rng, Tensor, parallel_chunk_len, parallel_for_each};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::ops::with_slice;
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

/// A 2-d size (height, width), as PyTorch's int-or-pair pooling arguments: `3` is `(3, 3)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size2(pub usize, pub usize);

impl From<usize> for Size2 {
    fn from(n: usize) -> Self {
        Size2(n, n)
    }
}

impl From<(usize, usize)> for Size2 {
    fn from((h, w): (usize, usize)) -> Self {
        Size2(h, w)
    }
}

/// The options of [`Var::max_pool2d`], with PyTorch's defaults: stride = kernel size,
/// padding 0, dilation 1, `ceil_mode` off.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Pool2dOptions;
/// let opts = Pool2dOptions::new(3).stride(2).padding(1).ceil_mode(true);
/// assert_eq!(opts.stride_or_kernel(), backprop_autograd::Size2(2, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// The window's extent (height, width).
    pub kernel_size: Size2,
    /// The step between windows; `None` means the kernel size.
    pub stride: Option<Size2>,
    /// Implicit −∞ padding on each side; at most half the kernel size.
    pub padding: Size2,
    /// The spacing of the positions a window reads.
    pub dilation: Size2,
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
}

impl Pool2dOptions {
    /// Windows of `kernel_size`, with the other options at PyTorch's defaults.
    pub fn new(kernel_size: impl Into<Size2>) -> Self {
        Pool2dOptions {
            kernel_size: kernel_size.into(),
            stride: None,
            padding: Size2(0, 0),
            dilation: Size2(1, 1),
            ceil_mode: false,
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

    /// Sets the dilation.
    pub fn dilation(mut self, dilation: impl Into<Size2>) -> Self {
        self.dilation = dilation.into();
        self
    }

    /// Sets `ceil_mode`.
    pub fn ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// The stride, which defaults to the kernel size.
    pub fn stride_or_kernel(&self) -> Size2 {
        self.stride.unwrap_or(self.kernel_size)
    }

    /// A short description for check labels: `k 3x3 s 2x2 p 1x1 d 1x1 ceil`.
    fn describe(&self) -> String {
        let (k, s, p, d) = (self.kernel_size, self.stride_or_kernel(), self.padding, self.dilation);
        let ceil = if self.ceil_mode { " ceil" } else { "" };
        format!(
            "k {}x{} s {}x{} p {}x{} d {}x{}{ceil}",
            k.0, k.1, s.0, s.1, p.0, p.1, d.0, d.1
        )
    }
}

impl<T: Float> Var<T> {
    /// 2-d max pooling over the last two axes of a `[N, C, H, W]` or `[C, H, W]` value, as
    /// PyTorch's `F.max_pool2d`: the output is `[N, C, OH, OW]` (or `[C, OH, OW]`). The
    /// gradient goes to the first maximum of each window; NaN propagates.
    ///
    /// # Panics
    ///
    /// If the input does not have 3 or 4 axes or has an empty spatial axis, if a kernel
    /// size, stride or dilation is 0, if the padding exceeds half the kernel size, or if
    /// the output would be empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::{Pool2dOptions, Var};
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(
    ///     Tensor::from_vec((0..16).map(|v| v as f64).collect(), &[1, 1, 4, 4]).unwrap(),
    /// );
    /// let y = x.max_pool2d(Pool2dOptions::new(2));
    /// assert_eq!(y.value().to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec()[5], 1.0);
    /// ```
    #[track_caller]
    pub fn max_pool2d(&self, opts: Pool2dOptions) -> Var<T> {
        let op = "max_pool2d";
        let shape = self.shape();
        let (_, h, w) = split_planes(op, &shape);
        let (k, s, p, d) = (
            opts.kernel_size,
            opts.stride_or_kernel(),
            opts.padding,
            opts.dilation,
        );
        check_window(op, &shape, k, s, p, d);
        let rows = windows(op, &shape, h, k.0, s.0, p.0, d.0, opts.ceil_mode);
        let cols = windows(op, &shape, w, k.1, s.1, p.1, d.1, opts.ceil_mode);
        max_over_windows(self, op, &rows, &cols)
    }
}

/// The input positions one output row (or column) reads: `start..end` by `step`, clipped
/// to the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) step: usize,
}

/// The number of planes (N·C, or C) and the spatial extents (H, W) of a pooling input.
#[track_caller]
pub(crate) fn split_planes(op: &str, shape: &[usize]) -> (usize, usize, usize) {
    let ok = matches!(shape.len(), 3 | 4) && shape[shape.len() - 2..].iter().all(|&e| e > 0);
    assert!(
        ok,
        "{op}: expected an input of shape [N, C, H, W] or [C, H, W] with H, W > 0, got \
         {shape:?}"
    );
    let n = shape.len();
    (shape[..n - 2].iter().product(), shape[n - 2], shape[n - 1])
}

/// Panics unless kernel, stride and dilation are positive and the padding is at most half
/// the kernel (PyTorch's checks).
#[track_caller]
pub(crate) fn check_window(op: &str, shape: &[usize], k: Size2, s: Size2, p: Size2, d: Size2) {
    let positive = [k.0, k.1, s.0, s.1, d.0, d.1].iter().all(|&v| v > 0);
    assert!(
        positive,
        "{op}: kernel size {k:?}, stride {s:?} and dilation {d:?} must be positive (input \
         {shape:?})"
    );
    assert!(
        p.0 <= k.0 / 2 && p.1 <= k.1 / 2,
        "{op}: padding {p:?} must be at most half the kernel size {k:?} (input {shape:?})"
    );
}

/// The number of outputs along an axis of `len` inputs, as PyTorch's `pooling_output_shape`
/// (negative when no window fits).
pub(crate) fn pooled_len(len: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> i64 {
    let (len, k, s, p, d) = (len as i64, k as i64, s as i64, p as i64, d as i64);
    let num = len + 2 * p - d * (k - 1) - 1 + if ceil { s - 1 } else { 0 };
    let mut out = num.div_euclid(s) + 1;
    if ceil && (out - 1) * s >= len + p {
        out -= 1;
    }
    out
}

/// The windows of a max pooling along one axis: each start skips the padding in steps of
/// the dilation, as PyTorch's kernel does.
#[allow(clippy::too_many_arguments)]
#[track_caller]
fn windows(
    op: &str,
    shape: &[usize],
    len: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    ceil: bool,
) -> Vec<Span> {
    let out = pooled_len(len, k, s, p, d, ceil);
    assert!(
        out >= 1,
        "{op}: an axis of {len} is too small for kernel {k}, stride {s}, padding {p}, \
         dilation {d} (input {shape:?})"
    );
    (0..out)
        .map(|i| {
            let mut start = i * s as i64 - p as i64;
            let end = (start + ((k - 1) * d) as i64 + 1).min(len as i64);
            while start < 0 {
                start += d as i64;
            }
            Span {
                start: start as usize,
                end: end.max(start) as usize,
                step: d,
            }
        })
        .collect()
}

/// How many planes one work item takes when `planes` planes, `plane_len` elements of work
/// each, are split over the kernel threads: all of them when the whole is too small to split.
pub(crate) fn planes_per_item(planes: usize, plane_len: usize) -> usize {
    match parallel_chunk_len(planes * plane_len) {
        Some(chunk) => (chunk / plane_len.max(1)).clamp(1, planes.max(1)),
        None => planes.max(1),
    }
}

/// The maximum of every window (rows × cols) of every plane of `x`, recorded as `op`; the
/// forward of max_pool2d and adaptive_max_pool2d.
#[track_caller]
pub(crate) fn max_over_windows<T: Float>(
    x: &Var<T>,
    op: &'static str,
    rows: &[Span],
    cols: &[Span],
) -> Var<T> {
    let shape = x.shape();
    let (planes, h, w) = split_planes(op, &shape);
    assert!(
        u32::try_from(h * w).is_ok(),
        "{op}: a plane of {h} × {w} elements is more than this op indexes (2³²; input \
         {shape:?})"
    );
    let (oh, ow) = (rows.len(), cols.len());
    let out_len = oh * ow;
    let mut y = vec![T::zero(); planes * out_len];
    // Positions within a plane as u32: half the memory traffic of usize.
    let mut index = vec![0u32; planes * out_len];
    let per = planes_per_item(planes, h * w + out_len);
    with_slice(&x.data(), |xs| {
        let items: Vec<_> = xs
            .chunks(per * h * w)
            .zip(y.chunks_mut(per * out_len))
            .zip(index.chunks_mut(per * out_len))
            .collect();
        parallel_for_each(items, |((xs, y), index)| {
            for ((plane, y), index) in xs
                .chunks_exact(h * w)
                .zip(y.chunks_exact_mut(out_len))
                .zip(index.chunks_exact_mut(out_len))
            {
                max_of_plane(plane, w, rows, cols, y, index);
            }
        });
    });
    let mut out_shape = shape[..shape.len() - 2].to_vec();
    out_shape.extend([oh, ow]);
    let y = Tensor::from_vec(y, &out_shape).expect("one value per output");
    Var::from_unary_op(
        op,
        y,
        x,
        MaxPoolBackward {
            index,
            flat: [planes, h * w],
        },
    )
}

/// The maximum of every window of one plane (rows of `w` elements) and its position.
///
/// PyTorch's CPU kernel: start at −∞ with the window's first position, visit the window's
/// positions row by row, and take a value when strictly larger or NaN.
#[inline]
fn max_of_plane<T: Float>(
    plane: &[T],
    w: usize,
    rows: &[Span],
    cols: &[Span],
    y: &mut [T],
    index: &mut [u32],
) {
    let h = plane.len() / w;
    let mut out = y.iter_mut().zip(index.iter_mut());
    for r in rows {
        for c in cols {
            // The size rules keep every window non-empty; the clamp only keeps the first
            // position in range regardless.
            let mut best = r.start.min(h - 1) * w + c.start.min(w - 1);
            let mut max = T::neg_infinity();
            for i in (r.start..r.end).step_by(r.step) {
                let row = &plane[i * w..(i + 1) * w];
                for j in (c.start..c.end).step_by(c.step) {
                    let v = row[j];
                    if v > max || v.is_nan() {
                        max = v;
                        best = i * w + j;
                    }
                }
            }
            let (y, index) = out.next().expect("one output per window");
            *y = max;
            *index = best as u32;
        }
    }
}

/// Scatters the gradient of every output to the position of its window's maximum.
struct MaxPoolBackward {
    /// Per plane (`[planes, outputs]` flattened), the position (row · W + column) each
    /// output took its value from.
    index: Vec<u32>,
    /// The input viewed as planes: `[planes, H · W]`.
    flat: [usize; 2],
}

impl<T: Float> Backward<T> for MaxPoolBackward {
    /// The `scatter_add` of the recorded backward, plane by plane on the kernel threads:
    /// each plane's gradient is added in output order, as `scatter_add` does.
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let [planes, plane_len] = self.flat;
        let out_len = self.index.len() / planes.max(1);
        let index = &self.index;
        let mut dx = vec![T::zero(); planes * plane_len];
        let per = planes_per_item(planes, plane_len + out_len);
        with_slice(&g, |g| {
            let items: Vec<_> = dx
                .chunks_mut(per * plane_len)
                .zip(index.chunks(per * out_len))
                .zip(g.chunks(per * out_len))
                .collect();
            parallel_for_each(items, |((dx, index), g)| {
                for ((dx, index), g) in dx
                    .chunks_exact_mut(plane_len)
                    .zip(index.chunks_exact(out_len))
                    .zip(g.chunks_exact(out_len))
                {
                    for (&i, &g) in index.iter().zip(g) {
                        dx[i as usize] += g;
                    }
                }
            });
        });
        let dx = Tensor::from_vec(dx, &ctx.input_shape(0)).expect("one gradient per input");
        vec![Some(dx)]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let planes = self.flat[0];
        let shape = [planes, self.index.len() / planes.max(1)];
        let index = self.index.iter().map(|&i| i as usize).collect();
        let index = Tensor::from_vec(index, &shape).expect("one index per output");
        let g = g.reshape(&shape);
        let dx = Var::scatter_add(&self.flat, 1, &index, &g);
        vec![Some(dx.reshape(&ctx.input_shape(0)))]
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let case = |label: &str, shape: &[usize], opts: Pool2dOptions, rng: &mut Rng| {
        GradCase::new(
            format!("{label}: {}", opts.describe()),
            vec![inputs::distinct(rng, shape)],
            move |v| v[0].max_pool2d(opts),
        )
    };
    fn o(kernel_size: impl Into<Size2>) -> Pool2dOptions {
        Pool2dOptions::new(kernel_size)
    }
    let mut cases = vec![
        case("2x2", &[2, 3, 4, 4], o(2), rng),
        case("overlapping", &[1, 2, 5, 5], o(3).stride(1), rng),
        case("padding", &[1, 2, 5, 6], o(3).stride(2).padding(1), rng),
        case("dilation", &[1, 1, 7, 7], o((2, 3)).dilation((2, 1)), rng),
        case("ceil_mode", &[1, 2, 6, 7], o(3).stride(2).ceil_mode(true), rng),
        case(
            "[C, H, W], ceil_mode, padding, dilation",
            &[2, 6, 5],
            o((3, 2)).stride((2, 1)).padding(1).dilation(2).ceil_mode(true),
            rng,
        ),
    ];
    let opts = o(3).stride(1).padding(1);
    cases.push(GradCase::new(
        "overlapping, squared",
        vec![inputs::distinct(rng, &[1, 1, 4, 4])],
        move |v| {
            let y = v[0].max_pool2d(opts);
            y.mul(&y)
        },
    ));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(x: Vec<f64>, shape: &[usize], opts: Pool2dOptions) -> (Vec<f64>, Vec<usize>) {
        let y = Var::new(Tensor::from_vec(x, shape).unwrap()).max_pool2d(opts);
        (y.value().to_vec(), y.shape())
    }

    #[test]
    fn a_batch_split_over_threads_pools_as_plane_by_plane() {
        // [6, 8, 40, 40] is large enough to be split over the kernel threads; every plane
        // pooled alone (too small to split) must give the same values and gradients, for
        // max and average pooling (whose forward and backward split the same way).
        type Pool = Box<dyn Fn(&Var<f32>) -> Var<f32>>;
        let pools: Vec<Pool> = vec![
            Box::new(|x| x.max_pool2d(Pool2dOptions::new(2))),
            Box::new(|x| x.max_pool2d(Pool2dOptions::new(3).stride(1).padding(1))),
            Box::new(|x| x.avg_pool2d(crate::AvgPool2dOptions::new(3).stride(2).padding(1))),
            Box::new(|x| x.adaptive_avg_pool2d((5, 7))),
        ];
        let mut rng = Rng::seed_from_u64(5);
        let shape = [6, 8, 40, 40];
        let x = Tensor::<f32>::randn(&shape, &mut rng);
        for (k, pool) in pools.iter().enumerate() {
            let xv = Var::parameter(x.clone());
            let y = pool(&xv);
            let weights = Tensor::<f32>::randn(&y.shape(), &mut rng);
            y.mul(&Var::new(weights.clone())).sum().backward();
            let (ys, grad) = (y.value().to_vec(), xv.grad().unwrap().to_vec());
            let plane = 40 * 40;
            let out_plane = ys.len() / 48;
            for p in 0..48 {
                let xp = Var::parameter(x.reshape(&[48, 40, 40]).narrow(0, p, 1).to_contiguous());
                let yp = pool(&xp);
                let wp = weights.reshape(&[48, out_plane]).narrow(0, p, 1);
                yp.mul(&Var::new(wp.reshape(&yp.shape()))).sum().backward();
                assert_eq!(yp.value().to_vec(), ys[p * out_plane..][..out_plane], "{k}: plane {p}");
                assert_eq!(xp.grad().unwrap().to_vec(), grad[p * plane..][..plane], "{k}: plane {p}");
            }
        }
    }

    #[test]
    fn output_sizes_follow_pytorch() {
        // ceil_mode adds a window only where it starts inside the input or left padding.
        assert_eq!(pooled_len(6, 3, 2, 0, 1, false), 2);
        assert_eq!(pooled_len(6, 3, 2, 0, 1, true), 3);
        assert_eq!(pooled_len(5, 2, 2, 1, 1, true), 3);
        assert_eq!(pooled_len(4, 2, 2, 1, 1, true), 3);
        assert_eq!(pooled_len(7, 3, 3, 1, 2, false), 2);
        assert_eq!(pooled_len(2, 3, 1, 0, 1, false), 0);
    }

    #[test]
    fn ties_pick_the_first_and_nan_wins() {
        let (y, _) = pool(vec![1.0, 1.0, 0.0, 1.0], &[1, 1, 2, 2], Pool2dOptions::new(2));
        assert_eq!(y, vec![1.0]);
        let x = Var::parameter(Tensor::from_vec(vec![2.0, 1.0, 2.0, 2.0], &[1, 2, 2]).unwrap());
        x.max_pool2d(Pool2dOptions::new(2)).sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 0.0, 0.0, 0.0]);
        let (y, _) = pool(vec![1.0, f64::NAN, 3.0, 0.0], &[1, 2, 2], Pool2dOptions::new(2));
        assert!(y[0].is_nan());
    }

    #[test]
    fn gradients_go_where_pytorch_sends_them() {
        // The last NaN of a window, and the first position of an all −∞ window (values
        // from PyTorch 2.15).
        let grad = |x: Vec<f64>, opts: Pool2dOptions| {
            let x = Var::parameter(Tensor::from_vec(x, &[1, 2, 2]).unwrap());
            x.max_pool2d(opts).sum().backward();
            x.grad().unwrap().to_vec()
        };
        let nan = f64::NAN;
        let opts = Pool2dOptions::new(2);
        assert_eq!(grad(vec![nan, 1.0, nan, 0.0], opts), vec![0.0, 0.0, 1.0, 0.0]);
        let opts = Pool2dOptions::new(2).stride(1).padding(1);
        let inf = f64::NEG_INFINITY;
        assert_eq!(grad(vec![inf; 4], opts), vec![4.0, 2.0, 2.0, 1.0]);
    }

    #[test]
    fn padding_never_wins() {
        let (y, shape) = pool(
            vec![-5.0, -6.0, -7.0, -8.0],
            &[1, 1, 2, 2],
            Pool2dOptions::new(2).stride(1).padding(1),
        );
        assert_eq!(shape, [1, 1, 3, 3]);
        assert_eq!(y, vec![-5.0, -5.0, -6.0, -5.0, -5.0, -6.0, -7.0, -7.0, -8.0]);
    }

    #[test]
    #[should_panic(expected = "max_pool2d: padding Size2(2, 2) must be at most half")]
    fn too_much_padding_panics() {
        pool(vec![0.0; 16], &[1, 1, 4, 4], Pool2dOptions::new(3).padding(2));
    }

    #[test]
    #[should_panic(expected = "max_pool2d: expected an input of shape [N, C, H, W]")]
    fn a_2d_input_panics() {
        pool(vec![0.0; 16], &[4, 4], Pool2dOptions::new(2));
    }
}
