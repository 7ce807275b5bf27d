//! logsumexp over axes: y = m + ln Σ e^{x - m}, m = max x over the axes (`torch.logsumexp`).
//!
//! Subtracting m keeps every exponent ≤ 0, so nothing overflows even at ±1e4. When m is
//! infinite (say all -∞) it is replaced by 0, as in PyTorch, so the result is -∞ rather
//! than NaN. dy/dx = e^{x - y} = softmax of x over the axes, so
//! dx = dy (broadcast back over the reduced axes) ⊙ e^{x - y}, computed from the input
//! and the saved output with Var ops, so the second derivative follows.

use backprop_tensor::{Float, Rng, Tensor, reduced_shape};

use super::softmax::{last_axis_rows, reduced_shape_for};
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::{Backward, BackwardCtx, Var};

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

impl<T: Float> Var<T> {
    /// `ln Σ e^x` over `axes`, computed stably; with `keepdim` the reduced axes stay with
    /// extent 1. An empty `axes` reduces nothing, as in [`sum_axes`](Var::sum_axes).
    ///
    /// # Panics
    ///
    /// If an axis is out of range, or has extent 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![1000.0f64, 1000.0], &[2]).unwrap());
    /// let y = x.logsumexp(&[0], false).item();
    /// assert!((y - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, axes: &[usize], keepdim: bool) -> Var<T> {
        let shape = self.shape();
        for &axis in axes {
            assert!(
                axis < shape.len(),
                "logsumexp: axis {axis} is out of range for shape {shape:?}"
            );
            assert!(
                shape[axis] > 0,
                "logsumexp: axis {axis} has extent 0 (shape {shape:?})"
            );
        }
        let kept = reduced_shape(&shape, axes, true);
        let y = {
            let x = self.data();
            if let (Some((xs, rows, c)), [axis]) = (last_axis_rows(&x), axes) {
                if *axis + 1 == shape.len() {
                    let y = row_logsumexp(xs, rows, c);
                    let y = Tensor::from_vec(y, &reduced_shape(&shape, axes, keepdim))
                        .expect("one value per row");
                    drop(x);
                    return Var::from_unary_op(
                        "logsumexp",
                        y,
                        self,
                        LogsumexpBackward { kept, rows: true },
                    );
                }
            }
            let m = x
                .max(axes, true)
                .map(|m| if m.is_infinite() { T::zero() } else { m });
            let y = x.sub(&m).exp().sum(axes, true).log().add(&m);
            y.reshape(&reduced_shape(&shape, axes, keepdim))
        };
        Var::from_unary_op(
            "logsumexp",
            y,
            self,
            LogsumexpBackward { kept, rows: false },
        )
    }
}

struct LogsumexpBackward {
    /// The output shape with the reduced axes kept as extent 1.
    kept: Vec<usize>,
    /// Whether the reduction is over the last axis alone (one output per row).
    rows: bool,
}

impl<T: Float> Backward<T> for LogsumexpBackward {
    fn backward_fast(&self, ctx: &BackwardCtx<'_, T>, g: Tensor<T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.input(0).data();
        let y = ctx.output().data();
        // Reduced over the last axis only: the softmax of each row, scaled by its dy.
        if let (true, Some((xs, _, c)), Some(ys), Some(gs)) =
            (self.rows, last_axis_rows(&x), y.as_slice(), g.as_slice())
        {
            let mut dx = softmax_from_lse(xs, ys, c);
            for (row, &gn) in dx.chunks_exact_mut(c).zip(gs) {
                for v in row.iter_mut() {
                    *v = gn * *v;
                }
            }
            return vec![Some(
                Tensor::from_vec(dx, x.shape()).expect("same shape as the input"),
            )];
        }
        let y = y.reshape(&self.kept);
        vec![Some(g.reshape(&self.kept).mul(&x.sub(&y).exp()))]
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let y = ctx.output().reshape(&self.kept);
        let softmax = ctx.input(0).sub(&y).exp();
        vec![Some(g.reshape(&self.kept).mul(&softmax))]
    }
}

