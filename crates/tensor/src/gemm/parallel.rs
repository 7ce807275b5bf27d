//! How a large product is shared between the kernel threads.
//!
//! `C` is cut into tiles ([`plan`]: column strips about 96 f32 columns wide, cut into row
//! bands when there are few) and each tile is one single-threaded call of the `gemm` crate
//! on its rows of `A` and its columns of `B`. The
//! threads of [`crate::team`] claim tiles one at a time, the calling thread included, so a
//! thread that starts late (a helper that was asleep) or runs slower (a virtual CPU shared
//! with a neighbour) takes fewer tiles instead of holding the others up at a barrier.
//!
//! Measured against the `gemm` crate's own threading (which gives each thread a fixed share
//! of every block, with a barrier per block, on a rayon pool), same process, interleaved, on
//! a 2-vCPU AMD EPYC: sgemm 1024³ 96–125 → 119–141 GFLOP/s with tiles of 256×128 to 512×128
//! (in a slow phase of the machine); see `docs/performance.md`, eighth round.
//!
//! Every element of `C` is computed by the same micro-kernel arithmetic in the same order
//! over `k` as on one thread: the crate blocks `k` by a length that depends on `k` only (for
//! products that are not small in both `m` and `n`, see [`same_path`]), and a tile boundary
//! only decides which call computes an element. So results are bitwise the same for every
//! thread count; a product whose tiles could not all take that path runs on one thread.

use ndarray::{ArrayView2, ArrayViewMut2, s};

use super::packed;
use crate::Float;
use crate::team::Team;

/// Tiles per thread, for [`plan_general`], when the product is large enough: enough that a
/// late or slow thread costs little (the others take its share), few enough that packing
/// each tile's operands stays a small part of the work. 16–32 tiles for two threads measured
/// alike on 1024³; 4–8 were slower.
const TILES_PER_THREAD: usize = 8;

/// The least work for a tile, in multiply-adds (about 50 µs on one core): below it the
/// per-call cost of the crate (about 1 µs) and the packing start to show.
const MIN_TILE_FLOPS: usize = 1 << 21;

/// About this many bytes of a row of `B` go into a column strip of `C` (see [`plan`]): 96
/// columns of f32, 48 of f64 (48–144 f32 columns measured alike on W3).
const STRIP_BYTES: usize = 384;

/// Strips are cut into row bands until there are this many tiles per thread, so that a
/// late or slow thread delays the product by a small share of it.
const MIN_TILES_PER_THREAD: usize = 4;

/// The least height and width of a tile (unless `C` itself is smaller): thinner tiles run
/// the micro-kernels mostly on partial blocks.
const MIN_TILE_SIDE: usize = 16;

/// What tile sides are a multiple of, so that the `gemm` crate's micro-kernels run on full
/// register blocks. The crate computes a row-major `C` as `Cᵀ = Bᵀ·Aᵀ`, so its kernels'
/// long side (`MR`: two registers with AVX2, four with AVX-512) runs along `C`'s columns and
/// the short one (`NR = 6`) along its rows. A W2 strip 88 columns wide ran its last 8
/// columns on the half-width kernel: 9 % of W2's profile was `x1x6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Align {
    rows: usize,
    cols: usize,
}

impl Align {
    /// For elements of `elem_bytes` bytes on this CPU.
    fn detect(elem_bytes: usize) -> Align {
        // Bytes of `MR`: 2 registers of 32 bytes (AVX2), 4 of 64 (AVX-512; `x4x6`).
        #[cfg(target_arch = "x86_64")]
        let mr_bytes = if std::arch::is_x86_feature_detected!("avx512f") {
            256
        } else {
            64
        };
        #[cfg(not(target_arch = "x86_64"))]
        let mr_bytes = 32;
        Align {
            rows: 6,
            cols: (mr_bytes / elem_bytes).max(1),
        }
    }
}

/// Whether a single-threaded call of the `gemm` crate on an `[rows, cols]` output takes its
/// general packed path, whose arithmetic per element depends only on `k`: not the
/// matrix-vector kernels (`rows` or `cols` at most 1), not the small-output kernel
/// (`rows·cols ≤ 256`), and not the path for outputs at most 64 by 64, which blocks `k`
/// differently.
fn same_path(rows: usize, cols: usize) -> bool {
    rows > 1 && cols > 1 && rows * cols > 256 && (rows > 64 || cols > 64)
}

/// A tiling of `C`: tiles of `rows × cols` (the last row and column of tiles may be
/// smaller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tiles {
    rows: usize,
    cols: usize,
}

