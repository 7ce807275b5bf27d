//! How a large product is shared between the kernel threads.
//!
//! The `gemm` crate's own threading ([`gemm::Parallelism::Rayon`]) hands every thread a band
//! of `C`'s rows and all of its columns, so each thread packs all of `B`. When `B` is read
//! with a transposition (`x·Wᵀ`, the forward of every linear layer: `B` is `Wᵀ`, whose
//! elements along a row of `B` are a column apart in memory), that packing is a strided
//! gather, about a fifth of the product's time on one thread, and two threads each doing
//! all of it made W2's forward products run at 160–175 GFLOP/s on two threads against
//! 200–230 when `C` and `B` are split into column blocks instead, one per thread, each
//! computed by a single-threaded call that packs only its own block of `B`. A `C` too
//! narrow for column blocks (W2's 10 logits) is split into row blocks. Other layouts keep
//! the crate's threading, which measured as fast as any split on W2's backward products.
//!
//! Either way every element of `C` is computed by the same micro-kernel arithmetic in the
//! same order over `k` as on one thread: the crate blocks `k` by a length that depends on
//! `k` only (for products that are not small in both `m` and `n`, see [`same_path`]), and a
//! block boundary between threads only decides which call computes an element.

use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::iter::{IntoParallelIterator, ParallelIterator};

use super::packed;
use crate::Float;

/// Columns of `C` per block are a multiple of this: the crate's micro-kernel computes 64
/// (f32 with AVX-512) or 32 (f64) consecutive columns of a row-major `C` at a time.
const BLOCK_ALIGN: usize = 64;

/// Whether a single-threaded call of the `gemm` crate on an `[rows, cols]` output takes its
/// general packed path, whose arithmetic per element depends only on `k`: not the
/// matrix-vector kernels (`rows` or `cols` at most 1), not the small-output kernel
/// (`rows·cols ≤ 256`), and not the path for outputs at most 64 by 64, which blocks `k`
/// differently.
fn same_path(rows: usize, cols: usize) -> bool {
    rows > 1 && cols > 1 && rows * cols > 256 && (rows > 64 || cols > 64)
}

/// How [`packed_on_pool`] shares a product between threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Split {
    /// Blocks of this many columns of `B` and `C`, one per thread.
    Columns(usize),
    /// Blocks of this many rows of `A` and `C`, one per thread (for a `C` too narrow to
    /// split by columns, such as W2's 10 logits).
    Rows(usize),
    /// The crate's own threading.
    Crate,
}

/// The split for `C` `[m, n]` on `threads` threads, `b_transposed` when `B`'s rows are not
/// contiguous: blocks for an `x·Wᵀ` product with a row-major `C` when every block (and the
/// whole) takes the crate's general path, else the crate's threading.
fn plan(m: usize, n: usize, threads: usize, b_transposed: bool, c_row_major: bool) -> Split {
    if !(b_transposed && c_row_major && same_path(m, n)) {
        return Split::Crate;
    }
    // Block extents, and what the last block keeps after the full ones.
    let blocks = |len: usize, align: usize| {
        let size = len.div_ceil(threads).next_multiple_of(align);
        (size, len - size * (len.div_ceil(size) - 1))
    };
    let (width, last) = blocks(n, BLOCK_ALIGN);
    if width < n && same_path(m, width) && same_path(m, last) {
        return Split::Columns(width);
    }
    let (height, last) = blocks(m, 1);
    if height < m && same_path(height, n) && same_path(last, n) {
        return Split::Rows(height);
    }
    Split::Crate
}

