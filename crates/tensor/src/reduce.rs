//! Reductions over all elements or chosen axes: sum, mean, max, min, argmax, argmin, var.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::{Float, Tensor};

/// Sorted, de-duplicated axes; panics naming `op` when one is out of range.
#[track_caller]
pub(crate) fn normalize_axes(op: &str, axes: &[usize], shape: &[usize]) -> Vec<usize> {
    let mut v = axes.to_vec();
    v.sort_unstable();
    v.dedup();
    if let Some(&bad) = v.iter().find(|&&a| a >= shape.len()) {
        panic!("{op}: axis {bad} is out of range for a tensor of shape {shape:?}");
    }
    v
}

/// The sum of a slice with eight interleaved partial sums (element `i` goes to partial
/// `i mod 8`), added pairwise at the end: the loop vectorizes, the rounding error grows more
/// slowly than a running sum's, and the order depends only on the length.
fn sum_slice<T: Float>(s: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let chunks = s.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    for (a, &v) in acc.iter_mut().zip(tail) {
        *a += v;
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// Adds the rows of `block` (`out.len()` elements each) into `out`, in order: each output
/// element is the running sum down its column, which is the order PyTorch's CPU reduction
/// over an outer axis uses (vectorized across the row). Grouping rows into partial sums
/// vectorizes narrow rows better, but moved W1's trained weights away from PyTorch's by
/// more than the parity test allows (Adam amplifies rounding differences in small
/// gradients), so the order is kept.
///
/// Rows of at most [`NARROW`] columns (a bias gradient: W1's 8, 9 or 3) are too short for
/// the loop over a row to pay off; they go to [`sum_narrow_rows`], whose width is a
/// constant. Both run eight lanes wide with AVX2 when the CPU has it (the same additions in
/// the same order, the same bits).
fn sum_rows<T: Float>(block: &[T], out: &mut [T]) {
    crate::vectorized(
        #[inline(always)]
        || sum_rows_loop(block, out),
    );
}

/// The body of [`sum_rows`], inlined into both of its compiled versions.
#[inline(always)]
fn sum_rows_loop<T: Float>(block: &[T], out: &mut [T]) {
    macro_rules! narrow {
        ($($w:literal)*) => {
            match out.len() {
                $($w => return sum_narrow_rows::<T, $w>(block, out),)*
                _ => {}
            }
        };
    }
    narrow!(2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
    for row in block.chunks_exact(out.len()) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// The widest rows [`sum_rows`] sums with a constant width.
const NARROW: usize = 32;

/// [`sum_rows`] for rows of `W` columns: the `W` running sums stay in registers across the
/// rows and each row is added to them at once (vectorized across the columns), so every
/// column is still summed down the rows in order, bitwise as the plain loop does.
#[inline(always)]
fn sum_narrow_rows<T: Float, const W: usize>(block: &[T], out: &mut [T]) {
    debug_assert!(W <= NARROW);
    let mut acc: [T; W] = out.try_into().expect("W output columns");
    for row in block.chunks_exact(W) {
        let row: &[T; W] = row.try_into().expect("rows of W columns");
        for (a, &v) in acc.iter_mut().zip(row) {
            *a += v;
        }
    }
    out.copy_from_slice(&acc);
}

/// `a` (a reduction's result) with the same elements in row-major order under `shape`,
/// which has the same number of elements. A result computed from a non-contiguous input
/// can come out in another memory order, which is copied to row-major first.
fn reshape_row_major<A: Clone>(a: ArrayD<A>, shape: &[usize]) -> ArrayD<A> {
    let a = if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    };
    a.into_shape_with_order(IxDyn(shape))
        .expect("a reduction keeps the number of elements")
}

/// The shape after reducing `axes` (kept as extent 1 when `keepdim`).
pub fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(shape.len());
    for (i, &d) in shape.iter().enumerate() {
        if axes.contains(&i) {
            if keepdim {
                out.push(1);
            }
        } else {
            out.push(d);
        }
    }
    out
}

impl<T: Float> Tensor<T> {
    fn fold_axes(
        &self,
        op: &str,
        axes: &[usize],
        keepdim: bool,
        f: impl Fn(&ArrayD<T>, Axis) -> ArrayD<T>,
    ) -> Tensor<T> {
        let axes = normalize_axes(op, axes, self.shape());
        // The first reduction reads the input in place; only its (smaller) results are owned.
        let mut reduced: Option<ArrayD<T>> = None;
        for &a in axes.iter().rev() {
            reduced = Some(f(reduced.as_ref().unwrap_or(&*self.data), Axis(a)));
        }
        let data = reduced.unwrap_or_else(|| (*self.data).clone());
        let shape = reduced_shape(self.shape(), &axes, keepdim);
        Tensor::from_array(reshape_row_major(data, &shape))
    }

    /// The sum of all elements, as a 0-d tensor.
    pub fn sum_all(&self) -> Tensor<T> {
        let s = match self.data.as_slice_memory_order() {
            Some(s) => sum_slice(s),
            None => self.data.iter().fold(T::zero(), |a, &b| a + b),
        };
        Tensor::scalar(s)
    }

    /// The mean of all elements, as a 0-d tensor (NaN for an empty tensor).
    pub fn mean_all(&self) -> Tensor<T> {
        Tensor::scalar(self.sum_all().item() / T::from_usize(self.numel()))
    }

    /// Sums over `axes`; with `keepdim` the reduced axes stay with extent 1.
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let t = Tensor::<f32>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(t.sum(&[1], false).to_vec(), vec![3.0, 12.0]);
    /// assert_eq!(t.sum(&[0], true).shape(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn sum(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        if let ([axis], Some(x)) = (axes, self.as_slice())
            && *axis < self.ndim()
        {
            return self.sum_contiguous_axis(x, *axis, keepdim);
        }
        self.fold_axes("sum", axes, keepdim, |d, a| d.sum_axis(a))
    }

    /// [`sum`](Tensor::sum) over one axis of a row-major tensor, on slices: the input is
    /// `[outer, n, inner]` around the axis, and each output row is the sum of the `n` input
    /// rows of `inner` elements, added in order (vectorized across the row).
    fn sum_contiguous_axis(&self, x: &[T], axis: usize, keepdim: bool) -> Tensor<T> {
        let shape = self.shape();
        let n = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let outer: usize = shape[..axis].iter().product();
        // Not `vec!` (glibc's `calloc`, which skips its per-thread cache of small blocks).
        let mut out = crate::pool::vec_with_capacity(outer * inner);
        out.resize(outer * inner, T::zero());
        if inner == 1 {
            for (o, lane) in out.iter_mut().zip(x.chunks_exact(n.max(1))) {
                *o = sum_slice(lane);
            }
        } else if n > 0 {
            for (out_row, block) in out.chunks_exact_mut(inner).zip(x.chunks_exact(n * inner)) {
                sum_rows(block, out_row);
            }
        }
        // The reduced shape on the stack (no allocation) for up to eight axes.
        let mut dims = [0usize; 8];
        let out_shape: Vec<usize>;
        let out_shape: &[usize] = if shape.len() <= dims.len() {
            let mut len = 0;
            for (i, &d) in shape.iter().enumerate() {
                if i != axis || keepdim {
                    dims[len] = if i == axis { 1 } else { d };
                    len += 1;
                }
            }
            &dims[..len]
        } else {
            out_shape = reduced_shape(shape, &[axis], keepdim);
            &out_shape
        };
        Tensor::from_vec(out, out_shape).expect("reduced shape has outer·inner elements")
    }

    /// Means over `axes`.
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    #[track_caller]
    pub fn mean(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        if let ([0], [count], Some(x), false) = (axes, self.shape(), self.as_slice(), keepdim) {
            // The vector case below, without sorting the axes first.
            return Tensor::scalar(sum_slice(x) * (T::one() / T::from_usize(*count)));
        }
        let axes_n = normalize_axes("mean", axes, self.shape());
        let count: usize = axes_n.iter().map(|&a| self.shape()[a]).product();
        if let ([0], [_], Some(x)) = (axes_n.as_slice(), self.shape(), self.as_slice()) {
            // A whole contiguous vector (a batch of losses): the sum `sum` computes for it,
            // times 1/n, without the intermediate tensor.
            let mean = sum_slice(x) * (T::one() / T::from_usize(count));
            return Tensor::from_vec(vec![mean], if keepdim { &[1] } else { &[] })
                .expect("one value");
        }
        let s = self.sum(&axes_n, keepdim);
        s.mul_scalar(T::one() / T::from_usize(count))
    }

    /// Maxima over `axes` (NaN propagates).
    ///
    /// # Panics
    ///
    /// If an axis is out of range or has extent 0.
    #[track_caller]
    pub fn max(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        self.check_nonempty("max", axes);
        self.fold_axes("max", axes, keepdim, |d, a| {
            d.fold_axis(a, T::neg_infinity(), |&m, &x| {
                if x.is_nan() || m.is_nan() {
                    T::nan()
                } else if x > m {
                    x
                } else {
                    m
                }
            })
        })
    }

    /// Minima over `axes` (NaN propagates).
    ///
    /// # Panics
    ///
    /// If an axis is out of range or has extent 0.
    #[track_caller]
    pub fn min(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        self.check_nonempty("min", axes);
        self.fold_axes("min", axes, keepdim, |d, a| {
            d.fold_axis(a, T::infinity(), |&m, &x| {
                if x.is_nan() || m.is_nan() {
                    T::nan()
                } else if x < m {
                    x
                } else {
                    m
                }
            })
        })
    }

    #[track_caller]
    fn check_nonempty(&self, op: &str, axes: &[usize]) {
        let axes = normalize_axes(op, axes, self.shape());
        if let Some(&a) = axes.iter().find(|&&a| self.shape()[a] == 0) {
            panic!(
                "{op}: cannot reduce axis {a} of extent 0 (shape {:?})",
                self.shape()
            );
        }
    }

    /// The largest element, as a 0-d tensor.
    ///
    /// # Panics
    ///
    /// If the tensor is empty.
    #[track_caller]
    pub fn max_all(&self) -> Tensor<T> {
        let axes: Vec<usize> = (0..self.ndim()).collect();
        assert!(self.numel() > 0, "max_all: empty tensor");
        self.max(&axes, false)
    }

    /// The smallest element, as a 0-d tensor.
    ///
    /// # Panics
    ///
    /// If the tensor is empty.
    #[track_caller]
    pub fn min_all(&self) -> Tensor<T> {
        let axes: Vec<usize> = (0..self.ndim()).collect();
        assert!(self.numel() > 0, "min_all: empty tensor");
        self.min(&axes, false)
    }

    /// Variance over `axes` with `correction` (1 = unbiased, PyTorch's default; 0 = population).
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]).unwrap();
    /// assert_eq!(t.var(&[0], 1, false).item(), 5.0 / 3.0);
    /// ```
    #[track_caller]
    pub fn var(&self, axes: &[usize], correction: usize, keepdim: bool) -> Tensor<T> {
        let axes_n = normalize_axes("var", axes, self.shape());
        let count: usize = axes_n.iter().map(|&a| self.shape()[a]).product();
        let mean = self.mean(&axes_n, true);
        let d = self.sub(&mean);
        let ss = d.mul(&d).sum(&axes_n, keepdim);
        let denom = T::from_usize(count.saturating_sub(correction));
        ss.map(|x| x / denom)
    }

    /// Index of the largest element along `axis` (the first one on ties), like `torch.argmax`.
    ///
    /// # Panics
    ///
    /// If the axis is out of range or has extent 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![0.1f32, 0.7, 0.2, 0.9, 0.05, 0.05], &[2, 3]).unwrap();
    /// assert_eq!(t.argmax(1, false).to_vec(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn argmax(&self, axis: usize, keepdim: bool) -> Tensor<usize> {
        self.arg_best("argmax", axis, keepdim, |x, best| x > best)
    }

    /// Index of the smallest element along `axis` (the first one on ties).
    ///
    /// # Panics
    ///
    /// If the axis is out of range or has extent 0.
    #[track_caller]
    pub fn argmin(&self, axis: usize, keepdim: bool) -> Tensor<usize> {
        self.arg_best("argmin", axis, keepdim, |x, best| x < best)
    }

    #[track_caller]
    fn arg_best(
        &self,
        op: &str,
        axis: usize,
        keepdim: bool,
        better: impl Fn(T, T) -> bool,
    ) -> Tensor<usize> {
        self.check_nonempty(op, &[axis]);
        let out = self.data.map_axis(Axis(axis), |lane| {
            let mut best = 0;
            let mut bv = lane[0];
            for (i, &x) in lane.iter().enumerate().skip(1) {
                if bv.is_nan() {
                    break;
                }
                if x.is_nan() || better(x, bv) {
                    best = i;
                    bv = x;
                }
            }
            best
        });
        let shape = reduced_shape(self.shape(), &[axis], keepdim);
        Tensor::from_array(reshape_row_major(out, &shape))
    }
}

#[cfg(test)]
mod tests;