/// The tiling for `C` `[m, n]` with inner length `k` on `threads` threads, elements of
/// `elem_bytes` bytes, or `None` when the product should run on one thread (too small to
/// split, or no split keeps every tile on the crate's general path).
///
/// Tiles are column strips [`STRIP_BYTES`]` / elem_bytes` columns wide (about), cut into row
/// bands only when there are fewer strips than [`MIN_TILES_PER_THREAD`] per thread. A strip
/// is narrower than one of the crate's cache blocks of `B` (128 f32 columns with AVX2), so
/// each call packs one block of `B` (`kc = 512` rows by the strip's width, 192 KiB, which
/// stays in a Zen 3 core's 512 KiB L2) and streams `A` past it once. Measured on W3 (same
/// process, configurations alternating call by call, five launches): 0.94–0.98 of the time
/// of [`plan_general`]'s 256 × 256 tiles; W2's step the same within ±2 %. Shapes that strips
/// do not suit go to [`plan_general`].
fn plan(
    m: usize,
    n: usize,
    k: usize,
    threads: usize,
    elem_bytes: usize,
    align: Align,
) -> Option<Tiles> {
    if threads < 2 || !same_path(m, n) {
        return None;
    }
    let parts = n.div_ceil(STRIP_BYTES / elem_bytes);
    let (_, _, strips) = cut(n, parts, align.cols);
    let bands = (MIN_TILES_PER_THREAD * threads).div_ceil(strips);
    match tiling(m, n, bands, parts, threads, align) {
        Some((tiles, _)) => Some(tiles),
        None => plan_general(m, n, k, threads, align),
    }
}

/// `(extent of a tile, extent of the last tile, number of tiles)` when `len` is cut into
/// `parts` (about) with extents a multiple of `align`.
fn cut(len: usize, parts: usize, align: usize) -> (usize, usize, usize) {
    let size = len.div_ceil(parts).next_multiple_of(align).min(len);
    let count = len.div_ceil(size);
    (size, len - size * (count - 1), count)
}

/// `C` `[m, n]` cut into about `row_parts` by `col_parts` tiles, and their number, if that
/// makes at least `threads` tiles, none thinner than [`MIN_TILE_SIDE`] (unless `C` is), and
/// every one (the last row and column included) on the crate's general path.
fn tiling(
    m: usize,
    n: usize,
    row_parts: usize,
    col_parts: usize,
    threads: usize,
    align: Align,
) -> Option<(Tiles, usize)> {
    let (h, last_h, rows) = cut(m, row_parts, align.rows);
    let (w, last_w, cols) = cut(n, col_parts, align.cols);
    let count = rows * cols;
    let valid = count >= threads
        && h >= m.min(MIN_TILE_SIDE)
        && w >= n.min(MIN_TILE_SIDE)
        && [(h, w), (last_h, w), (h, last_w), (last_h, last_w)]
            .iter()
            .all(|&(r, c)| same_path(r, c));
    valid.then_some((Tiles { rows: h, cols: w }, count))
}

/// The tiling for shapes [`plan`]'s strips do not suit (a `C` too narrow for strips, or
/// strips too short to stay on the crate's general path).
///
/// Among tilings into at least the wanted number of tiles (else into as many as the shape
/// allows), it takes the one whose tiles are closest to square (the least packing per
/// multiply-add), with sides a multiple of [`Align`]'s and neither below [`MIN_TILE_SIDE`].
fn plan_general(m: usize, n: usize, k: usize, threads: usize, align: Align) -> Option<Tiles> {
    let work = m * n * k;
    let wanted = (work / MIN_TILE_FLOPS).clamp(threads, TILES_PER_THREAD * threads);
    // Every valid tiling as (enough tiles, tile count, packing cost, tiles).
    let mut candidates = Vec::new();
    for row_parts in 1..=wanted {
        for col_parts in 1..=wanted.div_ceil(row_parts) {
            if let Some((t, count)) = tiling(m, n, row_parts, col_parts, threads, align) {
                let cost = 1.0 / t.rows as f64 + 1.0 / t.cols as f64;
                candidates.push((count >= wanted, count, cost, t));
            }
        }
    }
    // With enough tiles: the least packing, then the fewest tiles. Without: the most tiles,
    // then the least packing.
    candidates
        .into_iter()
        .min_by(|x, y| {
            y.0.cmp(&x.0).then(if x.0 {
                x.2.total_cmp(&y.2).then(x.1.cmp(&y.1))
            } else {
                y.1.cmp(&x.1).then(x.2.total_cmp(&y.2))
            })
        })
        .map(|(_, _, _, tiles)| tiles)
}

