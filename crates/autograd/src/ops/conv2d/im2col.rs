//! The column matrix of a convolution and its adjoint.
//!
//! `im2col` lays every receptive field of the (zero-padded) input out as a column:
//! `cols[g, k, n·L + l]` with `k = (c·kH + i)·kW + j` (the order of a weight row) and
//! `l = oh·W_out + ow`, holding `x[n, g·C_in/G + c, oh·sh + i·dh − ph, ow·sw + j·dw − pw]`, or
//! zero where that index falls in the padding. `col2im` is its adjoint: it adds every column
//! entry back onto the input element it was read from (overlapping windows accumulate).
//! Both are linear, so each one's derivative is the other; as recorded ops they make the
//! convolution's backward itself differentiable.

use std::ops::Range;

use backprop_tensor::{Float, Tensor};

use crate::ops::with_slice;
use crate::{Backward, BackwardCtx, Var};

/// The sizes of one convolution, checked by `conv2d` before any kernel runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub n: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub groups: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub h_out: usize,
    pub w_out: usize,
}

impl Geometry {
    /// Input channels per group.
    pub fn cig(&self) -> usize {
        self.c_in / self.groups
    }

    /// Output channels per group.
    pub fn cog(&self) -> usize {
        self.c_out / self.groups
    }

    /// Rows of a group's column matrix: one per weight element of an output channel.
    pub fn k(&self) -> usize {
        self.cig() * self.kh * self.kw
    }

    /// Output positions per sample.
    pub fn l(&self) -> usize {
        self.h_out * self.w_out
    }

    /// The shape of the column matrix, `[G, K, N·L]`.
    pub fn cols_shape(&self) -> [usize; 3] {
        [self.groups, self.k(), self.n * self.l()]
    }

