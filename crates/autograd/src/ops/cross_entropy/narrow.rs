//! The plain class-index case of [`Var::cross_entropy`](crate::Var::cross_entropy) (see
//! `class_indices`) for narrow logits, 1 to [`MAX_CLASSES`] classes, with rows in vector
//! lanes.
//!
//! A row of three classes is too short for a vector of its own, so the row loops of the
//! general kernels run one row at a time. Here blocks of [`LANES`] rows are transposed into
//! one lane array per class, `t[j][l] = x[row l][class j]`, and every per-row quantity is a
//! lane-wise operation: the row maximum is a running `max` over the class arrays, the sum
//! of the exponentials a running sum, the target logit a select. The exponentials and
//! logarithms of up to [`BLOCKS`] blocks go through one call of the slice kernels
//! ([`Float::exp_in_place`], [`Float::ln_in_place`]) on a stack buffer.
//!
//! Every element sees the operations of the general path in the same order:
//!
//!   forward   m_n = max_c x_nc (NaN skipped; 0 if not finite),  s_n = 0 + Σ_c e^{x_nc - m_n}
//!             left to right,  lse_n = ln s_n + m_n,  loss_n = 0 + (lse_n - x_{n,y_n});
//!   backward  p_nc = e^{x_nc - lse_n}  (the scaling by dy_n stays `class_indices`'),
//!
//! so the results are bitwise those of `row_logsumexp`, `class_indices::losses` and
//! `softmax_from_lse`. The lanes past the last row of a partial block hold zeros; their
//! results are computed and dropped. The backward's softmax needs no transposition: in the
//! row-major layout, blocks of [`LANES`] rows are copied into arrays and lse_n is spread
//! over its row's classes.

use backprop_tensor::Float;

/// Rows per block: one AVX2 vector of `f32`.
const LANES: usize = 8;
/// Blocks per call of the exp and ln kernels (512 rows' worth of stack buffer at most).
const BLOCKS: usize = 8;
/// The widest rows handled here; wider ones have rows long enough for the row loops.
pub(super) const MAX_CLASSES: usize = 8;

/// Runs `$body` with the const generic `$c` bound to the row width when it is
/// 1..=[`MAX_CLASSES`], inside [`backprop_tensor::vectorized`]; `None` otherwise.
macro_rules! with_narrow_width {
    ($c:expr, $f:ident::<$t:ty>($($arg:expr),*)) => {
        backprop_tensor::vectorized(#[inline(always)] || match $c {
            1 => Some($f::<$t, 1>($($arg),*)),
            2 => Some($f::<$t, 2>($($arg),*)),
            3 => Some($f::<$t, 3>($($arg),*)),
            4 => Some($f::<$t, 4>($($arg),*)),
            5 => Some($f::<$t, 5>($($arg),*)),
            6 => Some($f::<$t, 6>($($arg),*)),
            7 => Some($f::<$t, 7>($($arg),*)),
            8 => Some($f::<$t, 8>($($arg),*)),
            _ => None,
        })
    };
}

/// The row log-sum-exps and the losses `(lse, loss)` of the `[classes.len(), c]` logits
/// `xs` for targets `classes` (each `< c`), or `None` when `c` is not 1..=[`MAX_CLASSES`].
pub(super) fn forward<T: Float>(
    xs: &[T],
    classes: &[usize],
    c: usize,
) -> Option<(Vec<T>, Vec<T>)> {
    if !(1..=MAX_CLASSES).contains(&c) {
        return None;
    }
    let n = classes.len();
    let (mut lse, mut loss) = (zeros(n), zeros(n));
    with_narrow_width!(c, forward_rows::<T>(xs, classes, &mut lse, &mut loss))?;
    Some((lse, loss))
}

/// The softmax e^{x_nc - lse_n} of the `[lse.len(), c]` logits `xs` from their saved
/// row log-sum-exps (bitwise [`softmax_from_lse`](crate::ops::logsumexp::softmax_from_lse)),
/// or `None` when `c` is not 1..=[`MAX_CLASSES`].
pub(super) fn softmax<T: Float>(xs: &[T], lse: &[T], c: usize) -> Option<Vec<T>> {
    if !(1..=MAX_CLASSES).contains(&c) {
        return None;
    }
    let mut p = zeros(lse.len() * c);
    with_narrow_width!(c, subtract_rows::<T>(xs, lse, &mut p))?;
    T::exp_in_place(&mut p);
    Some(p)
}

/// `n` zeros, allocated with `malloc` and filled: `vec!` of zeros is glibc's `calloc`,
/// which skips the allocator's per-thread cache of small blocks (~3x the cost here).
fn zeros<T: Float>(n: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    v.resize(n, T::zero());
    v
}

