//! The paired kernel, for outputs at most half a vector wide (W1's last layer: `n = 3`,
//! `k = 9`) with inner extents up to [`super::STATIONARY_MAX_K`]: two rows of `C` share one
//! vector, row `i` in the low half and row `i + 1` in the high half, so no multiply-add is
//! spent on more than half a vector of empty lanes.
//!
//! `B`'s row `q` (its first `n` lanes, zero beyond) is put in both halves once. For each pair
//! of rows, four (f32; two for f64) consecutive elements of each row of `A` are loaded into
//! the two halves of one vector, and an in-lane permutation spreads `A[i, q]` over the low
//! half and `A[i + 1, q]` over the high half: one instruction per `q` for both rows, where
//! the stationary kernel broadcasts once per row. The multiply-adds run in increasing `q`
//! from zero, the same chain as every other kernel.

use std::arch::x86_64::{
    __m128, __m128d, __m128i, __m256, __m256d, _mm_castsi128_pd, _mm_castsi128_ps, _mm_loadu_pd,
    _mm_loadu_ps, _mm_loadu_si128, _mm_mask_i32gather_pd, _mm_mask_i32gather_ps, _mm_maskload_pd,
    _mm_maskload_ps, _mm_maskstore_pd, _mm_maskstore_ps, _mm_mullo_epi32, _mm_set1_epi32,
    _mm_set1_pd, _mm_set1_ps, _mm_setr_epi32, _mm_setzero_pd, _mm_setzero_ps, _mm_storeu_pd,
    _mm_storeu_ps, _mm256_castpd256_pd128, _mm256_castps256_ps128, _mm256_extractf128_pd,
    _mm256_extractf128_ps, _mm256_fmadd_pd, _mm256_fmadd_ps, _mm256_permute_pd, _mm256_permute_ps,
    _mm256_set_m128, _mm256_set_m128d, _mm256_setzero_pd, _mm256_setzero_ps,
};

use super::super::Product;
use super::full_rows;
use super::lanes::{MASK_F32, MASK_F64};

/// Pairs of rows per step (eight rows of `C`).
const PAIRS: usize = 1;

/// The first `n` (1 to 4) lanes of a half f32 vector, as a load/store mask.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn half_mask_f32(n: usize) -> __m128i {
    let n = n.clamp(1, 4);
    // SAFETY: the four `i32` from `8 - n` (4 to 7) lie inside the 16 of the table.
    unsafe { _mm_loadu_si128(MASK_F32.as_ptr().add(8 - n).cast()) }
}

/// The first `n` (1 or 2) lanes of a half f64 vector, as a load/store mask.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn half_mask_f64(n: usize) -> __m128i {
    let n = n.clamp(1, 2);
    // SAFETY: the two `i64` from `4 - n` (2 or 3) lie inside the 8 of the table.
    unsafe { _mm_loadu_si128(MASK_F64.as_ptr().add(4 - n).cast()) }
}

/// Lane `j` of each half of `v` spread over that half.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn splat_f32(v: __m256, j: usize) -> __m256 {
    match j {
        0 => _mm256_permute_ps::<0x00>(v),
        1 => _mm256_permute_ps::<0x55>(v),
        2 => _mm256_permute_ps::<0xaa>(v),
        _ => _mm256_permute_ps::<0xff>(v),
    }
}

/// As [`splat_f32`] for f64.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn splat_f64(v: __m256d, j: usize) -> __m256d {
    match j {
        0 => _mm256_permute_pd::<0b0000>(v),
        _ => _mm256_permute_pd::<0b1111>(v),
    }
}

/// Four elements from `lo` in the low half, four from `hi` in the high half.
///
/// # Safety
///
/// The CPU must support AVX2; both runs of four must be readable.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn load_pair_f32(lo: *const f32, hi: *const f32) -> __m256 {
    // SAFETY: the caller's contract.
    unsafe { _mm256_set_m128(_mm_loadu_ps(hi), _mm_loadu_ps(lo)) }
}

/// As [`load_pair_f32`] with two elements each, for f64.
///
/// # Safety
///
/// As for [`load_pair_f32`].
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn load_pair_f64(lo: *const f64, hi: *const f64) -> __m256d {
    // SAFETY: the caller's contract.
    unsafe { _mm256_set_m128d(_mm_loadu_pd(hi), _mm_loadu_pd(lo)) }
}

