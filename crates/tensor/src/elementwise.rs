//! Elementwise arithmetic with broadcasting, scalar operands, unary math and comparisons.

use std::mem::MaybeUninit;

use ndarray::{ArrayD, IxDyn, Zip};

use crate::broadcast::broadcast_shape_or_panic;
use crate::shape::same_shape;
use crate::tensor::{array_from_vec, contiguous};
use crate::threads::{parallel_chunk_len, parallel_for_each};
use crate::{Float, Tensor};

/// Applies `f` to pairs of elements of `a` and `b`, broadcasting; panics naming `op`.
#[track_caller]
pub(crate) fn zip_map<A: Clone + Sync, B: Clone + Sync, R: Send>(
    op: &str,
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    f: impl Fn(A, B) -> R + Sync,
) -> ArrayD<R> {
    if same_shape(a.shape(), b.shape()) {
        // One element (a scalar loss, a one-unit bias): no layout checks, no loop.
        if a.len() == 1 {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                return array_from_vec(vec![f(x.clone(), y.clone())], a.shape());
            }
        }
        if let (Some(sa), Some(sb)) = (contiguous::as_slice(a), contiguous::as_slice(b)) {
            return array_from_vec(zip_map_contiguous(sa, sb, &f), a.shape());
        }
        return Zip::from(a)
            .and(b)
            .map_collect(|x, y| f(x.clone(), y.clone()));
    }
    let shape = broadcast_shape_or_panic(op, a.shape(), b.shape());
    let av = a.broadcast(IxDyn(&shape)).expect("checked broadcast");
    let bv = b.broadcast(IxDyn(&shape)).expect("checked broadcast");
    Zip::from(&av)
        .and(&bv)
        .map_collect(|x, y| f(x.clone(), y.clone()))
}

/// `f` of each pair of `a` and `b` (equal lengths), collected: [`zip_map`]'s contiguous
/// path, split between the kernel threads when the loop is long enough
/// ([`parallel_chunk_len`]). Each element is computed alone, so the result does not depend
/// on the split.
fn zip_map_contiguous<A: Clone + Sync, B: Clone + Sync, R: Send>(
    a: &[A],
    b: &[B],
    f: &(impl Fn(A, B) -> R + Sync),
) -> Vec<R> {
    let n = a.len().min(b.len());
    match parallel_chunk_len(n) {
        None => crate::vectorized(
            #[inline(always)]
            || zip_map_slices(a, b, f),
        ),
        Some(c) => collect_in_chunks(
            n,
            c,
            #[inline(always)]
            |start, out| {
                let (a, b) = (&a[start..start + out.len()], &b[start..start + out.len()]);
                for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b)) {
                    o.write(f(x.clone(), y.clone()));
                }
            },
        ),
    }
}

/// A `Vec` of `n` elements written by `fill(start, out)` for consecutive chunks `out` of
/// `chunk` elements (the last may be shorter) starting at element `start`, the chunks run
/// on the kernel threads, each in the AVX2 loop when the CPU has it (the caller's choice
/// does not travel with the closure; mark `fill` `#[inline(always)]` so that its loop is
/// compiled into that version). `fill` must write every element of its chunk.
#[allow(unsafe_code)]
fn collect_in_chunks<R: Send>(
    n: usize,
    chunk: usize,
    fill: impl Fn(usize, &mut [MaybeUninit<R>]) + Sync,
) -> Vec<R> {
    let mut out = crate::pool::vec_with_capacity(n);
    let chunks = out.spare_capacity_mut()[..n]
        .chunks_mut(chunk)
        .enumerate()
        .collect();
    parallel_for_each(chunks, |(i, out)| {
        crate::vectorized(
            #[inline(always)]
            || fill(i * chunk, out),
        )
    });
    // SAFETY: the chunks cover the first `n` slots of `out`'s capacity and `fill` wrote
    // every one (a panic in `fill` would have left this function, with `out` still empty).
    unsafe { out.set_len(n) };
    out
}

