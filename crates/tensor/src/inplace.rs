//! In-place elementwise updates: the backward rules of elementwise ops reuse the buffer of
//! the gradient they receive instead of allocating a new one.

use ndarray::{IxDyn, Zip};

use crate::shape::same_shape;
use crate::threads::{parallel_chunk_len, parallel_for_each};
use crate::{Float, Tensor};

impl<T: Float> Tensor<T> {
    /// [`sum_to`](Tensor::sum_to) that hands `self` back when it already has `shape`
    /// (no copy): how a backward rule passes a gradient through to a non-broadcast input.
    ///
    /// # Panics
    ///
    /// As [`sum_to`](Tensor::sum_to), if `self`'s shape is not a broadcast of `shape`.
    #[track_caller]
    pub fn into_sum_to(self, shape: &[usize]) -> Tensor<T> {
        if same_shape(self.shape(), shape) {
            self
        } else {
            self.sum_to(shape)
        }
    }

    /// In place: `x ← f(x)` for every element. On a contiguous tensor of at least
    /// [`PARALLEL_MIN_ELEMENTS`](crate::PARALLEL_MIN_ELEMENTS) elements, `f` runs on the
    /// kernel threads (each element once), hence `Sync`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let mut t = Tensor::from_vec(vec![1.0f32, -2.0], &[2]).unwrap();
    /// t.map_(|x| 3.0 * x);
    /// assert_eq!(t.to_vec(), vec![3.0, -6.0]);
    /// ```
    pub fn map_(&mut self, f: impl Fn(T) -> T + Sync) {
        let Some(s) = self.as_slice_mut() else {
            self.data.map_inplace(|x| *x = f(*x));
            return;
        };
        match parallel_chunk_len(s.len()) {
            None => crate::vectorized(
                #[inline(always)]
                || map_slice_(s, &f),
            ),
            // Each kernel thread picks the AVX2 loop again.
            Some(c) => parallel_for_each(s.chunks_mut(c).collect(), |s| {
                crate::vectorized(
                    #[inline(always)]
                    || map_slice_(s, &f),
                )
            }),
        }
    }

    /// In place: `x ← f(x, y)` for every element `x` of `self` and the matching element `y`
    /// of `other`, which must have `self`'s shape or broadcast to it. As with
    /// [`map_`](Tensor::map_), a long loop over equal shapes runs on the kernel threads.
    ///
    /// # Panics
    ///
    /// If `other` does not broadcast to `self`'s shape (the message names `op` and both
    /// shapes).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let mut g = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// let y = Tensor::from_vec(vec![10.0f32, 0.0], &[2]).unwrap();
    /// g.zip_with_(&y, "mask", |g, y| if y > 0.0 { g } else { 0.0 });
    /// assert_eq!(g.to_vec(), vec![1.0, 0.0, 3.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn zip_with_(&mut self, other: &Tensor<T>, op: &str, f: impl Fn(T, T) -> T + Sync) {
        if same_shape(self.shape(), other.shape()) {
            if let (Some(a), Some(b)) = (self.as_slice_mut(), other.as_slice()) {
                match parallel_chunk_len(a.len()) {
                    None => crate::vectorized(
                        #[inline(always)]
                        || zip_with_slices(a, b, &f),
                    ),
                    Some(c) => {
                        parallel_for_each(a.chunks_mut(c).zip(b.chunks(c)).collect(), |(a, b)| {
                            crate::vectorized(
                                #[inline(always)]
                                || zip_with_slices(a, b, &f),
                            )
                        })
                    }
                }
                return;
            }
        }
        let Some(b) = other.data.broadcast(IxDyn(self.shape())) else {
            panic!(
                "{op}: shape {:?} cannot be broadcast to {:?}",
                other.shape(),
                self.shape()
            )
        };
        Zip::from(&mut *self.data)
            .and(&b)
            .for_each(|x, &y| *x = f(*x, y));
    }
}

/// Elements per chunk of the in-place loops: one AVX2 vector of `f32`, two of `f64`.
const CHUNK: usize = 8;

/// `x ← f(x)` over `a`: the body of [`Tensor::map_`]'s contiguous path, inlined into both
/// versions [`vectorized`](crate::vectorized) compiles. Writes as [`zip_with_slices`] does.
#[inline(always)]
#[allow(unsafe_code)]
fn map_slice_<T: Float>(a: &mut [T], f: &impl Fn(T) -> T) {
    let whole = a.len() - a.len() % CHUNK;
    let src = a.as_ptr();
    let dst = std::hint::black_box(a.as_mut_ptr());
    for i in (0..whole).step_by(CHUNK) {
        // SAFETY: as in `zip_with_slices`.
        unsafe {
            let x: [T; CHUNK] = std::ptr::read_unaligned(src.add(i).cast());
            let mut r = x;
            for l in 0..CHUNK {
                r[l] = f(x[l]);
            }
            std::ptr::write_unaligned(dst.add(i).cast::<[T; CHUNK]>(), r);
        }
    }
    for x in &mut a[whole..] {
        *x = f(*x);
    }
}