/// One block of rows transposed: `t[j][l]` is class `j` of row `l`.
type Block<T, const C: usize> = [[T; LANES]; C];

/// Rows `first..` (at most [`LANES`] of them) of `rows`, transposed into a block; the
/// lanes past the end hold zeros.
#[inline(always)]
fn load_block<T: Float, const C: usize>(xs: &[T], first: usize) -> Block<T, C> {
    let src = &xs[first * C..xs.len().min((first + LANES) * C)];
    if src.len() == LANES * C {
        // A full block has a constant shape, so the transposition becomes vector shuffles.
        let src = &src[..LANES * C];
        let mut t = [[T::zero(); LANES]; C];
        for (j, tj) in t.iter_mut().enumerate() {
            for (l, v) in tj.iter_mut().enumerate() {
                *v = src[l * C + j];
            }
        }
        return t;
    }
    let mut rows = [[T::zero(); C]; LANES];
    for (row, s) in rows.iter_mut().zip(src.chunks_exact(C)) {
        row.copy_from_slice(s);
    }
    transpose(&rows)
}

/// `t[j][l] = rows[l][j]`.
#[inline(always)]
fn transpose<T: Float, const C: usize>(rows: &[[T; C]; LANES]) -> Block<T, C> {
    let mut t = [[T::zero(); LANES]; C];
    for (j, tj) in t.iter_mut().enumerate() {
        for (l, v) in tj.iter_mut().enumerate() {
            *v = rows[l][j];
        }
    }
    t
}

/// `src[first..]` (at most [`LANES`] values) as one lane array, `zero` past the end.
#[inline(always)]
fn load_lanes<V: Copy>(src: &[V], first: usize, zero: V) -> [V; LANES] {
    let src = &src[first..src.len().min(first + LANES)];
    match <[V; LANES]>::try_from(src) {
        Ok(full) => full,
        Err(_) => {
            let mut out = [zero; LANES];
            out[..src.len()].copy_from_slice(src);
            out
        }
    }
}

/// The target classes of rows `first..` as lane values (classes are below 2^32 here,
/// where rows have at most [`MAX_CLASSES`] classes), so that comparing them with a class
/// is a vector comparison as wide as an `f32` lane.
#[inline(always)]
fn load_classes(classes: &[usize], first: usize) -> [u32; LANES] {
    load_lanes(classes, first, 0).map(|y| y as u32)
}

#[inline(always)]
fn forward_rows<T: Float, const C: usize>(
    xs: &[T],
    classes: &[usize],
    lse: &mut [T],
    loss: &mut [T],
) {
    let n = classes.len();
    let rows = &xs[..n * C];
    let mut e = [[[T::zero(); LANES]; C]; BLOCKS];
    let mut m = [[T::zero(); LANES]; BLOCKS];
    let mut s = [[T::zero(); LANES]; BLOCKS];
    let mut picked = [[T::zero(); LANES]; BLOCKS];
    for start in (0..n).step_by(LANES * BLOCKS) {
        let blocks = (n - start).div_ceil(LANES).min(BLOCKS);
        for b in 0..blocks {
            let first = start + b * LANES;
            let t = load_block::<T, C>(rows, first);
            let y = load_classes(classes, first);
            // The row maximum as `fold(-inf, max)` that skips NaN, 0 when not finite.
            let mut mx = [T::neg_infinity(); LANES];
            for tj in &t {
                for l in 0..LANES {
                    mx[l] = if tj[l] > mx[l] { tj[l] } else { mx[l] };
                }
            }
            for v in &mut mx {
                *v = if v.is_finite() { *v } else { T::zero() };
            }
            let mut xy = [T::zero(); LANES];
            for (j, tj) in t.iter().enumerate() {
                for l in 0..LANES {
                    xy[l] = if y[l] == j as u32 { tj[l] } else { xy[l] };
                }
            }
            for (ej, tj) in e[b].iter_mut().zip(&t) {
                for l in 0..LANES {
                    ej[l] = tj[l] - mx[l];
                }
            }
            m[b] = mx;
            picked[b] = xy;
        }
        T::exp_in_place(e[..blocks].as_flattened_mut().as_flattened_mut());
        for (sb, eb) in s.iter_mut().zip(&e).take(blocks) {
            *sb = [T::zero(); LANES];
            for ej in eb {
                for l in 0..LANES {
                    sb[l] += ej[l];
                }
            }
        }
        T::ln_in_place(s[..blocks].as_flattened_mut());
        let end = n.min(start + LANES * BLOCKS);
        let lanes = s.as_flattened().iter().zip(m.as_flattened());
        let lanes = lanes.zip(picked.as_flattened());
        for ((l_out, o_out), ((&ln_s, &mx), &xy)) in lse[start..end]
            .iter_mut()
            .zip(&mut loss[start..end])
            .zip(lanes)
        {
            let l = ln_s + mx;
            *l_out = l;
            *o_out = T::zero() + (l - xy);
        }
    }
}

