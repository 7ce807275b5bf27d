//! Shape operations: reshape, permute, squeeze, concat, stack, narrow, index_select, gather.

use ndarray::{ArrayD, Axis, IxDyn, Slice, Zip};

use crate::tensor::array_from_vec;
use crate::{Float, Tensor};

/// Whether two shapes are equal, compared axis by axis inline (slice equality on `usize`
/// calls `memcmp`, which costs more than the comparison itself for the few axes of a shape).
#[inline]
pub(crate) fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Panics unless `axis` names an axis of a tensor with `ndim` axes.
#[track_caller]
fn check_axis(op: &str, axis: usize, ndim: usize, shape: &[usize]) {
    assert!(
        axis < ndim,
        "{op}: axis {axis} is out of range for a tensor of shape {shape:?}"
    );
}

impl<T: Clone> Tensor<T> {
    /// The same elements in a new shape (row-major order).
    ///
    /// # Panics
    ///
    /// If the number of elements differs.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let t = Tensor::<f32>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(t.shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Tensor<T> {
        let n: usize = shape.iter().product();
        assert!(
            n == self.numel(),
            "reshape: cannot reshape a tensor of shape {:?} ({} elements) to {:?} ({} elements)",
            self.shape(),
            self.numel(),
            shape,
            n
        );
        let data = self.to_contiguous_vec();
        Tensor::from_array(array_from_vec(data, shape))
    }

    fn to_contiguous_vec(&self) -> Vec<T> {
        match self.as_slice() {
            Some(s) => s.to_vec(),
            None => self.data.iter().cloned().collect(),
        }
    }

    /// Reorders the axes: axis `i` of the result is axis `axes[i]` of `self`.
    ///
    /// # Panics
    ///
    /// If `axes` is not a permutation of `0..ndim`.
    #[track_caller]
    pub fn permute(&self, axes: &[usize]) -> Tensor<T> {
        let mut seen = vec![false; self.ndim()];
        let ok = axes.len() == self.ndim()
            && axes
                .iter()
                .all(|&a| a < seen.len() && !std::mem::replace(&mut seen[a], true));
        assert!(
            ok,
            "permute: {axes:?} is not a permutation of the axes of a tensor of shape {:?}",
            self.shape()
        );
        let view = self.data.view().permuted_axes(IxDyn(axes));
        Tensor::from_array(view.as_standard_layout().into_owned())
    }

    /// Swaps two axes.
    ///
    /// # Panics
    ///
    /// If an axis is out of range.
    #[track_caller]
    pub fn transpose(&self, a: usize, b: usize) -> Tensor<T> {
        check_axis("transpose", a, self.ndim(), self.shape());
        check_axis("transpose", b, self.ndim(), self.shape());
        let mut axes: Vec<usize> = (0..self.ndim()).collect();
        axes.swap(a, b);
        self.permute(&axes)
    }

    /// The transpose of a 2-D tensor.
    ///
    /// # Panics
    ///
    /// If the tensor is not 2-D.
    #[track_caller]
    pub fn t(&self) -> Tensor<T> {
        assert!(
            self.ndim() == 2,
            "t: expected a 2-D tensor, got shape {:?}",
            self.shape()
        );
        self.transpose(0, 1)
    }

    /// Removes axis `axis`, which must have extent 1.
    ///
    /// # Panics
    ///
    /// If the axis is out of range or its extent is not 1.
    #[track_caller]
    pub fn squeeze(&self, axis: usize) -> Tensor<T> {
        check_axis("squeeze", axis, self.ndim(), self.shape());
        assert!(
            self.shape()[axis] == 1,
            "squeeze: axis {axis} of shape {:?} has extent {}, not 1",
            self.shape(),
            self.shape()[axis]
        );
        Tensor::from_array((*self.data).clone().remove_axis(Axis(axis)))
    }

    /// Inserts a new axis of extent 1 at position `axis` (`0..=ndim`).
    ///
    /// # Panics
    ///
    /// If `axis > ndim`.
    #[track_caller]
    pub fn unsqueeze(&self, axis: usize) -> Tensor<T> {
        assert!(
            axis <= self.ndim(),
            "unsqueeze: axis {axis} is out of range for a tensor of shape {:?}",
            self.shape()
        );
        Tensor::from_array((*self.data).clone().insert_axis(Axis(axis)))
    }

    /// Joins tensors along an existing axis.
    ///
    /// # Panics
    ///
    /// If `tensors` is empty, or the shapes differ outside `axis`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let a = Tensor::<f32>::zeros(&[2, 3]);
    /// let b = Tensor::<f32>::ones(&[1, 3]);
    /// assert_eq!(Tensor::concat(&[&a, &b], 0).shape(), &[3, 3]);
    /// ```
    #[track_caller]
    pub fn concat(tensors: &[&Tensor<T>], axis: usize) -> Tensor<T> {
        assert!(!tensors.is_empty(), "concat: no tensors given");
        let first = tensors[0].shape();
        check_axis("concat", axis, first.len(), first);
        for t in tensors {
            let s = t.shape();
            let ok = s.len() == first.len()
                && s.iter()
                    .zip(first)
                    .enumerate()
                    .all(|(i, (a, b))| i == axis || a == b);
            assert!(
                ok,
                "concat: shapes {first:?} and {s:?} differ outside axis {axis}"
            );
        }
        let views: Vec<_> = tensors.iter().map(|t| t.data.view()).collect();
        Tensor::from_array(ndarray::concatenate(Axis(axis), &views).expect("checked"))
    }

    /// Joins tensors of the same shape along a new axis.
    ///
    /// # Panics
    ///
    /// If `tensors` is empty, the shapes differ, or `axis > ndim`.
    #[track_caller]
    pub fn stack(tensors: &[&Tensor<T>], axis: usize) -> Tensor<T> {
        assert!(!tensors.is_empty(), "stack: no tensors given");
        let first = tensors[0].shape();
        assert!(
            axis <= first.len(),
            "stack: axis {axis} is out of range for tensors of shape {first:?}"
        );
        for t in tensors {
            assert!(
                t.shape() == first,
                "stack: shapes {first:?} and {:?} differ",
                t.shape()
            );
        }
        let views: Vec<_> = tensors.iter().map(|t| t.data.view()).collect();
        Tensor::from_array(ndarray::stack(Axis(axis), &views).expect("checked"))
    }

    /// The slice `start..start + len` along `axis` (a copy).
    ///
    /// # Panics
    ///
    /// If the axis or range is out of bounds.
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Tensor<T> {
        check_axis("narrow", axis, self.ndim(), self.shape());
        assert!(
            start + len <= self.shape()[axis],
            "narrow: range {start}..{} is out of bounds for axis {axis} of shape {:?}",
            start + len,
            self.shape()
        );
        Tensor::from_array(
            self.data
                .slice_axis(Axis(axis), Slice::from(start..start + len))
                .to_owned(),
        )
    }

    /// The entries at `indices` along `axis` (like `torch.index_select`).
    ///
    /// # Panics
    ///
    /// If the axis or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let t = Tensor::<f32>::arange(0.0, 6.0, 1.0).reshape(&[3, 2]);
    /// assert_eq!(t.index_select(0, &[2, 0]).to_vec(), vec![4.0, 5.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, axis: usize, indices: &[usize]) -> Tensor<T> {
        check_axis("index_select", axis, self.ndim(), self.shape());
        let n = self.shape()[axis];
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            panic!(
                "index_select: index {bad} is out of range for axis {axis} of shape {:?}",
                self.shape()
            );
        }
        Tensor::from_array(self.data.select(Axis(axis), indices))
    }

    /// Gathers values along `axis` (like `torch.gather`): `out[i][j] = self[index[i][j]][j]`
    /// for `axis = 0`, and so on. `index` has the same number of axes as `self`, and its
    /// extents are at most those of `self` on every other axis.
    ///
    /// # Panics
    ///
    /// If the axis or an index is out of range, or the shapes do not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// let idx = Tensor::from_vec(vec![1usize, 0], &[2, 1]).unwrap();
    /// assert_eq!(x.gather(1, &idx).to_vec(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn gather(&self, axis: usize, index: &Tensor<usize>) -> Tensor<T> {
        check_axis("gather", axis, self.ndim(), self.shape());
        check_gather_shapes("gather", self.shape(), index.shape(), axis);
        let n = self.shape()[axis];
        // Lane by lane along `axis`: the source restricted to the index's extents on the other
        // axes has the same lanes as the index, only longer or shorter along `axis`.
        let src = self
            .data
            .slice_each_axis(|ax| restrict(ax.axis.index(), axis, index.shape()));
        // Any value of the source fills the output before every element is overwritten; a
        // source without elements leaves the first index out of range.
        let fill = match (self.data.first(), index.data.first()) {
            (Some(v), _) => v.clone(),
            (None, None) => {
                let empty = ArrayD::from_shape_vec(IxDyn(index.shape()), Vec::new());
                return Tensor::from_array(empty.expect("an empty index"));
            }
            (None, Some(&i)) => panic!(
                "gather: index {i} is out of range for axis {axis} of shape {:?}",
                self.shape()
            ),
        };
        let mut out = ArrayD::from_elem(IxDyn(index.shape()), fill);
        Zip::from(out.lanes_mut(Axis(axis)))
            .and(index.data.lanes(Axis(axis)))
            .and(src.lanes(Axis(axis)))
            .for_each(|mut out, index, src| {
                for (o, &i) in out.iter_mut().zip(index) {
                    assert!(
                        i < n,
                        "gather: index {i} is out of range for axis {axis} of shape {:?}",
                        self.shape()
                    );
                    *o = src[i].clone();
                }
            });
        Tensor::from_array(out)
    }
}