/// `*lo` over the low half, `*hi` over the high half.
///
/// # Safety
///
/// The CPU must support AVX2; both elements must be readable.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn spread_pair_f32(lo: *const f32, hi: *const f32) -> __m256 {
    // SAFETY: the caller's contract.
    unsafe { _mm256_set_m128(_mm_set1_ps(*hi), _mm_set1_ps(*lo)) }
}

/// As [`spread_pair_f32`] for f64.
///
/// # Safety
///
/// As for [`spread_pair_f32`].
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn spread_pair_f64(lo: *const f64, hi: *const f64) -> __m256d {
    // SAFETY: the caller's contract.
    unsafe { _mm256_set_m128d(_mm_set1_pd(*hi), _mm_set1_pd(*lo)) }
}

/// The `mask`ed lanes of a half f32 vector from `row` along the stride `bcs`, zero elsewhere.
///
/// # Safety
///
/// The CPU must support AVX2; the selected elements must be readable, at offsets within
/// `i32`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn gather_half_f32(row: *const f32, bcs: isize, mask: __m128i) -> __m128 {
    let offsets = _mm_mullo_epi32(_mm_setr_epi32(0, 1, 2, 3), _mm_set1_epi32(bcs as i32));
    // SAFETY: the caller's contract; unselected lanes are not read.
    unsafe { _mm_mask_i32gather_ps::<4>(_mm_setzero_ps(), row, offsets, _mm_castsi128_ps(mask)) }
}

/// As [`gather_half_f32`] for f64.
///
/// # Safety
///
/// As for [`gather_half_f32`].
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn gather_half_f64(row: *const f64, bcs: isize, mask: __m128i) -> __m128d {
    let offsets = _mm_mullo_epi32(_mm_setr_epi32(0, 1, 0, 0), _mm_set1_epi32(bcs as i32));
    // SAFETY: the caller's contract; unselected lanes are not read.
    unsafe { _mm_mask_i32gather_pd::<8>(_mm_setzero_pd(), row, offsets, _mm_castsi128_pd(mask)) }
}

/// The low and high halves of `v`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn halves_f32(v: __m256) -> (__m128, __m128) {
    (_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v))
}

/// As [`halves_f32`] for f64.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn halves_f64(v: __m256d) -> (__m128d, __m128d) {
    (_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v))
}