/// `x ← f(x, y)` over `a` and `b` (equal lengths): the body of [`Tensor::zip_with_`]'s
/// contiguous path, inlined into both versions [`vectorized`](crate::vectorized) compiles.
///
/// [`CHUNK`] elements at a time, each chunk read and then written whole, the writes through
/// a pointer the optimizer cannot see is `a`'s. Were it visible, a rule that keeps some
/// elements as they are (`relu`'s backward keeps the gradient where the output is positive)
/// would be compiled into a masked store of the changed lanes only (`vmaskmovps`), several
/// times slower than a plain store on Intel cores and never forwarded to the next op's
/// loads: W1's two ReLU backward passes took 6 % of its time that way.
#[inline(always)]
#[allow(unsafe_code)]
fn zip_with_slices<T: Float>(a: &mut [T], b: &[T], f: &impl Fn(T, T) -> T) {
    assert_eq!(a.len(), b.len(), "zip_with_: lengths differ");
    let whole = a.len() - a.len() % CHUNK;
    let src = a.as_ptr();
    let dst = std::hint::black_box(a.as_mut_ptr());
    for (i, y) in (0..whole).step_by(CHUNK).zip(b.chunks_exact(CHUNK)) {
        let y: [T; CHUNK] = y.try_into().expect("chunks of CHUNK elements");
        // SAFETY: `i + CHUNK <= a.len()`, so the read and the write stay inside `a`, which
        // this function borrows mutably and does not touch through a reference until the
        // loop ends; the chunk is read into a local before it is written; `T` is `Copy`.
        unsafe {
            let x: [T; CHUNK] = std::ptr::read_unaligned(src.add(i).cast());
            let mut r = x;
            for l in 0..CHUNK {
                r[l] = f(x[l], y[l]);
            }
            std::ptr::write_unaligned(dst.add(i).cast::<[T; CHUNK]>(), r);
        }
    }
    for (x, &y) in a[whole..].iter_mut().zip(&b[whole..]) {
        *x = f(*x, y);
    }
}

#[cfg(test)]
mod tests {
    use crate::simd::{awkward_values, bits};
    use crate::{Float, Tensor};

    /// `zip_with_` and `map_` on contiguous tensors (the loops compiled with AVX2 when the
    /// CPU has it) give bitwise what a plain scalar loop gives, for the masks and products
    /// the backward rules use.
    fn in_place_loops_match_scalar_loops<T: Float>() {
        let relu_mask = |g: T, y: T| if y > T::zero() { g } else { T::zero() };
        let product = |g: T, y: T| g * y;
        for n in 0..70 {
            let (x, y) = (awkward_values::<T>(n, 4), awkward_values::<T>(n, 5));
            for (name, f) in [
                ("mask", &relu_mask as &(dyn Fn(T, T) -> T + Sync)),
                ("mul", &product),
            ] {
                let mut t = Tensor::from_vec(x.clone(), &[n]).unwrap();
                t.zip_with_(&Tensor::from_vec(y.clone(), &[n]).unwrap(), name, f);
                let want: Vec<T> = x.iter().zip(&y).map(|(&a, &b)| f(a, b)).collect();
                assert_eq!(bits(&t.to_vec()), bits(&want), "{name} of {n}");
            }
            let mut t = Tensor::from_vec(x.clone(), &[n]).unwrap();
            t.map_(|v| v.abs() - T::one());
            let want: Vec<T> = x.iter().map(|&v| v.abs() - T::one()).collect();
            assert_eq!(bits(&t.to_vec()), bits(&want), "map_ of {n}");
        }
    }

    #[test]
    fn in_place_loops_match_scalar_loops_f32() {
        in_place_loops_match_scalar_loops::<f32>();
    }

    #[test]
    fn in_place_loops_match_scalar_loops_f64() {
        in_place_loops_match_scalar_loops::<f64>();
    }

    #[test]
    fn in_place_updates_match_the_allocating_ones() {
        let a = Tensor::<f64>::arange(0.0, 12.0, 1.0).reshape(&[3, 4]);
        let b = Tensor::<f64>::arange(-2.0, 2.0, 1.0);
        let mut c = a.clone();
        c.zip_with_(&b, "mul", |x, y| x * y);
        assert_eq!(c, a.mul(&b));
        // A transposed (non-contiguous) target takes the general path.
        let mut t = a.t();
        t.zip_with_(&a.t(), "add", |x, y| x + y);
        assert_eq!(t, a.t().mul_scalar(2.0));
        let mut m = a.t();
        m.map_(|x| -x);
        assert_eq!(m, a.t().neg());
    }

    #[test]
    #[should_panic(expected = "mask: shape [3] cannot be broadcast to [2, 2]")]
    fn a_shape_that_does_not_broadcast_is_refused() {
        let mut g = Tensor::<f32>::zeros(&[2, 2]);
        g.zip_with_(&Tensor::zeros(&[3]), "mask", |g, _| g);
    }
}
