//! The [`Tensor`] type: creation, accessors and conversions.

use ndarray::{Array0, Array1, Array2, Array3, Array4, ArrayD, IxDyn, ShapeError};
use serde::{Deserialize, Serialize};
use std::mem::ManuallyDrop;

use crate::{Float, Rng, TensorError};

/// Builds a row-major array of `shape` from `data`, through a fixed-rank array for up to
/// four axes: ndarray computes the strides of an `IxDyn` shape with generic loops over
/// heap-or-inline storage, several times the cost of the fixed-rank constructors, which
/// matters for the many small tensors of a per-op workload. The layout is the same either
/// way (standard strides, all zero when an extent is zero).
///
/// # Errors
///
/// When `data.len()` is not the product of `shape`, or that product overflows.
#[allow(unsafe_code)]
pub(crate) fn try_array_from_vec<T>(
    data: Vec<T>,
    shape: &[usize],
) -> Result<ArrayD<T>, ShapeError> {
    if let [n] = *shape
        && n == data.len()
    {
        // `from_vec` skips the stride validation that `from_shape_vec` runs.
        return Ok(Array1::from_vec(data).into_dyn());
    }
    // The common case, checked here in a few instructions: `data` fills the shape exactly
    // and no extent is 0 (so the product of the non-zero extents is `data.len()`, which
    // fits in `isize`). ndarray's checked constructors test the same, with generic loops;
    // every other case goes to them, for their error.
    let size = shape.iter().try_fold(1usize, |p, &d| p.checked_mul(d));
    if size == Some(data.len()) && !data.is_empty() && data.len() <= isize::MAX as usize {
        // SAFETY: the shape with its standard (row-major) strides addresses exactly the
        // `data.len()` elements of `data`, as established just above.
        return Ok(unsafe {
            match *shape {
                [] => Array0::from_shape_vec_unchecked((), data).into_dyn(),
                [m, n] => Array2::from_shape_vec_unchecked((m, n), data).into_dyn(),
                [a, b, c] => Array3::from_shape_vec_unchecked((a, b, c), data).into_dyn(),
                [a, b, c, d] => Array4::from_shape_vec_unchecked((a, b, c, d), data).into_dyn(),
                _ => ArrayD::from_shape_vec_unchecked(IxDyn(shape), data),
            }
        });
    }
    match *shape {
        [] => Array0::from_shape_vec((), data).map(Array0::into_dyn),
        [n] => Array1::from_shape_vec(n, data).map(Array1::into_dyn),
        [m, n] => Array2::from_shape_vec((m, n), data).map(Array2::into_dyn),
        [a, b, c] => Array3::from_shape_vec((a, b, c), data).map(Array3::into_dyn),
        [a, b, c, d] => Array4::from_shape_vec((a, b, c, d), data).map(Array4::into_dyn),
        _ => ArrayD::from_shape_vec(IxDyn(shape), data),
    }
}

/// [`try_array_from_vec`] for data the caller sized from `shape` itself.
///
/// # Panics
///
/// If `data.len()` is not the product of `shape` (a bug in the caller).
#[track_caller]
pub(crate) fn array_from_vec<T>(data: Vec<T>, shape: &[usize]) -> ArrayD<T> {
    let len = data.len();
    try_array_from_vec(data, shape)
        .unwrap_or_else(|e| panic!("{len} elements do not fill shape {shape:?}: {e}"))
}

/// A `Vec` of `value` repeated once per element of `shape`.
///
/// # Panics
///
/// If the number of elements overflows `usize` (as ndarray's constructors do).
#[track_caller]
fn filled<T: Clone>(shape: &[usize], value: T) -> Vec<T> {
    let n = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .unwrap_or_else(|| panic!("shape {shape:?} has too many elements"));
    vec![value; n]
}

/// An n-dimensional array of elements, stored in an [`ndarray::ArrayD`].
///
/// `Tensor<f32>` (the default) and `Tensor<f64>` do math; `Tensor<usize>` holds indices
/// (class labels, `argmax` results) and `Tensor<bool>` holds masks (comparisons).
/// Shape operations work for every element type.
///
/// Arithmetic follows NumPy/PyTorch broadcasting; an operation on incompatible shapes
/// panics with a message naming the operation and both shapes, pointing at the caller.
///
/// # Examples
///
/// ```
/// use backprop_tensor::Tensor;
///
/// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
/// let b = Tensor::from_vec(vec![10.0, 20.0], &[2]).unwrap();
/// let c = &a + &b; // b is broadcast over the rows of a
/// assert_eq!(c.to_vec(), vec![11.0, 22.0, 13.0, 24.0]);
/// assert_eq!(c.sum_all().item(), 70.0);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<T = f32> {
    /// Dropped by hand (see `Drop`), so that the buffer can be kept for reuse without
    /// building an empty array to leave in its place.
    pub(crate) data: ManuallyDrop<ArrayD<T>>,
}