/// `out = x - lse_n` row by row, in the logits' row-major layout: per block of rows, lse_n
/// is spread over its row's classes, which needs no transposition.
#[inline(always)]
fn subtract_rows<T: Float, const C: usize>(xs: &[T], lse: &[T], out: &mut [T]) {
    let n = lse.len();
    let (xs, out) = (&xs[..n * C], &mut out[..n * C]);
    let blocks = n / LANES;
    let (out_blocks, out_tail) = out.split_at_mut(blocks * LANES * C);
    let (x_blocks, x_tail) = xs.split_at(blocks * LANES * C);
    for ((o, x), l_n) in out_blocks
        .chunks_exact_mut(LANES * C)
        .zip(x_blocks.chunks_exact(LANES * C))
        .zip(lse.chunks_exact(LANES))
    {
        // Whole blocks copied in and out of arrays, so that the compiler sees no aliasing
        // and vectorizes across the block.
        let mut p = [[T::zero(); C]; LANES];
        for (l, row) in p.iter_mut().enumerate() {
            *row = x[l * C..(l + 1) * C].try_into().expect("C values");
        }
        let l_n: [T; LANES] = l_n.try_into().expect("LANES values");
        for (row, &l) in p.iter_mut().zip(&l_n) {
            for v in row.iter_mut() {
                *v -= l;
            }
        }
        for (l, row) in p.iter().enumerate() {
            o[l * C..(l + 1) * C].copy_from_slice(row);
        }
    }
    let tail = out_tail.chunks_exact_mut(C).zip(x_tail.chunks_exact(C));
    for ((o, x), &l_n) in tail.zip(&lse[blocks * LANES..]) {
        for (ov, &xv) in o.iter_mut().zip(x) {
            *ov = xv - l_n;
        }
    }
}

#[cfg(test)]
mod tests {
    use backprop_tensor::{Float, Rng, Tensor};

    use super::{MAX_CLASSES, forward, softmax};
    use crate::ops::cross_entropy::class_indices;
    use crate::ops::logsumexp::{row_logsumexp, softmax_from_lse};

    /// Bits, with every NaN as one value (which NaN an operation on two NaNs returns is
    /// up to the compiler's operand order).
    fn bits<T: Float>(v: &[T]) -> Vec<u64> {
        v.iter()
            .map(|e| if e.is_nan() { u64::MAX } else { e.as_f64().to_bits() })
            .collect()
    }

    /// Logits with huge, infinite and NaN entries and whole rows of -∞ among normal ones.
    fn logits<T: Float>(n: usize, c: usize, rng: &mut Rng) -> Vec<T> {
        let mut x: Vec<T> = Tensor::<T>::randn(&[n, c], rng)
            .to_vec()
            .iter()
            .enumerate()
            .map(|(i, &v)| v * T::from_f64([1.0, 30.0, 300.0][i % 3]))
            .collect();
        let specials = [T::from_f64(1e4), T::neg_infinity(), T::infinity(), T::nan()];
        for (k, &v) in specials.iter().enumerate() {
            if n > 2 + 3 * k {
                x[(2 + 3 * k) * c + rng.below(c)] = v;
            }
        }
        if n > 13 {
            x[13 * c..14 * c].fill(T::neg_infinity());
        }
        x
    }

    fn matches_the_row_kernels<T: Float>() {
        let mut rng = Rng::seed_from_u64(31);
        // Every width, partial and full blocks, and more rows than one exp call takes.
        let rows = (0..=37).chain([63, 64, 65, 120, 513, 600]);
        for n in rows {
            for c in 1..=MAX_CLASSES + 2 {
                let x = logits::<T>(n, c, &mut rng);
                let y: Vec<usize> = (0..n).map(|_| rng.below(c)).collect();
                let Some((lse, loss)) = forward(&x, &y, c) else {
                    assert!(c > MAX_CLASSES, "{n}x{c} must take the narrow path");
                    continue;
                };
                let want_lse = row_logsumexp(&x, n, c);
                assert_eq!(bits(&lse), bits(&want_lse), "lse {n}x{c}");
                let want_loss = class_indices::losses(&x, &want_lse, &y, c);
                assert_eq!(bits(&loss), bits(&want_loss), "loss {n}x{c}");
                let p = softmax(&x, &lse, c).expect("a narrow width");
                assert_eq!(bits(&p), bits(&softmax_from_lse(&x, &lse, c)), "p {n}x{c}");
            }
        }
    }

    #[test]
    fn matches_the_row_kernels_bitwise() {
        matches_the_row_kernels::<f32>();
        matches_the_row_kernels::<f64>();
    }
}