/// The slice of a gather's source (or scatter's destination) along axis `ax`: all of it
/// along the gathered `axis`, the index's extent along the others.
fn restrict(ax: usize, axis: usize, index: &[usize]) -> Slice {
    if ax == axis {
        Slice::from(..)
    } else {
        Slice::from(..index[ax])
    }
}

#[track_caller]
fn check_gather_shapes(op: &str, src: &[usize], index: &[usize], axis: usize) {
    let ok = src.len() == index.len()
        && src
            .iter()
            .zip(index)
            .enumerate()
            .all(|(d, (&s, &i))| d == axis || i <= s);
    assert!(
        ok,
        "{op}: index of shape {index:?} does not fit a tensor of shape {src:?} along axis {axis}"
    );
}

impl<T: Float> Tensor<T> {
    /// The adjoint of [`gather`](Tensor::gather): a zero tensor of `shape` into which `self`
    /// (shaped like `index`) is added at the gathered positions.
    ///
    /// # Panics
    ///
    /// If the shapes do not fit or an index is out of range.
    #[track_caller]
    pub fn scatter_add(
        shape: &[usize],
        axis: usize,
        index: &Tensor<usize>,
        src: &Tensor<T>,
    ) -> Tensor<T> {
        check_axis("scatter_add", axis, shape.len(), shape);
        check_gather_shapes("scatter_add", shape, index.shape(), axis);
        assert!(
            index.shape() == src.shape(),
            "scatter_add: index shape {:?} and source shape {:?} differ",
            index.shape(),
            src.shape()
        );
        let mut out = ArrayD::<T>::zeros(IxDyn(shape));
        let n = shape[axis];
        let mut dst = out.slice_each_axis_mut(|ax| restrict(ax.axis.index(), axis, index.shape()));
        // In index order within each lane, so sums at a shared position add up in the order
        // of the elements, whatever the layout.
        Zip::from(dst.lanes_mut(Axis(axis)))
            .and(index.data.lanes(Axis(axis)))
            .and(src.data.lanes(Axis(axis)))
            .for_each(|mut dst, index, src| {
                for (&i, &v) in index.iter().zip(src) {
                    assert!(
                        i < n,
                        "scatter_add: index {i} is out of range for axis {axis} of shape \
                         {shape:?}"
                    );
                    dst[i] += v;
                }
            });
        Tensor::from_array(out)
    }