impl<T> Drop for Tensor<T> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: `data` is not used again: this is the tensor's drop.
        let data = unsafe { ManuallyDrop::take(&mut self.data) };
        crate::pool::recycle(data.into_raw_vec_and_offset().0);
    }
}

impl<T> Tensor<T> {
    /// Wraps an existing `ndarray` array.
    pub fn from_array(data: ArrayD<T>) -> Self {
        Tensor {
            data: ManuallyDrop::new(data),
        }
    }

    /// The shape, one extent per axis (`[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.data.ndim()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        // The product of the extents, as `ArrayD::len` computes it, on the shape slice
        // directly (a third of the instructions for a small tensor).
        self.shape().iter().product()
    }

    /// The underlying array.
    pub fn array(&self) -> &ArrayD<T> {
        &self.data
    }

    /// The underlying array, mutably (for in-place updates such as an optimizer step).
    pub fn array_mut(&mut self) -> &mut ArrayD<T> {
        &mut self.data
    }

    /// Consumes the tensor, returning the underlying array.
    #[allow(unsafe_code)]
    pub fn into_array(self) -> ArrayD<T> {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so `data` is taken out exactly once.
        unsafe { ManuallyDrop::take(&mut this.data) }
    }

    /// The elements as a slice in row-major order, if the storage is contiguous.
    #[inline]
    pub fn as_slice(&self) -> Option<&[T]> {
        contiguous::as_slice(&*self.data)
    }

    /// The elements as a mutable slice in row-major order, if the storage is contiguous.
    #[inline]
    pub fn as_slice_mut(&mut self) -> Option<&mut [T]> {
        contiguous::as_slice_mut(&mut *self.data)
    }
}

impl<T: Clone> Tensor<T> {
    /// Builds a tensor from row-major data and a shape.
    ///
    /// # Errors
    ///
    /// [`TensorError::LengthMismatch`] when `data.len()` is not the product of `shape`,
    /// [`TensorError::ShapeTooLarge`] when that product overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    /// assert_eq!(t.shape(), &[3]);
    /// assert!(Tensor::from_vec(vec![1.0f32, 2.0], &[3]).is_err());
    /// ```
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self, TensorError> {
        // Shapes can come from files (checkpoints, state dicts), so their product is checked:
        // ndarray also refuses shapes whose non-zero axes multiply past `isize::MAX`, even
        // when another axis is 0.
        let too_large = || TensorError::ShapeTooLarge {
            shape: shape.to_vec(),
        };
        let expected = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(too_large)?;
        if data.len() != expected {
            return Err(TensorError::LengthMismatch {
                len: data.len(),
                shape: shape.to_vec(),
                expected,
            });
        }
        let array = try_array_from_vec(data, shape).map_err(|_| too_large())?;
        Ok(Tensor::from_array(array))
    }

    /// A tensor of `shape` with every element equal to `value`.
    #[track_caller]
    pub fn full(shape: &[usize], value: T) -> Self {
        Tensor::from_array(array_from_vec(filled(shape, value), shape))
    }

    /// The elements in row-major order.
    pub fn to_vec(&self) -> Vec<T> {
        match self.as_slice() {
            Some(s) => s.to_vec(),
            None => self.data.iter().cloned().collect(),
        }
    }

    /// The single element of a tensor with one element (any shape).
    ///
    /// # Panics
    ///
    /// If the tensor does not have exactly one element.
    #[track_caller]
    pub fn item(&self) -> T {
        assert!(
            self.numel() == 1,
            "item: tensor of shape {:?} has {} elements, expected exactly 1",
            self.shape(),
            self.numel()
        );
        self.data.iter().next().cloned().expect("one element")
    }

    /// The storage in standard (row-major, contiguous) layout, copying only if needed.
    pub fn to_contiguous(&self) -> Self {
        if self.data.is_standard_layout() {
            self.clone()
        } else {
            Tensor::from_array(self.data.as_standard_layout().into_owned())
        }
    }
}