macro_rules! pairs {
    ($name:ident, $step:ident, $t:ty, $vec:ty, $half:expr, $half_mask:ident, $zero:ident,
     $fmadd:ident, $splat:ident, $load_pair:ident, $spread_pair:ident, $halves:ident,
     $maskload:ident, $maskstore:ident, $storeu:ident, $gather_half:ident, $join:ident) => {
        /// `C = A·B` for `k = K`, `2n <= lanes`, `A` and `C` with unit column strides.
        ///
        /// # Safety
        ///
        /// As for the kernels of the parent module, with `p.k == K`, `p.acs == 1` (or
        /// `K == 1`), `p.ccs == 1`, `p.n` at most half a vector, and `B`'s column offsets
        /// within `i32` when `p.bcs != 1`.
        #[target_feature(enable = "avx2,fma")]
        pub(super) unsafe fn $name<const K: usize>(p: &Product<$t>) {
            let mask = $half_mask(p.n);
            // A half stores full width when it ends at most `limit` elements from `C`'s start
            // (see `Product::spill_end`: the pairs are written in increasing rows).
            let limit = if p.n == $half {
                usize::MAX
            } else {
                p.spill_end
            };
            // SAFETY: rows below K = k and columns below n of `B`; rows below m of `A`
            // and `C` (a lone last row reads its own row twice).
            unsafe {
                let y: [$vec; K] = std::array::from_fn(|q| {
                    let row = p.b.offset(q as isize * p.brs);
                    let h = if p.bcs == 1 {
                        $maskload(row, mask)
                    } else {
                        $gather_half(row, p.bcs, mask)
                    };
                    $join(h, h)
                });
                // Behind an opaque pointer `B` is read by the multiply-adds' memory
                // operands instead of occupying registers.
                let y = std::hint::black_box(&y as *const [$vec; K]);
                let mut i0 = 0;
                // Counted loops: cheaper to step than comparisons of `i0 + 2` with `m`.
                let full = full_rows(limit, 0, p.n, $half);
                for _ in 0..p.m / (2 * PAIRS) {
                    if i0 + 2 * PAIRS <= full {
                        $step::<K, PAIRS, true>(p, y, i0, p.ars, mask, true);
                    } else {
                        $step::<K, PAIRS, false>(p, y, i0, p.ars, mask, true);
                    }
                    i0 += 2 * PAIRS;
                }
                for _ in 0..p.m % (2 * PAIRS) / 2 {
                    if i0 + 2 <= full {
                        $step::<K, 1, true>(p, y, i0, p.ars, mask, true);
                    } else {
                        $step::<K, 1, false>(p, y, i0, p.ars, mask, true);
                    }
                    i0 += 2;
                }
                if i0 < p.m {
                    if i0 < full {
                        $step::<K, 1, true>(p, y, i0, 0, mask, false);
                    } else {
                        $step::<K, 1, false>(p, y, i0, 0, mask, false);
                    }
                }
            }
        }

        /// `P` pairs of rows from `i0`: rows `i0 + 2s` and `i0 + 2s + second` of `A` (so
        /// `second = 0` computes one row twice), stored to the first of each pair and, when
        /// `store_second`, to the next row of `C`; full width when `FULL`, else masked.
        ///
        /// # Safety
        ///
        /// As for the paired kernel, with the rows read and written inside `A` and `C`, and
        /// `y` valid.
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        unsafe fn $step<const K: usize, const P: usize, const FULL: bool>(
            p: &Product<$t>,
            y: *const [$vec; K],
            i0: usize,
            second: isize,
            mask: __m128i,
            store_second: bool,
        ) {
            // SAFETY: the caller's contract; whole runs of `$half` elements are loaded only
            // up to column K of each row.
            unsafe {
                let a = p.a.offset(i0 as isize * p.ars);
                let rows: [*const $t; P] =
                    std::array::from_fn(|s| a.offset(2 * s as isize * p.ars));
                let mut acc = [$zero(); P];
                let mut q = 0;
                while q + $half <= K {
                    for (sum, &row) in acc.iter_mut().zip(&rows) {
                        let v = $load_pair(row.add(q), row.offset(second).add(q));
                        for j in 0..$half {
                            *sum = $fmadd($splat(v, j), (*y)[q + j], *sum);
                        }
                    }
                    q += $half;
                }
                while q < K {
                    for (sum, &row) in acc.iter_mut().zip(&rows) {
                        let u = $spread_pair(row.add(q), row.offset(second).add(q));
                        *sum = $fmadd(u, (*y)[q], *sum);
                    }
                    q += 1;
                }
                let c = p.c.offset(i0 as isize * p.crs);
                for (s, &sum) in acc.iter().enumerate() {
                    let c = c.offset(2 * s as isize * p.crs);
                    let (lo, hi) = $halves(sum);
                    if FULL {
                        $storeu(c, lo);
                    } else {
                        $maskstore(c, mask, lo);
                    }
                    if store_second {
                        if FULL {
                            $storeu(c.offset(p.crs), hi);
                        } else {
                            $maskstore(c.offset(p.crs), mask, hi);
                        }
                    }
                }
            }
        }
    };
}

pairs!(
    pairs_f32,
    pair_rows_f32,
    f32,
    __m256,
    4,
    half_mask_f32,
    _mm256_setzero_ps,
    _mm256_fmadd_ps,
    splat_f32,
    load_pair_f32,
    spread_pair_f32,
    halves_f32,
    _mm_maskload_ps,
    _mm_maskstore_ps,
    _mm_storeu_ps,
    gather_half_f32,
    _mm256_set_m128
);
pairs!(
    pairs_f64,
    pair_rows_f64,
    f64,
    __m256d,
    2,
    half_mask_f64,
    _mm256_setzero_pd,
    _mm256_fmadd_pd,
    splat_f64,
    load_pair_f64,
    spread_pair_f64,
    halves_f64,
    _mm_maskload_pd,
    _mm_maskstore_pd,
    _mm_storeu_pd,
    gather_half_f64,
    _mm256_set_m128d
);