    /// The adjoint of [`index_select`](Tensor::index_select): a zero tensor of `shape` into
    /// which the slices of `self` are added at `indices` along `axis`.
    ///
    /// # Panics
    ///
    /// If the shapes do not fit or an index is out of range.
    #[track_caller]
    pub fn index_add(
        shape: &[usize],
        axis: usize,
        indices: &[usize],
        src: &Tensor<T>,
    ) -> Tensor<T> {
        check_axis("index_add", axis, shape.len(), shape);
        let mut expect = shape.to_vec();
        expect[axis] = indices.len();
        assert!(
            src.shape() == expect.as_slice(),
            "index_add: source shape {:?} does not match {expect:?}",
            src.shape()
        );
        let mut out = ArrayD::<T>::zeros(IxDyn(shape));
        for (k, &i) in indices.iter().enumerate() {
            assert!(
                i < shape[axis],
                "index_add: index {i} is out of range for axis {axis} of shape {shape:?}"
            );
            let mut dst = out.index_axis_mut(Axis(axis), i);
            dst += &src.data.index_axis(Axis(axis), k);
        }
        Tensor::from_array(out)
    }

    /// Pads `self` with zeros into `shape`, placing it at `start` along `axis`: the adjoint of
    /// [`narrow`](Tensor::narrow).
    #[track_caller]
    pub fn pad_axis(&self, shape: &[usize], axis: usize, start: usize) -> Tensor<T> {
        let mut out = ArrayD::<T>::zeros(IxDyn(shape));
        out.slice_axis_mut(Axis(axis), Slice::from(start..start + self.shape()[axis]))
            .assign(&*self.data);
        Tensor::from_array(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_and_transpose() {
        let t = Tensor::<f32>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
        let tt = t.t();
        assert_eq!(tt.shape(), &[3, 2]);
        assert_eq!(tt.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert!(
            tt.as_slice().is_some(),
            "permute returns contiguous storage"
        );
    }

    #[test]
    #[should_panic(
        expected = "reshape: cannot reshape a tensor of shape [2, 3] (6 elements) to [4] (4 elements)"
    )]
    fn reshape_mismatch() {
        let _ = Tensor::<f32>::zeros(&[2, 3]).reshape(&[4]);
    }

    #[test]
    fn gather_scatter_adjoint() {
        let x = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
        let idx = Tensor::from_vec(vec![2usize, 2, 0, 1], &[2, 2]).unwrap();
        let g = x.gather(1, &idx);
        assert_eq!(g.to_vec(), vec![2.0, 2.0, 3.0, 4.0]);
        let s = Tensor::scatter_add(&[2, 3], 1, &idx, &Tensor::<f64>::ones(&[2, 2]));
        assert_eq!(s.to_vec(), vec![0.0, 0.0, 2.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn gather_and_scatter_add_follow_the_definition_on_every_axis() {
        // A [3, 4, 5] source and an index smaller on the other axes, on each axis in turn,
        // also through a transposed (non-contiguous) index.
        let shape = [3usize, 4, 5];
        let x = Tensor::<f64>::arange(0.0, 60.0, 1.0).reshape(&shape);
        let flat = |p: [usize; 3]| (p[0] * 4 + p[1]) * 5 + p[2];
        for axis in 0..3 {
            let mut ishape = [2usize, 3, 4];
            ishape[axis] = 6;
            let n = ishape.iter().product::<usize>();
            let picks: Vec<usize> = (0..n).map(|k| (k * 7 + 3) % shape[axis]).collect();
            let index = Tensor::from_vec(picks, &ishape).unwrap();
            // The same index with its axes stored in reverse order.
            let reversed = (*index.permute(&[2, 1, 0]).data).clone().reversed_axes();
            assert!(reversed.as_slice().is_none());
            for index in [index.clone(), Tensor::from_array(reversed)] {
                let src = Tensor::<f64>::arange(1.0, n as f64 + 1.0, 1.0).reshape(&ishape);
                let (g, s) = (
                    x.gather(axis, &index),
                    Tensor::scatter_add(&shape, axis, &index, &src),
                );
                let (idx, srcv) = (index.to_vec(), src.to_vec());
                let mut want_s = vec![0.0; 60];
                let mut k = 0;
                for a in 0..ishape[0] {
                    for b in 0..ishape[1] {
                        for c in 0..ishape[2] {
                            let mut p = [a, b, c];
                            p[axis] = idx[k];
                            assert_eq!(g.to_vec()[k], x.to_vec()[flat(p)], "axis {axis} at {k}");
                            want_s[flat(p)] += srcv[k];
                            k += 1;
                        }
                    }
                }
                assert_eq!(s.to_vec(), want_s, "axis {axis}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "scatter_add: index 4 is out of range for axis 1 of shape [2, 4]")]
    fn scatter_add_names_an_index_out_of_range() {
        let index = Tensor::from_vec(vec![0usize, 4], &[1, 2]).unwrap();
        let _ = Tensor::scatter_add(&[2, 4], 1, &index, &Tensor::<f32>::ones(&[1, 2]));
    }

    #[test]
    fn narrow_pad_and_index_add() {
        let x = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[3, 2]);
        let n = x.narrow(0, 1, 2);
        assert_eq!(n.to_vec(), vec![2.0, 3.0, 4.0, 5.0]);
        assert_eq!(
            n.pad_axis(&[3, 2], 0, 1).to_vec(),
            vec![0.0, 0.0, 2.0, 3.0, 4.0, 5.0]
        );
        let a = Tensor::index_add(&[3, 2], 0, &[2, 2], &Tensor::<f64>::ones(&[2, 2]));
        assert_eq!(a.to_vec(), vec![0.0, 0.0, 0.0, 0.0, 2.0, 2.0]);
        assert_eq!(Tensor::stack(&[&n, &n], 0).shape(), &[2, 2, 2]);
        assert_eq!(n.unsqueeze(1).shape(), &[2, 1, 2]);
        assert_eq!(n.unsqueeze(1).squeeze(1).shape(), &[2, 2]);
    }
}