/// `f` of each pair of `a` and `b` (equal lengths), collected, on the calling thread: the
/// body of [`zip_map_contiguous`]'s serial path, inlined into both versions
/// [`vectorized`](crate::vectorized) compiles.
#[inline(always)]
fn zip_map_slices<A: Clone, B: Clone, R>(a: &[A], b: &[B], f: &impl Fn(A, B) -> R) -> Vec<R> {
    let mut out = crate::pool::vec_with_capacity(a.len().min(b.len()));
    out.extend(a.iter().zip(b).map(|(x, y)| f(x.clone(), y.clone())));
    out
}

/// Applies `f` to each element.
pub(crate) fn map<A: Clone + Sync, R: Send>(a: &ArrayD<A>, f: impl Fn(A) -> R + Sync) -> ArrayD<R> {
    match contiguous::as_slice(a) {
        Some(s) => array_from_vec(map_contiguous(s, &f), a.shape()),
        None => a.map(|x| f(x.clone())),
    }
}

/// `f` of each element of `a`, collected: [`map`]'s contiguous path, split between the
/// kernel threads as [`zip_map_contiguous`] is.
fn map_contiguous<A: Clone + Sync, R: Send>(a: &[A], f: &(impl Fn(A) -> R + Sync)) -> Vec<R> {
    match parallel_chunk_len(a.len()) {
        None => crate::vectorized(
            #[inline(always)]
            || map_slice(a, f),
        ),
        Some(c) => collect_in_chunks(
            a.len(),
            c,
            #[inline(always)]
            |start, out| {
                let a = &a[start..start + out.len()];
                for (o, x) in out.iter_mut().zip(a) {
                    o.write(f(x.clone()));
                }
            },
        ),
    }
}

/// `f` of each element of `a`, collected, on the calling thread: the body of
/// [`map_contiguous`]'s serial path, inlined into both versions
/// [`vectorized`](crate::vectorized) compiles.
#[inline(always)]
fn map_slice<A: Clone, R>(a: &[A], f: &impl Fn(A) -> R) -> Vec<R> {
    let mut out = crate::pool::vec_with_capacity(a.len());
    out.extend(a.iter().map(|x| f(x.clone())));
    out
}

