//! The AVX2 + FMA kernels.
//!
//! When the inner extent is at most [`STATIONARY_MAX_K`] (W1's forward products and input
//! gradients: `k` = 3 to 9), the stationary kernel loads `B[0..k, cols]` once, for one or two
//! vectors of columns at a time, and streams the rows of `A` past it: per row of `C`, `k`
//! broadcasts, `k` multiply-adds per vector and a store, with no loop over `p` at all. A `B`
//! whose columns are not contiguous (`Wᵀ` in `x·Wᵀ`) is gathered in place, one instruction per
//! vector, rather than copied first. When `C` is at most half a vector wide, the paired
//! variant in [`pairs`] puts two rows of `C` in one vector instead.
//!
//! Otherwise `C` is cut into register blocks of up to [`ROWS_WIDE`] rows by two
//! vectors of columns (12 accumulators) or, when at most one vector of columns is left, up to
//! [`ROWS_NARROW`] rows by one vector. A block lives in registers while `p` runs over the
//! inner extent: `B[p, cols]` is loaded (the last vector masked at the right edge, so nothing
//! is read past column `n`), each `A[i, p]` broadcast straight from `A` whatever its
//! strides, and one multiply-add per row and vector accumulates it. When `A` is column-major
//! (`Gᵀ` in `Gᵀ·X`), one pointer walks its columns, the block's rows at fixed offsets.
//!
//! Either way every `C[i, j]` is `fma(A[i, k-1], B[k-1, j], … fma(A[i, 0], B[0, j], 0))`, in
//! increasing `p`.
//!
//! The rows of `C` are stored in increasing order. When `C` is one contiguous row-major
//! block and the columns take one pass, a vector that reaches past the end of a row is stored
//! full width anyway: its extra lanes land on the next rows, which are written after it. Only
//! a store that would reach past the end of `C` (or any, for other layouts) is masked. Masked
//! stores (`vmaskmovps`) cost several times a plain one on Intel cores and are not forwarded
//! to the next op's loads; W1's `[120, 4] · [4, 8]` runs about 2.5 times faster without them.

use std::arch::x86_64::{
    __m256, __m256d, __m256i, _mm256_fmadd_pd, _mm256_fmadd_ps, _mm256_loadu_pd, _mm256_loadu_ps,
    _mm256_maskload_pd, _mm256_maskload_ps, _mm256_maskstore_pd, _mm256_maskstore_ps,
    _mm256_set1_pd, _mm256_set1_ps, _mm256_setzero_pd, _mm256_setzero_ps, _mm256_storeu_pd,
    _mm256_storeu_ps,
};

use super::Product;

mod lanes;
mod pairs;

use lanes::{gather_f32, gather_f64, mask_f32, mask_f64, offsets_f32, offsets_f64};

/// Rows of `C` per block spanning two vectors of columns: 12 accumulators, the two vectors of
/// `B`, a broadcast element of `A` and the edge mask fill the 16 vector registers.
pub(super) const ROWS_WIDE: usize = 6;
/// Rows of `C` per block spanning one vector of columns (more rows would run out of general
/// registers for the row pointers of a strided `A`).
pub(super) const ROWS_NARROW: usize = 9;

/// The largest inner extent the stationary kernel takes. Its cost per row, `k` broadcasts
/// and `k` multiply-adds per vector of columns, is the block kernel's without the loop over
/// `p`; as `k` grows the loop's overhead matters less and the block kernel's register reuse
/// more.
pub(super) const STATIONARY_MAX_K: usize = 10;
/// Rows per step of the stationary kernel over two vectors of columns (8 accumulators).
const STREAM_ROWS_WIDE: usize = 4;
/// Rows per step of the stationary kernel over one vector of columns (4 accumulators).
const STREAM_ROWS_NARROW: usize = 4;

/// Whether the stationary kernel computes a product with inner extent `k`, `A`'s column
/// stride `acs` and `C`'s column stride `ccs`: `B` must fit in registers, and the rows of `A`
/// and `C` be contiguous so that each row needs one address register.
pub(super) fn stationary_fits(k: usize, acs: isize, ccs: isize) -> bool {
    k <= STATIONARY_MAX_K && (acs == 1 || k == 1) && ccs == 1
}

