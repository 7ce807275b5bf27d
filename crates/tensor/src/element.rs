//! The element types a [`Tensor`](crate::Tensor) can do math with: `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use rand_distr::Distribution;
use serde::{Serialize, de::DeserializeOwned};

use crate::vmath;

/// The name of an element type, as stored in files (safetensors, checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DType {
    /// 32-bit IEEE float (the default).
    F32,
    /// 64-bit IEEE float (used by the gradient checker).
    F64,
}

impl DType {
    /// The size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
        })
    }
}

/// A floating-point element type: `f32` or `f64`.
///
/// Everything numeric in this crate is generic over `Float`; it bundles the traits of
/// `num-traits` and `ndarray` that the kernels need, plus a few conversions.
pub trait Float:
    num_traits::Float
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + Serialize
    + DeserializeOwned
    + 'static
{
    /// The type's [`DType`] tag.
    const DTYPE: DType;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` (exact).
    fn as_f64(self) -> f64;
    /// Converts from a `usize` count.
    fn from_usize(v: usize) -> Self {
        Self::from_f64(v as f64)
    }
    /// The error function erf(x).
    fn erf(self) -> Self;
    /// A sample of U\[lo, hi).
    fn sample_uniform<R: rand::Rng + ?Sized>(rng: &mut R, lo: Self, hi: Self) -> Self;
    /// A sample of the standard normal N(0, 1).
    fn sample_standard_normal<R: rand::Rng + ?Sized>(rng: &mut R) -> Self;
    /// Little-endian bytes of a slice of elements (for file formats).
    fn to_le_bytes_vec(data: &[Self]) -> Vec<u8>;
    /// Reads little-endian bytes; `None` when the length is not a multiple of the element size.
    fn from_le_bytes_slice(bytes: &[u8]) -> Option<Vec<Self>>;

    /// `dst[i] = e^src[i]` for every element. `f32` uses a vectorized kernel within 1 ulp
    /// of the exact result (overflow gives +∞, underflow 0, NaN stays NaN); `f64` calls
    /// the standard library per element.
    ///
    /// # Panics
    ///
    /// If the lengths differ.
    fn exp_slice(src: &[Self], dst: &mut [Self]) {
        assert_eq!(src.len(), dst.len(), "exp_slice: lengths differ");
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s.exp();
        }
    }

    /// `dst[i] = ln src[i]` for every element (ln 0 = -∞, negative → NaN). `f32` uses a
    /// vectorized kernel within 1 ulp; `f64` calls the standard library per element.
    ///
    /// # Panics
    ///
    /// If the lengths differ.
    fn ln_slice(src: &[Self], dst: &mut [Self]) {
        assert_eq!(src.len(), dst.len(), "ln_slice: lengths differ");
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s.ln();
        }
    }

    /// `x[i] = e^x[i]` for every element, computed as [`exp_slice`](Float::exp_slice).
    fn exp_in_place(x: &mut [Self]) {
        for v in x.iter_mut() {
            *v = v.exp();
        }
    }

    /// `x[i] = ln x[i]` for every element, computed as [`ln_slice`](Float::ln_slice).
    fn ln_in_place(x: &mut [Self]) {
        for v in x.iter_mut() {
            *v = v.ln();
        }
    }
}

macro_rules! impl_float {
    ($t:ty, $dtype:expr, $erf:path, $n:expr, { $($extra:item)* }) => {
        impl Float for $t {
            const DTYPE: DType = $dtype;
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn as_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn erf(self) -> Self {
                $erf(self)
            }
            #[inline]
            fn sample_uniform<R: rand::Rng + ?Sized>(rng: &mut R, lo: Self, hi: Self) -> Self {
                // rand's `random::<f>()` is U[0, 1) with full mantissa resolution.
                lo + (hi - lo) * rng.random::<$t>()
            }
            #[inline]
            fn sample_standard_normal<R: rand::Rng + ?Sized>(rng: &mut R) -> Self {
                rand_distr::StandardNormal.sample(rng)
            }
            fn to_le_bytes_vec(data: &[Self]) -> Vec<u8> {
                let mut out = Vec::with_capacity(data.len() * $n);
                for v in data {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                out
            }
            fn from_le_bytes_slice(bytes: &[u8]) -> Option<Vec<Self>> {
                if bytes.len() % $n != 0 {
                    return None;
                }
                Some(
                    bytes
                        .chunks_exact($n)
                        .map(|c| {
                            let mut a = [0u8; $n];
                            a.copy_from_slice(c);
                            <$t>::from_le_bytes(a)
                        })
                        .collect(),
                )
            }
            $($extra)*
        }
    };
}

impl_float!(f32, DType::F32, libm::erff, 4, {
    fn exp_slice(src: &[Self], dst: &mut [Self]) {
        vmath::exp_f32_slice(src, dst);
    }
    fn ln_slice(src: &[Self], dst: &mut [Self]) {
        vmath::ln_f32_slice(src, dst);
    }
    fn exp_in_place(x: &mut [Self]) {
        vmath::exp_f32_in_place(x);
    }
    fn ln_in_place(x: &mut [Self]) {
        vmath::ln_f32_in_place(x);
    }
});
impl_float!(f64, DType::F64, libm::erf, 8, {});