macro_rules! binary_ops {
    ($($(#[$doc:meta])* $name:ident => |$x:ident, $y:ident| $body:expr;)*) => {
        impl<T: Float> Tensor<T> {
            $(
                $(#[$doc])*
                ///
                /// # Panics
                ///
                /// If the shapes cannot be broadcast together.
                #[track_caller]
                pub fn $name(&self, other: &Tensor<T>) -> Tensor<T> {
                    Tensor::from_array(zip_map(stringify!($name), &*self.data, &*other.data, |$x: T, $y: T| $body))
                }
            )*
        }
    };
}

binary_ops! {
    /// Elementwise `self + other` with broadcasting.
    add => |x, y| x + y;
    /// Elementwise `self - other` with broadcasting.
    sub => |x, y| x - y;
    /// Elementwise `self * other` with broadcasting.
    mul => |x, y| x * y;
    /// Elementwise `self / other` with broadcasting.
    div => |x, y| x / y;
    /// Elementwise `self ^ other` with broadcasting.
    pow => |x, y| x.powf(y);
    /// Elementwise maximum with broadcasting (NaN propagates, like `torch.maximum`).
    maximum => |x, y| if x.is_nan() || y.is_nan() { T::nan() } else if x >= y { x } else { y };
    /// Elementwise minimum with broadcasting (NaN propagates, like `torch.minimum`).
    minimum => |x, y| if x.is_nan() || y.is_nan() { T::nan() } else if x <= y { x } else { y };
}

macro_rules! unary_ops {
    ($($(#[$doc:meta])* $name:ident => |$x:ident| $body:expr;)*) => {
        impl<T: Float> Tensor<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Tensor<T> {
                    Tensor::from_array(map(&*self.data, |$x: T| $body))
                }
            )*
        }
    };
}

unary_ops! {
    /// Elementwise `-x`.
    neg => |x| -x;
    /// Elementwise `|x|`.
    abs => |x| x.abs();
    // `exp` and `log` live in `vmath.rs` (vectorized slice kernels).
    /// Elementwise sine.
    sin => |x| x.sin();
    /// Elementwise cosine.
    cos => |x| x.cos();
    /// Elementwise hyperbolic tangent.
    tanh => |x| x.tanh();
    /// Elementwise logistic sigmoid `1 / (1 + e^-x)`, computed without overflow.
    sigmoid => |x| sigmoid(x);
    /// Elementwise `max(x, 0)`; NaN propagates, as in `torch.relu`.
    relu => |x| if x <= T::zero() { T::zero() } else { x };
    /// Elementwise square root.
    sqrt => |x| x.sqrt();
    /// Elementwise `x²`.
    square => |x| x * x;
    /// Elementwise `1 / x`.
    recip => |x| x.recip();
    /// Elementwise sign: -1, 0 or 1 (NaN stays NaN).
    signum => |x| if x.is_nan() { x } else if x > T::zero() { T::one() } else if x < T::zero() { -T::one() } else { T::zero() };
    /// Elementwise error function.
    erf => |x| x.erf();
    /// Elementwise `ln(1 + e^x)`, computed without overflow.
    softplus => |x| softplus(x);
}

/// The logistic sigmoid of one value, stable for large |x|.
pub fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// `ln(1 + e^x)` of one value, stable for large |x|.
pub fn softplus<T: Float>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).exp().ln_1p()
}

impl<T: Float> Tensor<T> {
    /// Elementwise `x^p` for a scalar exponent.
    pub fn powf(&self, p: T) -> Tensor<T> {
        Tensor::from_array(map(&*self.data, |x| x.powf(p)))
    }

    /// Elementwise clamp into `[min, max]`; `None` leaves that side open.
    pub fn clamp(&self, min: Option<T>, max: Option<T>) -> Tensor<T> {
        Tensor::from_array(map(&*self.data, |mut x| {
            if let Some(lo) = min {
                if x < lo {
                    x = lo;
                }
            }
            if let Some(hi) = max {
                if x > hi {
                    x = hi;
                }
            }
            x
        }))
    }

    /// Elementwise `x + s`.
    pub fn add_scalar(&self, s: T) -> Tensor<T> {
        Tensor::from_array(map(&*self.data, |x| x + s))
    }

    /// Elementwise `x * s`.
    pub fn mul_scalar(&self, s: T) -> Tensor<T> {
        Tensor::from_array(map(&*self.data, |x| x * s))
    }

    /// Applies any function elementwise. On a contiguous tensor of at least
    /// [`PARALLEL_MIN_ELEMENTS`](crate::PARALLEL_MIN_ELEMENTS) elements, `f` runs on the
    /// kernel threads (each element once), hence `Sync`.
    pub fn map(&self, f: impl Fn(T) -> T + Sync) -> Tensor<T> {
        Tensor::from_array(map(&*self.data, f))
    }

    /// Applies any function to pairs of elements, broadcasting; panics naming `op`. As with
    /// [`map`](Tensor::map), a long loop runs on the kernel threads.
    #[track_caller]
    pub fn zip_with(&self, other: &Tensor<T>, op: &str, f: impl Fn(T, T) -> T + Sync) -> Tensor<T> {
        Tensor::from_array(zip_map(op, &*self.data, &*other.data, f))
    }

    /// In place: `self += alpha * other` (shapes must match exactly).
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn add_scaled_(&mut self, alpha: T, other: &Tensor<T>) {
        assert!(
            same_shape(self.shape(), other.shape()),
            "add_scaled_: shapes {:?} and {:?} differ",
            self.shape(),
            other.shape()
        );
        if let (Some(a), Some(b)) = (self.as_slice_mut(), other.as_slice()) {
            for (x, &y) in a.iter_mut().zip(b) {
                *x += alpha * y;
            }
        } else {
            Zip::from(&mut *self.data)
                .and(&*other.data)
                .for_each(|x, &y| *x += alpha * y);
        }
    }

    /// In place: `self += other` (shapes must match exactly), as in gradient accumulation.
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn add_assign_(&mut self, other: &Tensor<T>) {
        let (a, b) = (self.shape(), other.shape());
        // One element each (a scalar loss, a bias of one unit), found in one walk over both
        // shapes, which also proves them equal: no layout checks needed.
        if a.len() == b.len() && a.iter().zip(b).all(|(&m, &n)| m == 1 && n == 1) {
            if let (Some(x), Some(&y)) = (self.data.first_mut(), other.data.first()) {
                *x += y;
            }
            return;
        }
        assert!(
            same_shape(a, b),
            "add_assign_: shapes {a:?} and {b:?} differ"
        );
        if let (Some(a), Some(b)) = (self.as_slice_mut(), other.as_slice()) {
            for (x, &y) in a.iter_mut().zip(b) {
                *x += y;
            }
        } else {
            Zip::from(&mut *self.data)
                .and(&*other.data)
                .for_each(|x, &y| *x += y);
        }
    }

    /// In place: sets every element to `value`.
    pub fn fill_(&mut self, value: T) {
        self.data.fill(value);
    }
}

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:tt;)*) => {
        impl<T: Float> Tensor<T> {
            $(
                $(#[$doc])*
                ///
                /// # Panics
                ///
                /// If the shapes cannot be broadcast together.
                #[track_caller]
                pub fn $name(&self, other: &Tensor<T>) -> Tensor<bool> {
                    Tensor::from_array(zip_map(stringify!($name), &*self.data, &*other.data, |x: T, y: T| x $op y))
                }
            )*
        }
    };
}

