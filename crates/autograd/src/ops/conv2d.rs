//! conv2d: the 2-D cross-correlation of `torch.nn.functional.conv2d`, for input x
//! `[N, C_in, H, W]`, weight W `[C_out, C_in/G, kH, kW]`, optional bias b `[C_out]`, stride
//! s, zero padding p, dilation d and G groups:
//!
//! y[n, o, oh, ow] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x[n, g·C_in/G + c, oh·sh + i·dh − ph, ow·sw + j·dw − pw]
//!
//! with g = o / (C_out/G), x read as zero outside the input, and
//! H_out = ⌊(H + 2ph − dh·(kH − 1) − 1) / sh⌋ + 1 (likewise W_out).
//!
//! As matrix products: with the column matrix `cols = im2col(x)` `[G, K, N·L]`
//! (K = C_in/G·kH·kW, L = H_out·W_out; see `conv2d/im2col.rs`) and W viewed as
//! `[G, C_out/G, K]`, P = W·cols and y is P with its axes moved to `[N, C_out, H_out, W_out]`.
//! The derivatives follow from the product: with dP the output gradient in P's layout,
//! dx = col2im(Wᵀ·dP), dW = dP·colsᵀ and db = Σ_{n, oh, ow} dy. The column matrix is rebuilt
//! from x in the backward rather than saved (it is kH·kW times the input). im2col and col2im
//! are each other's adjoints, so recorded as ops they make the backward differentiable
//! again. Saves the inputs.
//!
//! The forward and the tensor-only backward take the same products one sample and one
//! group at a time, each sample a work item of the kernel threads: sample n's columns of
//! `cols` (K × L) stay in cache from im2col to the product, y[n]'s block is the product as
//! it comes out, and dW is summed over the samples in sample order, so no result depends
//! on the thread count. The recorded backward uses the whole-batch products above.
//!
//! conv1d is conv2d on `[N, C, 1, L]` (a reshape on each side), so it has no rule of its own.

use backprop_tensor::{Float, Rng, Tensor, parallel_chunk_len, parallel_for_each};

use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

mod im2col;
mod options;
#[cfg(test)]
mod tests;