/// Runs `$body` with `$c` bound to the row width, as a literal when it is 1..=15: the
/// `#[inline(always)]` row kernels called in `$body` then see a constant width, so their
/// per-row loops are fully unrolled instead of paying loop overhead on rows of a handful
/// of classes (W1 has 3). Wider rows run the same code with the run-time width. The whole
/// match runs inside [`backprop_tensor::vectorized`], so the kernels vectorize eight lanes
/// wide (across rows, for narrow ones) when the CPU has AVX2, with the same bits.
macro_rules! with_row_width {
    ($c:expr, |$w:ident| $body:expr) => {
        backprop_tensor::vectorized(#[inline(always)] || match $c {
            1 => { let $w: usize = 1; $body }
            2 => { let $w: usize = 2; $body }
            3 => { let $w: usize = 3; $body }
            4 => { let $w: usize = 4; $body }
            5 => { let $w: usize = 5; $body }
            6 => { let $w: usize = 6; $body }
            7 => { let $w: usize = 7; $body }
            8 => { let $w: usize = 8; $body }
            9 => { let $w: usize = 9; $body }
            10 => { let $w: usize = 10; $body }
            11 => { let $w: usize = 11; $body }
            12 => { let $w: usize = 12; $body }
            13 => { let $w: usize = 13; $body }
            14 => { let $w: usize = 14; $body }
            15 => { let $w: usize = 15; $body }
            $w => $body,
        })
    };
}
pub(crate) use with_row_width;

/// The log-sum-exp lse_n = m_n + ln Σ_c e^{x_nc - m_n} of each row of the row-major
/// `[n_rows, c]` slice `xs`, with m_n the row maximum (replaced by 0 when it is not finite,
/// so an all -∞ row gives -∞ rather than NaN). The exponentials and logarithms run over
/// whole buffers through the slice kernels ([`Float::exp_in_place`]), not row by row, so
/// they vectorize even for a handful of classes; each row is summed left to right.
pub(crate) fn row_logsumexp<T: Float>(xs: &[T], n_rows: usize, c: usize) -> Vec<T> {
    if c == 0 {
        return vec![T::neg_infinity(); n_rows];
    }
    let xs = &xs[..n_rows * c];
    // One buffer for the shifted logits and, after them, the row maxima.
    let mut scratch = vec![T::zero(); n_rows * (c + 1)];
    let (z, m) = scratch.split_at_mut(n_rows * c);
    with_row_width!(c, |w| shift_by_row_max(xs, z, m, w));
    T::exp_in_place(z);
    let mut lse = vec![T::zero(); n_rows];
    with_row_width!(c, |w| row_sums(z, &mut lse, w));
    T::ln_in_place(&mut lse);
    let m = &*m;
    backprop_tensor::vectorized(
        #[inline(always)]
        || {
            for (l, &mn) in lse.iter_mut().zip(m) {
                *l += mn;
            }
        },
    );
    lse
}

/// `z = x - m_n` row by row and `m[n] = m_n`, m_n the row maximum with NaN skipped (as
/// `fold(-inf, max)`) and a non-finite one replaced by 0, so that an all -∞ row gives -∞
/// and an ∞ gives ∞ rather than NaN.
#[inline(always)]
fn shift_by_row_max<T: Float>(xs: &[T], z: &mut [T], m: &mut [T], c: usize) {
    for ((xr, zr), mn) in xs.chunks_exact(c).zip(z.chunks_exact_mut(c)).zip(m) {
        let mut mx = T::neg_infinity();
        for &v in xr {
            if v > mx {
                mx = v;
            }
        }
        if !mx.is_finite() {
            mx = T::zero();
        }
        for (zv, &v) in zr.iter_mut().zip(xr) {
            *zv = v - mx;
        }
        *mn = mx;
    }
}

/// `out[n]` = the sum of row n of the `[_, c]` matrix `z`, left to right from 0.
#[inline(always)]
fn row_sums<T: Float>(z: &[T], out: &mut [T], c: usize) {
    for (zr, o) in z.chunks_exact(c).zip(out) {
        let mut s = T::zero();
        for &v in zr {
            s += v;
        }
        *o = s;
    }
}