/// `c = a · b` on the threads of `team` when the product splits into tiles (see [`plan`]),
/// else on the calling thread; `T` is f32 or f64 and the shapes are checked by the callers of
/// [`super::matmul_into`].
pub(super) fn packed_on_team<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
    team: &Team,
) {
    let (m, n) = c.dim();
    let k = a.dim().1;
    let elem_bytes = std::mem::size_of::<T>();
    let Some(tiles) = plan(
        m,
        n,
        k,
        team.threads(),
        elem_bytes,
        Align::detect(elem_bytes),
    ) else {
        packed(a, b, c, gemm::Parallelism::None);
        return;
    };
    let (rows, cols) = (m.div_ceil(tiles.rows), n.div_ceil(tiles.cols));
    // Every tile's block of `C`, with its first row and column.
    let mut blocks = Vec::with_capacity(rows * cols);
    let mut rest = c;
    for i in 0..rows {
        let h = tiles.rows.min(rest.dim().0);
        let (mut band, below) = rest.split_at(ndarray::Axis(0), h);
        rest = below;
        for j in 0..cols {
            let w = tiles.cols.min(band.dim().1);
            let (block, right) = band.split_at(ndarray::Axis(1), w);
            band = right;
            blocks.push((i * tiles.rows, j * tiles.cols, block));
        }
    }
    team.run_each(blocks, |(r0, c0, block)| {
        let (h, w) = block.dim();
        packed(
            a.slice(s![r0..r0 + h, ..]),
            b.slice(s![.., c0..c0 + w]),
            block,
            gemm::Parallelism::None,
        );
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

    /// `a · b` on one thread, and on teams of 2, 3 and 4 threads: bitwise the same.
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
            let team = Team::new(threads);
            let mut c = Array2::from_elem((m, n), T::nan());
            packed_on_team(a.view(), b, c.view_mut(), &team);
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
    fn tilings() {
        // AVX2's register blocks, whatever this machine has.
        let avx2 = |elem_bytes: usize| Align {
            rows: 6,
            cols: 64 / elem_bytes,
        };
        let plan4 = |m, n, k, threads| plan(m, n, k, threads, 4, avx2(4));
        let tiles = |rows, cols| Some(Tiles { rows, cols });
        // W3 on two threads: eleven full-height strips (96 columns of f32, the last 64).
        assert_eq!(plan4(1024, 1024, 1024, 2), tiles(1024, 96));
        // f64: strips half as wide.
        assert_eq!(plan(1024, 1024, 1024, 2, 8, avx2(8)), tiles(1024, 48));
        // W2's products: six strips of 96 (the last 32), cut into two bands of a multiple of
        // 6 rows when that makes at least 4 tiles a thread.
        assert_eq!(plan4(256, 512, 784, 2), tiles(132, 96));
        assert_eq!(plan4(512, 784, 256, 2), tiles(512, 96));
        // Strips whose last one (32 wide, 10 high) would leave the general path: the general
        // search, which splits this short `C` into two 256-wide halves.
        assert_eq!(plan4(10, 512, 256, 2), tiles(10, 256));
        // A `C` too narrow for strips: row tiles of more than 64 rows.
        assert_eq!(plan4(256, 10, 512, 2), tiles(132, 10));
        assert_eq!(plan4(128, 128, 64, 2), tiles(66, 128));
        // The general search alone: as many tiles as the work pays for, squarish.
        assert_eq!(plan_general(1024, 1024, 1024, 2, avx2(4)), tiles(258, 256));
        assert_eq!(plan_general(256, 512, 784, 2, avx2(4)), tiles(90, 96));
        // One thread, or a product too small to split on the general path, or whose tiles
        // could not all take it: no tiling.
        assert_eq!(plan4(1024, 1024, 1024, 1), None);
        assert_eq!(plan4(64, 64, 100_000, 2), None);
        assert_eq!(plan4(300, 1, 10_000, 2), None);
        // Tiles no thinner than 16: a 60-wide `C` of 70 rows (rows cannot split: both parts
        // would be at most 64 by 64) gets four 16-wide tiles, not eight 8-wide ones.
        assert_eq!(plan4(70, 60, 10_000, 2), tiles(70, 16));
        for &(m, n, k, threads) in &[(1024, 1024, 1024, 4), (300, 200, 250, 3), (65, 130, 600, 4)] {
            let t = plan4(m, n, k, threads).expect("splits");
            let count = m.div_ceil(t.rows) * n.div_ceil(t.cols);
            assert!(count >= threads && count <= TILES_PER_THREAD * threads + threads);
        }
        // Tile sides follow the register blocks.
        for &(m, n, k) in &[(1000, 1000, 1000), (300, 700, 500), (517, 333, 800)] {
            let t = plan4(m, n, k, 2).expect("splits");
            assert!(t.rows == m || t.rows % 6 == 0, "{m}x{n}: {t:?}");
            assert!(t.cols == n || t.cols % 16 == 0, "{m}x{n}: {t:?}");
        }
    }
}