use crate::ops::with_slice;
use im2col::{Geometry, col2im_add, im2col_part};
pub use options::{Conv1dOptions, Conv2dOptions};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// The 2-D convolution (cross-correlation) of a batch `self` `[N, C_in, H, W]` with
    /// `weight` `[C_out, C_in/groups, kH, kW]` and an optional `bias` `[C_out]`, giving
    /// `[N, C_out, H_out, W_out]` with `H_out = ⌊(H + 2·padding − dilation·(kH − 1) − 1) /
    /// stride⌋ + 1` (like `torch.nn.functional.conv2d`).
    ///
    /// # Panics
    ///
    /// If `self` or `weight` is not 4-D, the channels do not fit (`C_in` ≠ `weight`'s second
    /// extent × `groups`, or `C_in` or `C_out` not divisible by `groups`), `bias` is not
    /// `[C_out]`, a stride, dilation or `groups` is zero, or the dilated kernel is larger than
    /// the padded input (the message names `conv2d` and the shapes).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::{Conv2dOptions, Var};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec((0..9).map(f64::from).collect(), &[1, 1, 3, 3]).unwrap());
    /// let w = Var::parameter(Tensor::from_vec(vec![1.0, 0.0, 0.0, -1.0], &[1, 1, 2, 2]).unwrap());
    /// let y = x.conv2d(&w, None, Conv2dOptions::default());
    /// assert_eq!(y.shape(), [1, 1, 2, 2]);
    /// assert_eq!(y.value().to_vec(), vec![-4.0; 4]); // x[i, j] − x[i + 1, j + 1]
    /// let y = x.conv2d(&w, None, Conv2dOptions::default().stride(2).padding(1));
    /// assert_eq!(y.value().to_vec(), vec![0.0, -2.0, -6.0, -4.0]);
    /// ```
    #[track_caller]
    pub fn conv2d(&self, weight: &Var<T>, bias: Option<&Var<T>>, opts: Conv2dOptions) -> Var<T> {
        let (y, geo) = {
            let (x, w) = (self.data(), weight.data());
            let geo = geometry(x.shape(), w.shape(), opts);
            let b = bias.map(|b| b.data());
            if let Some(b) = &b {
                assert!(
                    b.shape() == [geo.c_out],
                    "conv2d: bias of shape {:?} does not fit weight of shape {:?} (expected [{}])",
                    b.shape(),
                    w.shape(),
                    geo.c_out
                );
            }
            (forward(&x, &w, b.as_deref(), &geo), geo)
        };
        let mut inputs = Vec::with_capacity(3);
        inputs.extend([self.clone(), weight.clone()]);
        inputs.extend(bias.cloned());
        Var::from_op("conv2d", y, inputs, Conv2dBackward(geo))
    }

    /// The 1-D convolution of a batch `self` `[N, C_in, L]` with `weight`
    /// `[C_out, C_in/groups, k]` and an optional `bias` `[C_out]`, giving `[N, C_out, L_out]`
    /// (like `torch.nn.functional.conv1d`): [`conv2d`](Var::conv2d) on `[N, C_in, 1, L]`.
    ///
    /// # Panics
    ///
    /// If `self` or `weight` is not 3-D, or as [`conv2d`](Var::conv2d) (whose message it
    /// gives, with the 4-D shapes).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::{Conv1dOptions, Var};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1.0f64, 2.0, 4.0, 8.0], &[1, 1, 4]).unwrap());
    /// let w = Var::new(Tensor::from_vec(vec![-1.0, 1.0], &[1, 1, 2]).unwrap());
    /// let y = x.conv1d(&w, None, Conv1dOptions::default());
    /// assert_eq!(y.value().to_vec(), vec![1.0, 2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn conv1d(&self, weight: &Var<T>, bias: Option<&Var<T>>, opts: Conv1dOptions) -> Var<T> {
        let (sx, sw) = (self.shape(), weight.shape());
        assert!(
            sx.len() == 3 && sw.len() == 3,
            "conv1d: input of shape {sx:?} and weight of shape {sw:?} do not fit \
             (expected [N, C_in, L] and [C_out, C_in/groups, k])"
        );
        let x = self.reshape(&[sx[0], sx[1], 1, sx[2]]);
        let w = weight.reshape(&[sw[0], sw[1], 1, sw[2]]);
        let opts2 = Conv2dOptions {
            stride: (1, opts.stride),
            padding: (0, opts.padding),
            dilation: (1, opts.dilation),
            groups: opts.groups,
        };
        let y = x.conv2d(&w, bias, opts2);
        let sy = y.shape();
        y.reshape(&[sy[0], sy[1], sy[3]])
    }
}

/// Checks the shapes and options of a convolution and works out its sizes.
#[track_caller]
fn geometry(sx: &[usize], sw: &[usize], opts: Conv2dOptions) -> Geometry {
    let shapes = format!("input of shape {sx:?} and weight of shape {sw:?}");
    assert!(
        sx.len() == 4 && sw.len() == 4,
        "conv2d: {shapes} do not fit (expected [N, C_in, H, W] and [C_out, C_in/groups, kH, kW])"
    );
    let Conv2dOptions {
        stride,
        padding,
        dilation,
        groups,
    } = opts;
    assert!(
        stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0,
        "conv2d: stride {stride:?} and dilation {dilation:?} must be positive ({shapes})"
    );
    let (c_in, c_out) = (sx[1], sw[0]);
    assert!(
        groups > 0 && c_in % groups == 0 && c_out % groups == 0,
        "conv2d: {shapes}: {c_in} input and {c_out} output channels are not both divisible by \
         groups = {groups}"
    );
    assert!(
        sw[1] * groups == c_in,
        "conv2d: {shapes}: the input has {c_in} channels but the weight expects {} \
         ({} per group × groups = {groups})",
        sw[1] * groups,
        sw[1]
    );
    let out = |len: usize, p: usize, d: usize, k: usize, s: usize, axis: &str| {
        let span = d * (k.max(1) - 1) + 1;
        assert!(
            k > 0 && span <= len + 2 * p,
            "conv2d: {shapes}: the kernel spans {span} along {axis} (dilation {d}), more than \
             the padded input's {}",
            len + 2 * p
        );
        (len + 2 * p - span) / s + 1
    };
    Geometry {
        n: sx[0],
        c_in,
        h: sx[2],
        w: sx[3],
        c_out,
        groups,
        kh: sw[2],
        kw: sw[3],
        stride,
        padding,
        dilation,
        h_out: out(sx[2], padding.0, dilation.0, sw[2], stride.0, "the height"),
        w_out: out(sx[3], padding.1, dilation.1, sw[3], stride.1, "the width"),
    }
}

