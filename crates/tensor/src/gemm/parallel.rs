//! How a large product is shared between the kernel threads.
//!
//! The `gemm` crate's own threading ([`gemm::Parallelism::Rayon`]) hands every thread a band
//! of `C`'s rows and all of its columns, so each thread packs all of `B`. When `B` is read
//! with a transposition (`x·Wᵀ`, the forward of every linear layer: `B` is `Wᵀ`, whose
//! elements along a row of `B` are a column apart in memory), that packing is a strided
//! gather as costly as a sizeable part of the product, and two threads doing it twice
//! cost W2's forward a quarter of its speed. There, `C` and `B` are split into column
//! blocks instead, one per thread, each computed by a single-threaded call that packs only
//! its own block of `B`. Other layouts keep the crate's threading.
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
    // `B` is gathered with a transposition when its rows are not contiguous; the split
    // applies to a row-major `C` (the crate's frame then makes `B` the packed operand).
    let transposed_b = b.strides()[1] != 1;
    let row_major_c = c.strides()[1] == 1;
    let width = n.div_ceil(threads).next_multiple_of(BLOCK_ALIGN);
    // The last block holds what the full-width ones leave.
    let last = n - width * (n.div_ceil(width) - 1);
    let split = transposed_b
        && row_major_c
        && width < n
        && same_path(m, n)
        && same_path(m, width)
        && same_path(m, last);
    if !split {
        pool.install(move || packed(a, b, c, gemm::Parallelism::Rayon(threads)));
        return;
    }
    let mut blocks = Vec::with_capacity(threads);
    let (mut b_rest, mut c_rest) = (b, c);
    while c_rest.dim().1 > width {
        let (b0, b1) = b_rest.split_at(Axis(1), width);
        let (c0, c1) = c_rest.split_at(Axis(1), width);
        blocks.push((b0, c0));
        (b_rest, c_rest) = (b1, c1);
    }
    blocks.push((b_rest, c_rest));
    pool.install(|| {
        blocks
            .into_par_iter()
            .for_each(|(b, c)| packed(a, b, c, gemm::Parallelism::None));
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
        // and products too narrow to split.
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
        ];
        for &(m, k, n) in &shapes {
            for transposed_b in [true, false] {
                check::<f32>(&mut rng, m, k, n, transposed_b);
                check::<f64>(&mut rng, m, k, n, transposed_b);
            }
        }
    }
}