comparisons! {
    /// Elementwise `self == other` as a mask.
    eq_elem => ==;
    /// Elementwise `self != other` as a mask.
    ne_elem => !=;
    /// Elementwise `self > other` as a mask.
    gt => >;
    /// Elementwise `self >= other` as a mask.
    ge => >=;
    /// Elementwise `self < other` as a mask.
    lt => <;
    /// Elementwise `self <= other` as a mask.
    le => <=;
}

impl<T: Float> Tensor<T> {
    /// Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three
    /// (like `torch.where`).
    ///
    /// # Panics
    ///
    /// If the shapes cannot be broadcast together.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).unwrap();
    /// let zero = Tensor::zeros(&[2]);
    /// let mask = x.gt(&zero);
    /// assert_eq!(Tensor::where_cond(&mask, &x, &zero).to_vec(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn where_cond(cond: &Tensor<bool>, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
        let ab = broadcast_shape_or_panic("where", a.shape(), b.shape());
        let shape = broadcast_shape_or_panic("where", cond.shape(), &ab);
        let c = cond.data.broadcast(IxDyn(&shape)).expect("checked");
        let av = a.data.broadcast(IxDyn(&shape)).expect("checked");
        let bv = b.data.broadcast(IxDyn(&shape)).expect("checked");
        Tensor::from_array(
            Zip::from(&c)
                .and(&av)
                .and(&bv)
                .map_collect(|&c, &x, &y| if c { x } else { y }),
        )
    }
}

impl Tensor<bool> {
    /// The mask as 0/1 values of a float type.
    pub fn to_float<T: Float>(&self) -> Tensor<T> {
        Tensor::from_array(map(&*self.data, |b| if b { T::one() } else { T::zero() }))
    }

    /// Elementwise logical not.
    pub fn not(&self) -> Tensor<bool> {
        Tensor::from_array(map(&*self.data, |b| !b))
    }
}

macro_rules! std_ops {
    ($($trait:ident $method:ident => $inner:ident;)*) => {
        $(
            impl<T: Float> std::ops::$trait<&Tensor<T>> for &Tensor<T> {
                type Output = Tensor<T>;
                #[track_caller]
                fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                    self.$inner(rhs)
                }
            }
            impl<T: Float> std::ops::$trait<Tensor<T>> for Tensor<T> {
                type Output = Tensor<T>;
                #[track_caller]
                fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                    Tensor::$inner(&self, &rhs)
                }
            }
            impl<T: Float> std::ops::$trait<T> for &Tensor<T> {
                type Output = Tensor<T>;
                fn $method(self, rhs: T) -> Tensor<T> {
                    self.$inner(&Tensor::scalar(rhs))
                }
            }
        )*
    };
}

std_ops! {
    Add add => add;
    Sub sub => sub;
    Mul mul => mul;
    Div div => div;
}

impl<T: Float> std::ops::Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

#[cfg(test)]
mod tests;