/// How far from `C`'s start (in elements) the full-width stores of a pass over the columns
/// from `j0`, whose last vector has `last` of its `lanes` lanes inside `C`, may reach: anywhere
/// when that vector is full; up to [`Product::spill_end`] in the only pass (`j0 = 0`), whose
/// stores run in increasing rows, so that lanes past the end of a row land on a later row
/// before it is written; otherwise nowhere (every last vector masked).
fn store_limit<T>(p: &Product<T>, j0: usize, last: usize, lanes: usize) -> usize {
    if last == lanes {
        usize::MAX
    } else if j0 == 0 {
        p.spill_end
    } else {
        0
    }
}

/// How many rows of `C`, from the first, store `width` elements from column `j0` full width
/// within `limit` ([`store_limit`]): the rows `i` with `i·n + j0 + width <= limit`.
pub(super) fn full_rows(limit: usize, j0: usize, n: usize, width: usize) -> usize {
    if limit == usize::MAX {
        usize::MAX
    } else {
        match limit.checked_sub(j0 + width) {
            Some(room) if n > 0 => room / n + 1,
            _ => 0,
        }
    }
}

macro_rules! kernel {
    ($name:ident, $pairs:ident, $block:ident, $step:ident, $stationary:ident, $stream:ident, $rows:ident, $t:ty, $vec:ty, $lanes:expr,
     $mask:ident, $zero:ident, $set1:ident, $fmadd:ident, $loadu:ident, $storeu:ident,
     $maskload:ident, $maskstore:ident, $offsets:ident, $gather:ident) => {
        /// `C = A·B` for the product `p` describes (see [`Product`]).
        ///
        /// # Safety
        ///
        /// The CPU must support AVX2 and FMA, and `p` must describe valid arrays: `A`, `B`
        /// readable, `C` writable and aliasing neither, `B` with unit column stride unless
        /// the stationary kernel runs, and then with `n·bcs` within `i32`.
        #[target_feature(enable = "avx2,fma")]
        pub(super) unsafe fn $name(p: &Product<$t>) {
            if stationary_fits(p.k, p.acs, p.ccs) && 2 * p.n <= $lanes {
                // SAFETY: as below, with `C` at most half a vector wide.
                unsafe {
                    match p.k {
                        1 => pairs::$pairs::<1>(p),
                        2 => pairs::$pairs::<2>(p),
                        3 => pairs::$pairs::<3>(p),
                        4 => pairs::$pairs::<4>(p),
                        5 => pairs::$pairs::<5>(p),
                        6 => pairs::$pairs::<6>(p),
                        7 => pairs::$pairs::<7>(p),
                        8 => pairs::$pairs::<8>(p),
                        9 => pairs::$pairs::<9>(p),
                        _ => pairs::$pairs::<10>(p),
                    }
                }
                return;
            }
            if stationary_fits(p.k, p.acs, p.ccs) {
                // SAFETY: the caller's contract, and `stationary_fits` checked the rest.
                unsafe {
                    match p.k {
                        1 => $stationary::<1>(p),
                        2 => $stationary::<2>(p),
                        3 => $stationary::<3>(p),
                        4 => $stationary::<4>(p),
                        5 => $stationary::<5>(p),
                        6 => $stationary::<6>(p),
                        7 => $stationary::<7>(p),
                        8 => $stationary::<8>(p),
                        9 => $stationary::<9>(p),
                        _ => $stationary::<10>(p),
                    }
                }
                return;
            }
            debug_assert_eq!(p.bcs, 1);
            let mut j0 = 0;
            while j0 < p.n {
                let cols = p.n - j0;
                let mut i0 = 0;
                if cols > $lanes {
                    let last = (cols - $lanes).min($lanes);
                    let mask = $mask(last);
                    let limit = store_limit(p, j0, last, $lanes);
                    while i0 < p.m {
                        let rows = ROWS_WIDE.min(p.m - i0);
                        // SAFETY: rows i0..i0 + rows <= m and columns j0..j0 + lanes + last
                        // <= n form a block inside the arrays; the caller's contract covers
                        // the rest.
                        unsafe {
                            match rows {
                                6 => $block::<6, 2>(p, i0, j0, mask, last, limit),
                                5 => $block::<5, 2>(p, i0, j0, mask, last, limit),
                                4 => $block::<4, 2>(p, i0, j0, mask, last, limit),
                                3 => $block::<3, 2>(p, i0, j0, mask, last, limit),
                                2 => $block::<2, 2>(p, i0, j0, mask, last, limit),
                                _ => $block::<1, 2>(p, i0, j0, mask, last, limit),
                            }
                        }
                        i0 += rows;
                    }
                    j0 += 2 * $lanes;
                } else {
                    let mask = $mask(cols);
                    let limit = store_limit(p, j0, cols, $lanes);
                    while i0 < p.m {
                        let rows = ROWS_NARROW.min(p.m - i0);
                        // SAFETY: as above, with columns j0..j0 + cols = n.
                        unsafe {
                            match rows {
                                9 => $block::<9, 1>(p, i0, j0, mask, cols, limit),
                                8 => $block::<8, 1>(p, i0, j0, mask, cols, limit),
                                7 => $block::<7, 1>(p, i0, j0, mask, cols, limit),
                                6 => $block::<6, 1>(p, i0, j0, mask, cols, limit),
                                5 => $block::<5, 1>(p, i0, j0, mask, cols, limit),
                                4 => $block::<4, 1>(p, i0, j0, mask, cols, limit),
                                3 => $block::<3, 1>(p, i0, j0, mask, cols, limit),
                                2 => $block::<2, 1>(p, i0, j0, mask, cols, limit),
                                _ => $block::<1, 1>(p, i0, j0, mask, cols, limit),
                            }
                        }
                        i0 += rows;
                    }
                    j0 += $lanes;
                }
            }
        }

        /// One register block: rows `i0..i0 + RR` of `C` by `NV` vectors of columns from
        /// `j0`, all full but the last, whose first `last` lanes (`mask`) are inside `C`;
        /// a store ending at most `limit` elements from `C`'s start is written full width
        /// ([`store_limit`]).
        ///
        /// # Safety
        ///
        /// As for the kernel, with the block inside `C`.
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        unsafe fn $block<const RR: usize, const NV: usize>(
            p: &Product<$t>,
            i0: usize,
            j0: usize,
            mask: __m256i,
            last: usize,
            limit: usize,
        ) {
            // SAFETY: every access is at a row below i0 + RR <= m of `A` and `C` (column
            // below k of `A`), a row below k of `B`, and a column below j0 + (NV - 1)·lanes
            // + last <= n of `B` and `C`, the masked lanes excepted (the caller's contract).
            unsafe {
                let mut acc = [[$zero(); NV]; RR];
                let mut b = p.b.add(j0);
                if p.ars == 1 {
                    // `A`'s rows are adjacent (`Gᵀ` in `Gᵀ·X`): one pointer runs down its
                    // columns, the rows at fixed offsets from it.
                    let mut a = p.a.add(i0);
                    // Two steps per iteration when the accumulators leave registers for both
                    // steps' operands (with more, the compiler spills).
                    let pairs = if RR * NV <= 8 { p.k / 2 } else { 0 };
                    for _ in 0..pairs {
                        for _ in 0..2 {
                            $step(&mut acc, b, mask, |r| *a.add(r));
                            a = a.offset(p.acs);
                            b = b.offset(p.brs);
                        }
                    }
                    for _ in 2 * pairs..p.k {
                        $step(&mut acc, b, mask, |r| *a.add(r));
                        a = a.offset(p.acs);
                        b = b.offset(p.brs);
                    }
                } else {
                    let a = p.a.offset(i0 as isize * p.ars);
                    // Opaque to the optimizer, so that it keeps one register per row and
                    // broadcasts from `row + col` in one instruction, rather than rebuilding
                    // each row's address from the previous one at every `p`.
                    let rows: [*const $t; RR] =
                        std::hint::black_box(std::array::from_fn(|r| a.offset(r as isize * p.ars)));
                    let mut col = 0isize;
                    for _ in 0..p.k {
                        $step(&mut acc, b, mask, |r| *rows[r].offset(col));
                        b = b.offset(p.brs);
                        col += p.acs;
                    }
                }
                let c = p.c.offset(i0 as isize * p.crs + j0 as isize * p.ccs);
                for (r, sums) in acc.iter().enumerate() {
                    let c = c.offset(r as isize * p.crs);
                    for (v, &sum) in sums.iter().enumerate() {
                        let full = v + 1 < NV;
                        if p.ccs == 1 {
                            let dst = c.add(v * $lanes);
                            if full || (i0 + r) * p.n + j0 + (v + 1) * $lanes <= limit {
                                $storeu(dst, sum);
                            } else {
                                $maskstore(dst, mask, sum);
                            }
                        } else {
                            // A strided row of `C` (the transposed problem writes `Cᵀ`):
                            // element by element.
                            let mut lanes = [0.0 as $t; $lanes];
                            $storeu(lanes.as_mut_ptr(), sum);
                            let width = if full { $lanes } else { last };
                            for (l, &x) in lanes[..width].iter().enumerate() {
                                *c.offset((v * $lanes + l) as isize * p.ccs) = x;
                            }
                        }
                    }
                }
            }
        }

        /// One step of `p` for a register block: `acc[r][v] += x(r) · B[p, v-th vector]`,
        /// with `B`'s row segment at `b` (the last vector `mask`ed) and `x(r)` the block's
        /// `A[r, p]`.
        ///
        /// # Safety
        ///
        /// As for the kernel, with the row segment inside `B` and `x` reading inside `A`.
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        unsafe fn $step<const RR: usize, const NV: usize>(
            acc: &mut [[$vec; NV]; RR],
            b: *const $t,
            mask: __m256i,
            x: impl Fn(usize) -> $t,
        ) {
            // SAFETY: the caller's contract.
            unsafe {
                let y: [$vec; NV] = std::array::from_fn(|v| {
                    let src = b.add(v * $lanes);
                    if v + 1 < NV {
                        $loadu(src)
                    } else {
                        $maskload(src, mask)
                    }
                });
                for (r, sums) in acc.iter_mut().enumerate() {
                    let x = $set1(x(r));
                    for (sum, &yv) in sums.iter_mut().zip(&y) {
                        *sum = $fmadd(x, yv, *sum);
                    }
                }
            }
        }

        /// `C = A·B` for an inner extent `k = K` (at most [`STATIONARY_MAX_K`]), `A` and `C`
        /// with unit column strides: per group of one or two vectors of columns, `B[0..K,
        /// cols]` is loaded once (masked at the right edge) and the rows of `A` stream past
        /// it, [`STREAM_ROWS_WIDE`] or [`STREAM_ROWS_NARROW`] at a time.
        ///
        /// # Safety
        ///
        /// As for the kernel, with `p.k == K`, `p.acs == 1` (or `K == 1`) and `p.ccs == 1`.
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $stationary<const K: usize>(p: &Product<$t>) {
            let offsets = $offsets(p.bcs);
            let full = $mask($lanes);
            let mut j0 = 0;
            while j0 < p.n {
                let cols = p.n - j0;
                // SAFETY: rows 0..K = k of `B`; columns j0..j0 + lanes + last <= n (the
                // second vector masked), or j0..j0 + cols = n (masked). With `bcs != 1`
                // every offset fits the gathers' indices (`gathers_b`).
                unsafe {
                    let row = |q: usize| p.b.offset(q as isize * p.brs + j0 as isize * p.bcs);
                    if cols > $lanes {
                        let last = (cols - $lanes).min($lanes);
                        let mask = $mask(last);
                        let limit = store_limit(p, j0, last, $lanes);
                        let second = $lanes * p.bcs;
                        let y: [[$vec; 2]; K] = if p.bcs == 1 {
                            std::array::from_fn(|q| {
                                [$loadu(row(q)), $maskload(row(q).add($lanes), mask)]
                            })
                        } else {
                            std::array::from_fn(|q| {
                                [
                                    $gather(row(q), offsets, full),
                                    $gather(row(q).offset(second), offsets, mask),
                                ]
                            })
                        };
                        $stream::<K, 2, STREAM_ROWS_WIDE>(p, &y, j0, mask, limit);
                        j0 += 2 * $lanes;
                    } else {
                        let mask = $mask(cols);
                        let limit = store_limit(p, j0, cols, $lanes);
                        let y: [[$vec; 1]; K] = if p.bcs == 1 {
                            std::array::from_fn(|q| [$maskload(row(q), mask)])
                        } else {
                            std::array::from_fn(|q| [$gather(row(q), offsets, mask)])
                        };
                        $stream::<K, 1, STREAM_ROWS_NARROW>(p, &y, j0, mask, limit);
                        j0 += $lanes;
                    }
                }
            }
        }

        /// Every row of `C` at the `NV` vectors of columns from `j0` (the last one `mask`ed),
        /// from `B`'s rows `y`: `R` rows at a time, then one at a time.
        ///
        /// # Safety
        ///
        /// As for the stationary kernel, with the columns inside `C`.
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        unsafe fn $stream<const K: usize, const NV: usize, const R: usize>(
            p: &Product<$t>,
            y: &[[$vec; NV]; K],
            j0: usize,
            mask: __m256i,
            limit: usize,
        ) {
            // When `B` and the accumulators take at most half the vector registers, `B`
            // stays in registers. Otherwise, behind an opaque pointer, it is read from memory
            // by the multiply-adds (a memory operand each, at no extra instruction) instead
            // of occupying registers that the accumulators need.
            let y = y as *const [[$vec; NV]; K];
            let y = if (K + R) * NV <= 8 {
                y
            } else {
                std::hint::black_box(y)
            };
            let full = full_rows(limit, j0, p.n, NV * $lanes);
            let mut i0 = 0;
            // SAFETY: rows i0..i0 + R <= m, then single rows below m; full-width stores
            // only in the rows `full_rows` allows.
            unsafe {
                // A counted loop: cheaper to step than a comparison of `i0 + R` with `m`.
                for _ in 0..p.m / R {
                    if i0 + R <= full {
                        $rows::<K, NV, R, true>(p, y, i0, j0, mask);
                    } else {
                        $rows::<K, NV, R, false>(p, y, i0, j0, mask);
                    }
                    i0 += R;
                }
                while i0 < p.m {
                    if i0 < full {
                        $rows::<K, NV, 1, true>(p, y, i0, j0, mask);
                    } else {
                        $rows::<K, NV, 1, false>(p, y, i0, j0, mask);
                    }
                    i0 += 1;
                }
            }
        }

        /// Rows `i0..i0 + R` of `C` at the `NV` vectors of columns from `j0`, the last one
        /// stored full width when `FULL`, else `mask`ed.
        ///
        /// # Safety
        ///
        /// As for the stationary kernel, with the rows inside `A` and `C`, and `y` valid.
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        unsafe fn $rows<const K: usize, const NV: usize, const R: usize, const FULL: bool>(
            p: &Product<$t>,
            y: *const [[$vec; NV]; K],
            i0: usize,
            j0: usize,
            mask: __m256i,
        ) {
            // SAFETY: rows i0..i0 + R < m of `A` (columns below K = k, unit stride) and of
            // `C` (the columns from j0, the last vector masked), by the caller's contract.
            unsafe {
                let a = p.a.offset(i0 as isize * p.ars);
                let mut acc = [[$zero(); NV]; R];
                for q in 0..K {
                    for (r, sums) in acc.iter_mut().enumerate() {
                        let x = $set1(*a.offset(r as isize * p.ars).add(q));
                        for (v, sum) in sums.iter_mut().enumerate() {
                            *sum = $fmadd(x, (*y)[q][v], *sum);
                        }
                    }
                }
                let c = p.c.offset(i0 as isize * p.crs).add(j0);
                for (r, sums) in acc.iter().enumerate() {
                    let c = c.offset(r as isize * p.crs);
                    for (v, &sum) in sums.iter().enumerate() {
                        if v + 1 < NV || FULL {
                            $storeu(c.add(v * $lanes), sum);
                        } else {
                            $maskstore(c.add(v * $lanes), mask, sum);
                        }
                    }
                }
            }
        }
    };
}

kernel!(
    kernel_f32,
    pairs_f32,
    block_f32,
    step_f32,
    stationary_f32,
    stream_f32,
    rows_f32,
    f32,
    __m256,
    8,
    mask_f32,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_fmadd_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_maskload_ps,
    _mm256_maskstore_ps,
    offsets_f32,
    gather_f32
);
kernel!(
    kernel_f64,
    pairs_f64,
    block_f64,
    step_f64,
    stationary_f64,
    stream_f64,
    rows_f64,
    f64,
    __m256d,
    4,
    mask_f64,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_fmadd_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_maskload_pd,
    _mm256_maskstore_pd,
    offsets_f64,
    gather_f64
);