/// `c = a · b` on the `threads` threads of `pool` (callers pass `threads ≥ 2`); `T` is f32
/// or f64 and the shapes are checked by the callers of [`super::matmul_into`].
pub(super) fn packed_on_pool<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
    pool: &rayon::ThreadPool,
    threads: usize,
) {
    let (m, n) = c.dim();
    let split = plan(m, n, threads, b.strides()[1] != 1, c.strides()[1] == 1);
    // Blocks of `C`, each with the operand block it needs.
    let mut blocks = Vec::with_capacity(threads);
    match split {
        Split::Crate => {
            pool.install(move || packed(a, b, c, gemm::Parallelism::Rayon(threads)));
            return;
        }
        Split::Columns(width) => {
            let (mut b_rest, mut c_rest) = (b, c);
            while c_rest.dim().1 > width {
                let (b0, b1) = b_rest.split_at(Axis(1), width);
                let (c0, c1) = c_rest.split_at(Axis(1), width);
                blocks.push((a, b0, c0));
                (b_rest, c_rest) = (b1, c1);
            }
            blocks.push((a, b_rest, c_rest));
        }
        Split::Rows(height) => {
            let (mut a_rest, mut c_rest) = (a, c);
            while c_rest.dim().0 > height {
                let (a0, a1) = a_rest.split_at(Axis(0), height);
                let (c0, c1) = c_rest.split_at(Axis(0), height);
                blocks.push((a0, b, c0));
                (a_rest, c_rest) = (a1, c1);
            }
            blocks.push((a_rest, b, c_rest));
        }
    }
    pool.install(|| {
        blocks
            .into_par_iter()
            .for_each(|(a, b, c)| packed(a, b, c, gemm::Parallelism::None));
    });
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::{Rng, Tensor};

    fn random<T: Float>(rng: &mut Rng, r: usize, c: usize) -> Array2<T> {
        Tensor::<T>::randn(&[r, c], rng)
            .into_array()
            .into_dimensionality()
            .unwrap()
    }

    /// `a · b` on one thread, and on pools of 2, 3 and 4 threads: bitwise the same.
    fn check<T: Float>(rng: &mut Rng, m: usize, k: usize, n: usize, transposed_b: bool) {
        let a = random::<T>(rng, m, k);
        let b_rows = random::<T>(rng, k, n);
        let b_cols = random::<T>(rng, n, k);
        let b = if transposed_b {
            b_cols.t()
        } else {
            b_rows.view()
        };
        let mut want = Array2::from_elem((m, n), T::nan());
        packed(a.view(), b, want.view_mut(), gemm::Parallelism::None);
        for threads in 2..=4 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut c = Array2::from_elem((m, n), T::nan());
            packed_on_pool(a.view(), b, c.view_mut(), &pool, threads);
            let same = c
                .iter()
                .zip(&want)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
            assert!(
                same,
                "{m}x{k}x{n} transposed_b={transposed_b} on {threads} threads"
            );
            assert!(c.iter().all(|x| x.is_finite()), "{m}x{k}x{n}: unwritten");
        }
    }

    #[test]
    fn every_split_matches_one_thread_bitwise() {
        let mut rng = Rng::seed_from_u64(11);
        // W2's forward and backward shapes, `k` above and below the crate's 512 block,
        // outputs at most 64 rows high, block widths that leave a narrow or empty last block,
        // outputs too narrow to split by columns (split by rows), and products too narrow to
        // split at all.
        let shapes = [
            (256, 784, 512),
            (256, 512, 512),
            (256, 512, 10),
            (512, 256, 784),
            (300, 200, 250),
            (65, 600, 130),
            (64, 700, 200),
            (20, 900, 300),
            (70, 513, 129),
            (100, 1030, 190),
            (3, 800, 700),
            (300, 2, 300),
            (257, 1, 300),
            (1, 600, 900),
            (200, 40, 1),
            (256, 512, 10),
            (129, 600, 17),
            (200, 700, 3),
            (37, 13, 77),
        ];
        for &(m, k, n) in &shapes {
            for transposed_b in [true, false] {
                check::<f32>(&mut rng, m, k, n, transposed_b);
                check::<f64>(&mut rng, m, k, n, transposed_b);
            }
        }
    }

    #[test]
    fn w2_products_split_as_measured() {
        // The forward products split (the test above checks that splits keep the bits);
        // the others keep the crate's threading.
        assert_eq!(plan(256, 512, 2, true, true), Split::Columns(256));
        assert_eq!(plan(256, 10, 2, true, true), Split::Rows(128));
        assert_eq!(plan(256, 512, 2, false, true), Split::Crate);
        assert_eq!(plan(256, 512, 2, true, false), Split::Crate);
        // A tiny last column block (2 columns) falls back to rows; blocks at most 64 by 64
        // (another path of the crate) do not split.
        assert_eq!(plan(65, 130, 4, true, true), Split::Rows(17));
        assert_eq!(plan(70, 60, 2, true, true), Split::Crate);
    }
}