/// Each group's `[C_out/G, K]` block of the weight, as its own matrix.
fn group_weights<T: Float>(w: &Tensor<T>, geo: &Geometry) -> Vec<Tensor<T>> {
    let (cog, k) = (geo.cog(), geo.k());
    with_slice(w, |w| {
        w.chunks_exact((cog * k).max(1))
            .take(geo.groups)
            .map(|w_g| Tensor::from_vec(w_g.to_vec(), &[cog, k]).expect("C_out/G·K elements"))
            .collect()
    })
}

/// Runs `f(n, x_n, out_n)` for every sample n, with x_n its `per_in` input elements and
/// out_n its `per_out` output elements, each sample one work item of the kernel threads
/// (see [`for_each_item`]). A product inside an item runs on that item's thread; the
/// products' arithmetic does not depend on the thread count either way.
fn for_each_sample<T: Float>(
    x: &[T],
    per_in: usize,
    out: &mut [T],
    per_out: usize,
    macs: usize,
    f: impl Fn(usize, &[T], &mut [T]) + Sync + Send,
) {
    let items: Vec<_> = x
        .chunks(per_in.max(1))
        .zip(out.chunks_mut(per_out.max(1)))
        .enumerate()
        .collect();
    for_each_item(macs, items, |(n, (x_n, out_n))| f(n, x_n, out_n));
}

/// Runs `f` on every item, on the kernel threads when the convolution's `macs` multiply-adds
/// are enough to pay for them, else in order here (where each product may still use the
/// threads itself).
fn for_each_item<I: Send>(macs: usize, items: Vec<I>, f: impl Fn(I) + Sync + Send) {
    if parallel_chunk_len(macs).is_some() {
        parallel_for_each(items, f);
    } else {
        items.into_iter().for_each(f);
    }
}

/// y = W·im2col(x) (+ b), sample by sample: for sample n and group g, the `[C_out/G, L]`
/// block of y[n] is W_g·cols_{g,n}, which is already y's layout. A sample's column matrix
/// (K × L) stays in cache between its construction and its product.
fn forward<T: Float>(
    x: &Tensor<T>,
    w: &Tensor<T>,
    b: Option<&Tensor<T>>,
    geo: &Geometry,
) -> Tensor<T> {
    let (cog, k, l) = (geo.cog(), geo.k(), geo.l());
    let w_groups = group_weights(w, geo);
    let b = b.map(|b| b.to_vec());
    let mut y = vec![T::zero(); geo.n * geo.c_out * l];
    with_slice(x, |x| {
        let per_in = geo.c_in * geo.h * geo.w;
        let macs = geo.n * geo.c_out * k * l;
        for_each_sample(x, per_in, &mut y, geo.c_out * l, macs, |_, x_n, y_n| {
            for (g, w_g) in w_groups.iter().enumerate() {
                let cols = im2col_part(x_n, geo, g..g + 1, 0..1);
                let cols = Tensor::from_vec(cols, &[k, l]).expect("K·L elements");
                let p = w_g.matmul(&cols);
                let p = p.as_slice().expect("a fresh product is contiguous");
                let y_g = y_n[g * cog * l..].chunks_exact_mut(l.max(1));
                for (o, (y_o, p_o)) in y_g.zip(p.chunks_exact(l.max(1))).enumerate() {
                    let bias = b.as_ref().map_or(T::zero(), |b| b[g * cog + o]);
                    for (y, &p) in y_o.iter_mut().zip(p_o) {
                        *y = p + bias;
                    }
                }
            }
        });
    });
    Tensor::from_vec(y, &[geo.n, geo.c_out, geo.h_out, geo.w_out]).expect("N·C_out·L elements")
}

