//! Lane masks and gathers shared by the AVX kernels.

use std::arch::x86_64::{
    __m128i, __m256, __m256d, __m256i, _mm_mullo_epi32, _mm_set1_epi32, _mm_setr_epi32,
    _mm256_castsi256_pd, _mm256_castsi256_ps, _mm256_loadu_si256, _mm256_mask_i32gather_pd,
    _mm256_mask_i32gather_ps, _mm256_mullo_epi32, _mm256_set1_epi32, _mm256_setr_epi32,
    _mm256_setzero_pd, _mm256_setzero_ps,
};

/// Eight `-1` then eight `0`: the eight `i32` from offset `8 - cols` select the first `cols`
/// lanes of an f32 vector.
pub(super) static MASK_F32: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
/// As [`MASK_F32`] for the four `i64` lanes of an f64 vector.
pub(super) static MASK_F64: [i64; 8] = [-1, -1, -1, -1, 0, 0, 0, 0];

/// The first `cols` lanes (1 to 8) of an f32 vector, as a load/store mask.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn mask_f32(cols: usize) -> __m256i {
    debug_assert!((1..=8).contains(&cols));
    let cols = cols.clamp(1, 8);
    // SAFETY: the eight `i32` from `8 - cols` (0 to 7) lie inside the 16 of the table, and
    // an unaligned load reads them whatever their alignment.
    unsafe { _mm256_loadu_si256(MASK_F32.as_ptr().add(8 - cols).cast()) }
}

/// The first `cols` lanes (1 to 4) of an f64 vector, as a load/store mask.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn mask_f64(cols: usize) -> __m256i {
    debug_assert!((1..=4).contains(&cols));
    let cols = cols.clamp(1, 4);
    // SAFETY: as in `mask_f32`, with four `i64` from `4 - cols` among the eight of the table.
    unsafe { _mm256_loadu_si256(MASK_F64.as_ptr().add(4 - cols).cast()) }
}

/// The offsets `0, s, …, 7s` of an f32 vector's lanes along a stride `s`, as gather indices
/// (the caller checks that `7s` fits).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn offsets_f32(stride: isize) -> __m256i {
    _mm256_mullo_epi32(
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        _mm256_set1_epi32(stride as i32),
    )
}

/// As [`offsets_f32`] for the four lanes of an f64 vector.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn offsets_f64(stride: isize) -> __m128i {
    _mm_mullo_epi32(_mm_setr_epi32(0, 1, 2, 3), _mm_set1_epi32(stride as i32))
}

/// The lanes of `mask` of an f32 vector from `base` at the `offsets`, zero elsewhere.
///
/// # Safety
///
/// The CPU must support AVX2, and every selected `base + offset` be readable.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) unsafe fn gather_f32(base: *const f32, offsets: __m256i, mask: __m256i) -> __m256 {
    // SAFETY: the caller's contract; unselected lanes are not read.
    unsafe {
        _mm256_mask_i32gather_ps::<4>(
            _mm256_setzero_ps(),
            base,
            offsets,
            _mm256_castsi256_ps(mask),
        )
    }
}

/// As [`gather_f32`] for an f64 vector.
///
/// # Safety
///
/// As for [`gather_f32`].
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) unsafe fn gather_f64(base: *const f64, offsets: __m128i, mask: __m256i) -> __m256d {
    // SAFETY: the caller's contract; unselected lanes are not read.
    unsafe {
        _mm256_mask_i32gather_pd::<8>(
            _mm256_setzero_pd(),
            base,
            offsets,
            _mm256_castsi256_pd(mask),
        )
    }
}