    /// The input's shape, `[N, C_in, H, W]`.
    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c_in, self.h, self.w]
    }

    /// Calls `f(col, x_row, lo, hi, start)` for every stretch of a column-matrix row that
    /// reads the input: entries `col + lo .. col + hi` of the flat column matrix take input
    /// elements `x_row + start`, `x_row + start + sw`, … Entries not visited read padding.
    /// Only the rows of `groups` and the columns of `samples` are visited: the column
    /// matrix is `[groups.len()·K, samples.len()·L]` and the input `samples.len()` samples,
    /// both numbered from the first group and sample.
    #[inline(always)]
    fn for_each_run(
        &self,
        groups: Range<usize>,
        samples: Range<usize>,
        mut f: impl FnMut(usize, usize, usize, usize, usize),
    ) {
        let ns = samples.len();
        let (k, l, cig) = (self.k(), self.l(), self.cig());
        let (sh, sw) = self.stride;
        let (ph, pw) = self.padding;
        let (dh, dw) = self.dilation;
        let first = groups.start;
        for g in groups {
            for c in 0..cig {
                for i in 0..self.kh {
                    let Some((oh_lo, oh_hi, ih_lo)) = valid(self.h_out, sh, i * dh, ph, self.h)
                    else {
                        continue;
                    };
                    for j in 0..self.kw {
                        let Some((lo, hi, start)) = valid(self.w_out, sw, j * dw, pw, self.w)
                        else {
                            continue;
                        };
                        let row = (g - first) * k + (c * self.kh + i) * self.kw + j;
                        for n in 0..ns {
                            let plane = (n * self.c_in + g * cig + c) * self.h;
                            for (oh, ih) in (oh_lo..oh_hi).zip((ih_lo..).step_by(sh)) {
                                let col = (row * ns + n) * l + oh * self.w_out;
                                f(col, (plane + ih) * self.w, lo, hi, start);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The outputs `o` in `[lo, hi)` whose input index `o·stride + offset − pad` lies in
/// `[0, len)`, with the input index of `lo`; `None` when there are none.
fn valid(
    out: usize,
    stride: usize,
    offset: usize,
    pad: usize,
    len: usize,
) -> Option<(usize, usize, usize)> {
    let lo = (pad.saturating_sub(offset)).div_ceil(stride);
    // o·stride + offset − pad < len  ⇔  o < ⌈(len + pad − offset) / stride⌉.
    let hi = (len + pad).checked_sub(offset)?.div_ceil(stride).min(out);
    (lo < hi).then(|| (lo, hi, lo * stride + offset - pad))
}

/// The column matrix of a contiguous input `x` (see the module header), `[G, K, N·L]`.
pub(crate) fn im2col<T: Float>(x: &[T], geo: &Geometry) -> Tensor<T> {
    let cols = im2col_part(x, geo, 0..geo.groups, 0..geo.n);
    Tensor::from_vec(cols, &geo.cols_shape()).expect("the column matrix has G·K·N·L elements")
}

/// The rows of the column matrix that belong to `groups` and its columns that belong to
/// `samples`, `[groups.len()·K, samples.len()·L]` flattened; `x` holds just those samples.
pub(crate) fn im2col_part<T: Float>(
    x: &[T],
    geo: &Geometry,
    groups: Range<usize>,
    samples: Range<usize>,
) -> Vec<T> {
    let mut cols = vec![T::zero(); groups.len() * geo.k() * samples.len() * geo.l()];
    let sw = geo.stride.1;
    geo.for_each_run(groups, samples, |col, x_row, lo, hi, start| {
        let dst = &mut cols[col + lo..col + hi];
        if sw == 1 {
            dst.copy_from_slice(&x[x_row + start..][..hi - lo]);
        } else {
            for (d, &s) in dst.iter_mut().zip(x[x_row + start..].iter().step_by(sw)) {
                *d = s;
            }
        }
    });
    cols
}

/// The adjoint of [`im2col`]: every entry of the contiguous column matrix `cols` added onto
/// the input element it was read from.
pub(crate) fn col2im<T: Float>(cols: &[T], geo: &Geometry) -> Tensor<T> {
    let shape = geo.input_shape();
    let mut x = vec![T::zero(); shape.iter().product()];
    col2im_add(cols, geo, 0..geo.groups, 0..geo.n, &mut x);
    Tensor::from_vec(x, &shape).expect("the input has N·C·H·W elements")
}

/// [`col2im`] of the part of the column matrix [`im2col_part`] reads (`cols` is
/// `[groups.len()·K, samples.len()·L]`), added into `x`, which holds just those samples.
pub(crate) fn col2im_add<T: Float>(
    cols: &[T],
    geo: &Geometry,
    groups: Range<usize>,
    samples: Range<usize>,
    x: &mut [T],
) {
    let sw = geo.stride.1;
    geo.for_each_run(groups, samples, |col, x_row, lo, hi, start| {
        let src = &cols[col + lo..col + hi];
        if sw == 1 {
            for (d, &s) in x[x_row + start..][..hi - lo].iter_mut().zip(src) {
                *d += s;
            }
        } else {
            for (d, &s) in x[x_row + start..].iter_mut().step_by(sw).zip(src) {
                *d += s;
            }
        }
    });
}

impl<T: Float> Var<T> {
    /// [`im2col`] as a recorded op, for the differentiable backward of `conv2d`.
    pub(crate) fn conv2d_im2col(&self, geo: Geometry) -> Var<T> {
        let cols = with_slice(&self.data(), |x| im2col(x, &geo));
        Var::from_unary_op("conv2d_im2col", cols, self, Im2colBackward(geo))
    }

    /// [`col2im`] as a recorded op, for the differentiable backward of `conv2d`.
    pub(crate) fn conv2d_col2im(&self, geo: Geometry) -> Var<T> {
        let x = with_slice(&self.data(), |c| col2im(c, &geo));
        Var::from_unary_op("conv2d_col2im", x, self, Col2imBackward(geo))
    }
}

struct Im2colBackward(Geometry);

impl<T: Float> Backward<T> for Im2colBackward {
    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.conv2d_col2im(self.0))]
    }
}

struct Col2imBackward(Geometry);

impl<T: Float> Backward<T> for Col2imBackward {
    fn backward(&self, _ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        vec![Some(g.conv2d_im2col(self.0))]
    }
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Rng, Tensor};

    use super::*;

    fn geometry(stride: (usize, usize), padding: (usize, usize), dilation: (usize, usize)) -> Geometry {
        let (n, c_in, h, w, groups, kh, kw) = (2, 4, 5, 7, 2, 2, 3);
        let out = |len: usize, p: usize, d: usize, k: usize, s: usize| (len + 2 * p - d * (k - 1) - 1) / s + 1;
        Geometry {
            n,
            c_in,
            h,
            w,
            c_out: 6,
            groups,
            kh,
            kw,
            stride,
            padding,
            dilation,
            h_out: out(h, padding.0, dilation.0, kh, stride.0),
            w_out: out(w, padding.1, dilation.1, kw, stride.1),
        }
    }

    /// The column matrix read element by element from the definition.
    fn im2col_by_definition(x: &Tensor<f64>, geo: &Geometry) -> Vec<f64> {
        let xv = x.to_vec();
        let mut cols = Vec::new();
        for g in 0..geo.groups {
            for c in 0..geo.cig() {
                for i in 0..geo.kh {
                    for j in 0..geo.kw {
                        for n in 0..geo.n {
                            for oh in 0..geo.h_out {
                                for ow in 0..geo.w_out {
                                    let ih = (oh * geo.stride.0 + i * geo.dilation.0) as isize
                                        - geo.padding.0 as isize;
                                    let iw = (ow * geo.stride.1 + j * geo.dilation.1) as isize
                                        - geo.padding.1 as isize;
                                    let inside = (0..geo.h as isize).contains(&ih)
                                        && (0..geo.w as isize).contains(&iw);
                                    cols.push(if inside {
                                        let ch = g * geo.cig() + c;
                                        xv[((n * geo.c_in + ch) * geo.h + ih as usize) * geo.w
                                            + iw as usize]
                                    } else {
                                        0.0
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        cols
    }

    #[test]
    fn im2col_matches_the_definition_and_col2im_is_its_adjoint() {
        let mut rng = Rng::seed_from_u64(3);
        for (s, p, d) in [
            ((1, 1), (0, 0), (1, 1)),
            ((2, 3), (1, 2), (1, 1)),
            ((1, 2), (2, 0), (2, 2)),
            ((3, 1), (3, 4), (1, 3)),
        ] {
            let geo = geometry(s, p, d);
            let x = Tensor::<f64>::randn(&geo.input_shape(), &mut rng);
            let cols = im2col(x.as_slice().unwrap(), &geo);
            assert_eq!(cols.to_vec(), im2col_by_definition(&x, &geo), "{geo:?}");
            // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c.
            let c = Tensor::<f64>::randn(&geo.cols_shape(), &mut rng);
            let back = col2im(c.as_slice().unwrap(), &geo);
            let dot = |a: &Tensor<f64>, b: &Tensor<f64>| -> f64 {
                a.to_vec().iter().zip(b.to_vec()).map(|(a, b)| a * b).sum()
            };
            let (lhs, rhs) = (dot(&cols, &c), dot(&x, &back));
            assert!((lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0), "{geo:?}: {lhs} vs {rhs}");
        }
    }
}