struct Conv2dBackward(Geometry);

impl<T: Float> Backward<T> for Conv2dBackward {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let geo = &self.0;
        let (x, w) = (ctx.input(0), ctx.input(1));
        let (n, l) = (geo.n, geo.l());
        let dp = (ctx.needs_grad(0) || ctx.needs_grad(1)).then(|| {
            g.reshape(&[n, geo.groups, geo.cog(), l])
                .permute(&[1, 2, 0, 3])
                .reshape(&[geo.groups, geo.cog(), n * l])
        });
        let w3 = || w.reshape(&[geo.groups, geo.cog(), geo.k()]);
        let mut grads = vec![
            ctx.needs_grad(0).then(|| {
                let dp = dp.as_ref().expect("computed when needed");
                w3().transpose(1, 2).matmul(dp).conv2d_col2im(*geo)
            }),
            ctx.needs_grad(1).then(|| {
                let dp = dp.as_ref().expect("computed when needed");
                dp.matmul(&x.conv2d_im2col(*geo).transpose(1, 2))
                    .reshape(&ctx.input_shape(1))
            }),
        ];
        if ctx.inputs().len() == 3 {
            grads.push(ctx.needs_grad(2).then(|| g.sum_axes(&[0, 2, 3], false)));
        }
        grads
    }

    /// The same products sample by sample and group by group on 2-D tensors, each sample
    /// one work item of the kernel threads: dx[n] = col2im(W_gᵀ·dP_{g,n}), and dW as the sum
    /// over samples, in sample order, of (cols_{g,n}·dP_{g,n}ᵀ)ᵀ. dP_{g,n} is a block of
    /// dy[n] as it lies; the product is taken as cols·dPᵀ (then transposed, C_out/G × K),
    /// which the matrix kernel runs 2-3 times faster than dP·colsᵀ at these shapes.
    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        let geo = &self.0;
        let (cog, k, l) = (geo.cog(), geo.k(), geo.l());
        let (need_dx, need_dw) = (ctx.needs_grad(0), ctx.needs_grad(1));
        let per_in = geo.c_in * geo.h * geo.w;
        let mut dx = vec![T::zero(); if need_dx { geo.n * per_in } else { 0 }];
        // Per sample, its share of dW in dW's layout [C_out, K].
        let mut dw_parts = vec![T::zero(); if need_dw { geo.n * geo.c_out * k } else { 0 }];
        if need_dx || need_dw {
            let w_groups = group_weights(&ctx.input(1).data(), geo);
            let x = ctx.input(0).data();
            with_slice(&g, |dy| {
                with_slice(&x, |x| {
                    let items: Vec<_> = (0..geo.n)
                        .zip(pieces(&mut dx, per_in, geo.n))
                        .zip(pieces(&mut dw_parts, geo.c_out * k, geo.n))
                        .collect();
                    let macs = geo.n * geo.c_out * k * l;
                    for_each_item(macs, items, |((n, dx_n), dw_n)| {
                        let x_n = &x[n * per_in..(n + 1) * per_in];
                        let dy_n = &dy[n * geo.c_out * l..(n + 1) * geo.c_out * l];
                        for (grp, w_g) in w_groups.iter().enumerate() {
                            let dp = dy_n[grp * cog * l..(grp + 1) * cog * l].to_vec();
                            let dp = Tensor::from_vec(dp, &[cog, l]).expect("C_out/G·L elements");
                            if need_dx {
                                let dcols = w_g.t_matmul(&dp);
                                with_slice(&dcols, |c| col2im_add(c, geo, grp..grp + 1, 0..1, dx_n));
                            }
                            if need_dw {
                                let cols = im2col_part(x_n, geo, grp..grp + 1, 0..1);
                                let cols = Tensor::from_vec(cols, &[k, l]).expect("K·L elements");
                                let part = cols.matmul_t(&dp);
                                let part = part.as_slice().expect("a fresh product is contiguous");
                                let dw_g = &mut dw_n[grp * cog * k..(grp + 1) * cog * k];
                                for (kk, row) in part.chunks_exact(cog.max(1)).enumerate() {
                                    for (o, &v) in row.iter().enumerate() {
                                        dw_g[o * k + kk] = v;
                                    }
                                }
                            }
                        }
                    });
                });
            });
        }
        let shape = |i: usize| ctx.input_shape(i);
        out.push(need_dx.then(|| Tensor::from_vec(dx, &shape(0)).expect("N·C_in·H·W elements")));
        out.push(need_dw.then(|| {
            let len = geo.c_out * k;
            let mut dw = vec![T::zero(); len];
            for part in dw_parts.chunks_exact(len.max(1)) {
                for (d, &p) in dw.iter_mut().zip(part) {
                    *d += p;
                }
            }
            Tensor::from_vec(dw, &shape(1)).expect("the weight's elements")
        }));
        if ctx.inputs().len() == 3 {
            out.push(ctx.needs_grad(2).then(|| g.sum(&[0, 2, 3], false)));
        }
    }
}