impl<T: Float> Tensor<T> {
    /// A tensor of zeros.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let z = Tensor::<f32>::zeros(&[2, 3]);
    /// assert_eq!(z.to_vec(), vec![0.0; 6]);
    /// ```
    #[track_caller]
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::zero())
    }

    /// A tensor of ones.
    #[track_caller]
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::one())
    }

    /// A zero-dimensional tensor holding one value.
    pub fn scalar(value: T) -> Self {
        Tensor::from_array(array_from_vec(vec![value], &[]))
    }

    /// A tensor of zeros with the shape of `self`.
    pub fn zeros_like(&self) -> Self {
        Self::zeros(self.shape())
    }

    /// A tensor of ones with the shape of `self`.
    pub fn ones_like(&self) -> Self {
        Self::ones(self.shape())
    }

    /// The values `start, start + step, ...` below `end` (like `torch.arange`).
    ///
    /// # Panics
    ///
    /// If `step` is zero or has the wrong sign for the range.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// assert_eq!(Tensor::<f32>::arange(0.0, 2.0, 0.5).to_vec(), vec![0.0, 0.5, 1.0, 1.5]);
    /// ```
    #[track_caller]
    pub fn arange(start: T, end: T, step: T) -> Self {
        assert!(
            step != T::zero() && (end - start) * step >= T::zero(),
            "arange: step {step} cannot go from {start} to {end}"
        );
        let n = ((end - start) / step).ceil().as_f64().max(0.0) as usize;
        let v: Vec<T> = (0..n).map(|i| start + step * T::from_usize(i)).collect();
        Tensor::from_array(array_from_vec(v, &[n]))
    }

    /// `n` evenly spaced values from `start` to `end` inclusive.
    pub fn linspace(start: T, end: T, n: usize) -> Self {
        let v: Vec<T> = match n {
            0 => vec![],
            1 => vec![start],
            _ => {
                let step = (end - start) / T::from_usize(n - 1);
                (0..n).map(|i| start + step * T::from_usize(i)).collect()
            }
        };
        Tensor::from_array(array_from_vec(v, &[n]))
    }

    /// The `n × n` identity matrix.
    pub fn eye(n: usize) -> Self {
        let mut t = Self::zeros(&[n, n]);
        for i in 0..n {
            t.data[[i, i]] = T::one();
        }
        t
    }

    /// Samples of U\[0, 1).
    pub fn rand(shape: &[usize], rng: &mut Rng) -> Self {
        Self::uniform(shape, T::zero(), T::one(), rng)
    }

    /// Samples of the standard normal N(0, 1).
    pub fn randn(shape: &[usize], rng: &mut Rng) -> Self {
        Self::normal(shape, T::zero(), T::one(), rng)
    }

    /// Samples of U\[low, high).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::{Rng, Tensor};
    /// let mut rng = Rng::seed_from_u64(0);
    /// let t = Tensor::<f32>::uniform(&[100], -0.5, 0.5, &mut rng);
    /// assert!(t.to_vec().iter().all(|&x| (-0.5..0.5).contains(&x)));
    /// ```
    pub fn uniform(shape: &[usize], low: T, high: T, rng: &mut Rng) -> Self {
        let n: usize = shape.iter().product();
        let r = rng.inner_mut();
        let v: Vec<T> = (0..n).map(|_| T::sample_uniform(r, low, high)).collect();
        Tensor::from_array(array_from_vec(v, shape))
    }

    /// Samples of N(mean, std²).
    pub fn normal(shape: &[usize], mean: T, std: T, rng: &mut Rng) -> Self {
        let n: usize = shape.iter().product();
        let r = rng.inner_mut();
        let v: Vec<T> = (0..n)
            .map(|_| mean + std * T::sample_standard_normal(r))
            .collect();
        Tensor::from_array(array_from_vec(v, shape))
    }

    /// Converts every element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor::from_array(self.data.mapv(|x| U::from_f64(x.as_f64())))
    }

    /// True when every element is finite (no NaN or ±Inf).
    pub fn all_finite(&self) -> bool {
        match self.data.as_slice_memory_order() {
            Some(s) => s.iter().all(|x| x.is_finite()),
            None => self.data.iter().all(|x| x.is_finite()),
        }
    }

    /// True when both tensors have the same shape and every pair of elements satisfies
    /// `|a - b| <= atol + rtol * |b|`.
    pub fn allclose(&self, other: &Tensor<T>, rtol: f64, atol: f64) -> bool {
        self.shape() == other.shape()
            && self.data.iter().zip(other.data.iter()).all(|(&a, &b)| {
                let (a, b) = (a.as_f64(), b.as_f64());
                (a - b).abs() <= atol + rtol * b.abs() || (a.is_nan() && b.is_nan())
            })
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor(shape={:?}, {:?})", self.shape(), self.data)
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", *self.data)
    }
}

impl<T> From<ArrayD<T>> for Tensor<T> {
    fn from(data: ArrayD<T>) -> Self {
        Tensor::from_array(data)
    }
}

/// The serialized form: shape plus row-major data.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Tensor")]
struct TensorRepr<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T: Clone + Serialize> Serialize for Tensor<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TensorRepr {
            shape: self.shape().to_vec(),
            data: self.to_vec(),
        }
        .serialize(s)
    }
}

impl<'de, T: Clone + Deserialize<'de>> Deserialize<'de> for Tensor<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = TensorRepr::<T>::deserialize(d)?;
        Tensor::from_vec(r.data, &r.shape).map_err(serde::de::Error::custom)
    }
}

pub(crate) mod contiguous;
#[cfg(test)]
mod tests;