/// The softmax e^{x_nc - lse_n} of every row of the row-major `[lse.len(), c]` slice `xs`,
/// from the rows' log-sum-exp (as [`row_logsumexp`] returns it): one subtraction per
/// element, then one vectorized exp over the whole buffer.
pub(crate) fn softmax_from_lse<T: Float>(xs: &[T], lse: &[T], c: usize) -> Vec<T> {
    let mut p = vec![T::zero(); lse.len() * c];
    if c == 0 {
        return p;
    }
    with_row_width!(c, |w| subtract_per_row(&xs[..lse.len() * c], lse, &mut p, w));
    T::exp_in_place(&mut p);
    p
}

/// `out = x - s_n` row by row for the `[s.len(), c]` matrix `xs`.
#[inline(always)]
fn subtract_per_row<T: Float>(xs: &[T], s: &[T], out: &mut [T], c: usize) {
    for ((xr, or), &sn) in xs.chunks_exact(c).zip(out.chunks_exact_mut(c)).zip(s) {
        for (o, &v) in or.iter_mut().zip(xr) {
            *o = v - sn;
        }
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let last = reduced_shape_for(rng, 2, &[1]);
    let first = reduced_shape_for(rng, 2, &[0]);
    let outer = reduced_shape_for(rng, 3, &[0, 2]);
    let all = reduced_shape_for(rng, 3, &[0, 1, 2]);
    let wide = Tensor::normal(&[3, 4], 0.0, 10.0, rng);
    vec![
        GradCase::new("2-d axis 1", vec![inputs::normal(rng, &last)], |v| {
            v[0].logsumexp(&[1], false)
        }),
        GradCase::new("2-d axis 0 keepdim", vec![inputs::normal(rng, &first)], |v| {
            v[0].logsumexp(&[0], true)
        }),
        GradCase::new("3-d axes 0,2", vec![inputs::normal(rng, &outer)], |v| {
            v[0].logsumexp(&[0, 2], false)
        }),
        GradCase::new("3-d all axes keepdim", vec![inputs::normal(rng, &all)], |v| {
            v[0].logsumexp(&[0, 1, 2], true)
        }),
        GradCase::new("wide logits (std 10)", vec![wide], |v| {
            v[0].logsumexp(&[1], false)
        }),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Float, Rng, Tensor};

    use super::{row_logsumexp, softmax_from_lse};
    use crate::Var;

    /// Logits for the row-kernel tests: normal values at several scales, with a few rows
    /// holding ±∞ or NaN (every row kind the kernels special-case).
    fn logits<T: Float>(rows: usize, c: usize, rng: &mut Rng) -> Vec<T> {
        let mut x: Vec<T> = (0..rows * c)
            .map(|i| T::from_f64((rng.next_f64() - 0.5) * [1.0, 20.0, 300.0][i % 3]))
            .collect();
        let specials = [T::neg_infinity(), T::infinity(), T::nan()];
        for (k, &v) in specials.iter().enumerate() {
            if rows > 3 + k {
                x[(3 + k) * c + rng.below(c)] = v;
            }
        }
        if rows > 6 {
            // A row of -∞ only: its maximum is replaced by 0 and its lse is -∞.
            x[6 * c..7 * c].fill(T::neg_infinity());
        }
        x
    }

    /// The row log-sum-exp written plainly, one row at a time.
    fn plain_row_logsumexp<T: Float>(xs: &[T], c: usize) -> Vec<T> {
        xs.chunks_exact(c)
            .map(|row| {
                let m = row.iter().fold(T::neg_infinity(), |m, &v| if v > m { v } else { m });
                let m = if m.is_finite() { m } else { T::zero() };
                let mut e: Vec<T> = row.iter().map(|&v| v - m).collect();
                T::exp_in_place(&mut e);
                let mut s = [e.iter().fold(T::zero(), |s, &v| s + v)];
                T::ln_in_place(&mut s);
                s[0] + m
            })
            .collect()
    }

    fn bits<T: Float>(v: &[T]) -> Vec<u64> {
        v.iter().map(|x| x.as_f64().to_bits()).collect()
    }

    fn row_kernels_match_plain_loops<T: Float>() {
        let mut rng = Rng::seed_from_u64(11);
        // Every unrolled width (1..=15), the first run-time ones, and a wide row.
        let widths = (1..=20).chain([33, 100]);
        for c in widths {
            for rows in [1, 7, 120] {
                let x = logits::<T>(rows, c, &mut rng);
                let lse = row_logsumexp(&x, rows, c);
                assert_eq!(bits(&lse), bits(&plain_row_logsumexp(&x, c)), "lse {rows}x{c}");
                let p = softmax_from_lse(&x, &lse, c);
                let mut want: Vec<T> = x
                    .chunks_exact(c)
                    .zip(&lse)
                    .flat_map(|(row, &l)| row.iter().map(move |&v| v - l))
                    .collect();
                T::exp_in_place(&mut want);
                assert_eq!(bits(&p), bits(&want), "softmax {rows}x{c}");
            }
        }
    }

    #[test]
    fn row_kernels_match_plain_loops_bitwise() {
        row_kernels_match_plain_loops::<f32>();
        row_kernels_match_plain_loops::<f64>();
    }

    #[test]
    fn last_axis_backward_matches_the_broadcast_formula_bitwise() {
        let mut rng = Rng::seed_from_u64(12);
        for (rows, c) in [(1, 1), (5, 3), (120, 3), (9, 15), (4, 16), (3, 40)] {
            let x = Tensor::<f32>::randn(&[rows, c], &mut rng);
            let g = Tensor::<f32>::randn(&[rows], &mut rng);
            let v = Var::parameter(x.clone());
            let y = v.logsumexp(&[1], false);
            y.backward_with(g.clone());
            let want = g
                .reshape(&[rows, 1])
                .mul(&x.sub(&y.value().reshape(&[rows, 1])).exp());
            assert_eq!(
                bits(&v.grad().unwrap().to_vec()),
                bits(&want.to_vec()),
                "{rows}x{c}"
            );
        }
    }

    #[test]
    fn matches_the_naive_formula_on_small_values() {
        let x = Tensor::<f64>::randn(&[3, 4], &mut Rng::seed_from_u64(5));
        let naive = x.exp().sum(&[0], false).log();
        let y = Var::new(x).logsumexp(&[0], false).value();
        assert_eq!(y.shape(), &[4]);
        assert!(y.allclose(&naive, 1e-14, 1e-15));
    }

    #[test]
    fn shapes_with_and_without_keepdim() {
        let x = Var::new(Tensor::<f64>::zeros(&[2, 3, 4]));
        assert_eq!(x.logsumexp(&[0, 2], false).shape(), vec![3]);
        assert_eq!(x.logsumexp(&[0, 2], true).shape(), vec![1, 3, 1]);
        // ln(2 · 4) for 8 zeros.
        let v = x.logsumexp(&[0, 2], false).value().to_vec();
        assert!((v[0] - 8f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn finite_at_huge_logits_in_f32() {
        let x = Var::parameter(Tensor::from_vec(vec![1e4f32, -1e4, -1e4, -1e4], &[2, 2]).unwrap());
        let y = x.logsumexp(&[1], false);
        let v = y.value().to_vec();
        assert_eq!(v[0], 1e4);
        assert!((v[1] - (-1e4 + 2f32.ln())).abs() < 1e-2);
        y.sum().backward();
        let g = x.grad().unwrap();
        assert!(g.all_finite());
        assert_eq!(g.to_vec()[..2], [1.0, 0.0]);
    }

    #[test]
    fn all_minus_infinity_gives_minus_infinity() {
        let x = Var::new(Tensor::from_vec(vec![f64::NEG_INFINITY; 2], &[2]).unwrap());
        assert_eq!(x.logsumexp(&[0], false).item(), f64::NEG_INFINITY);
    }
}