/// `buf` cut into `n` pieces of `len` (or `n` empty pieces when `buf` is empty).
fn pieces<T>(buf: &mut [T], len: usize, n: usize) -> Vec<&mut [T]> {
    if buf.is_empty() {
        (0..n).map(|_| <&mut [T]>::default()).collect()
    } else {
        buf.chunks_mut(len.max(1)).collect()
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let conv = |opts: Conv2dOptions| {
        move |v: &[Var<f64>]| v[0].conv2d(&v[1], v.get(2), opts)
    };
    let d = Conv2dOptions::default();
    let mut case = |label: &str, x: &[usize], w: &[usize], bias: bool, opts: Conv2dOptions| {
        let mut xs = vec![inputs::normal(rng, x), inputs::normal(rng, w)];
        if bias {
            xs.push(inputs::normal(rng, &[w[0]]));
        }
        GradCase::new(label, xs, conv(opts))
    };
    vec![
        case("3x3 with bias", &[2, 2, 4, 5], &[3, 2, 3, 3], true, d),
        case("stride 2", &[1, 2, 5, 6], &[2, 2, 2, 2], true, d.stride(2)),
        case("padding", &[1, 1, 3, 4], &[2, 1, 3, 3], true, d.padding((1, 2))),
        case("dilation 2", &[1, 2, 5, 6], &[2, 2, 2, 3], true, d.dilation(2)),
        case("groups 2", &[2, 4, 4, 4], &[4, 2, 2, 2], true, d.groups(2)),
        case("no bias", &[1, 2, 4, 4], &[3, 2, 3, 2], false, d),
        case("1x1 kernel", &[2, 3, 3, 2], &[2, 3, 1, 1], true, d),
        case("non-square", &[1, 2, 3, 7], &[2, 2, 2, 4], true, d.stride((1, 2))),
        case(
            "all options",
            &[2, 4, 5, 6],
            &[2, 2, 2, 3],
            true,
            d.stride((2, 1)).padding((1, 2)).dilation((2, 1)).groups(2),
        ),
        {
            let xs = vec![
                inputs::normal(rng, &[2, 2, 7]),
                inputs::normal(rng, &[4, 1, 3]),
                inputs::normal(rng, &[4]),
            ];
            let opts = Conv1dOptions::default().stride(2).padding(1).dilation(2).groups(2);
            GradCase::new("conv1d", xs, move |v| v[0].conv1d(&v[1], Some(&v[2]), opts))
        },
    ]
}
