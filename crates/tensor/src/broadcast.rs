//! NumPy/PyTorch broadcasting rules.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::shape::same_shape;
use crate::tensor::array_from_vec;
use crate::{Float, Tensor};

/// The shape two shapes broadcast to, or `None` when they are incompatible.
///
/// Shapes are aligned at their last axis; two extents are compatible when they are equal or
/// one of them is 1.
///
/// # Examples
///
/// ```
/// use backprop_tensor::broadcast_shape;
/// assert_eq!(broadcast_shape(&[4, 1, 3], &[5, 1]), Some(vec![4, 5, 3]));
/// assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
/// ```
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// The shape two shapes broadcast to, panicking with the op's name when incompatible.
#[track_caller]
pub(crate) fn broadcast_shape_or_panic(op: &str, a: &[usize], b: &[usize]) -> Vec<usize> {
    broadcast_shape(a, b)
        .unwrap_or_else(|| panic!("{op}: shapes {a:?} and {b:?} cannot be broadcast together"))
}

impl<T: Clone> Tensor<T> {
    /// Broadcasts to `shape` (materialized), following the broadcasting rules.
    ///
    /// # Panics
    ///
    /// If the tensor's shape cannot be broadcast to `shape`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let b = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(b.broadcast_to(&[2, 2]).to_vec(), vec![1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor<T> {
        if same_shape(self.shape(), shape) {
            return self.clone();
        }
        let view = self.data.broadcast(IxDyn(shape)).unwrap_or_else(|| {
            panic!(
                "broadcast_to: shape {:?} cannot be broadcast to {:?}",
                self.shape(),
                shape
            )
        });
        // Two common cases filled directly rather than through the view's element iterator:
        // one value everywhere (the gradient of a sum) and new leading axes over a
        // contiguous tensor (a bias over a batch) as repeated copies.
        if let Some(slice) = self.data.as_slice() {
            let total: usize = shape.iter().product();
            let leading = shape.len() - self.ndim();
            if let [v] = slice {
                return Tensor::from_array(ArrayD::from_elem(IxDyn(shape), v.clone()));
            }
            if same_shape(&shape[leading..], self.shape()) && !slice.is_empty() {
                let mut out = Vec::with_capacity(total);
                while out.len() < total {
                    out.extend_from_slice(slice);
                }
                return Tensor::from_array(array_from_vec(out, shape));
            }
        }
        Tensor::from_array(view.to_owned())
    }
}

impl<T: Float> Tensor<T> {
    /// Sums over the broadcast axes so the result has `shape`: the reverse of
    /// [`broadcast_to`](Tensor::broadcast_to), used to reduce gradients of broadcast inputs.
    ///
    /// # Panics
    ///
    /// If `shape` does not broadcast to the tensor's shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let g = Tensor::<f32>::ones(&[3, 2]);
    /// assert_eq!(g.sum_to(&[2]).to_vec(), vec![3.0, 3.0]);
    /// assert_eq!(g.sum_to(&[3, 1]).to_vec(), vec![2.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Tensor<T> {
        if same_shape(self.shape(), shape) {
            return self.clone();
        }
        let src = self.shape();
        let ok = shape.len() <= src.len()
            && shape
                .iter()
                .rev()
                .zip(src.iter().rev())
                .all(|(&d, &s)| d == s || d == 1);
        assert!(
            ok,
            "sum_to: shape {src:?} cannot be reduced to {shape:?} (not a broadcast of it)"
        );
        let lead = src.len() - shape.len();
        let mut data: ArrayD<T> = (*self.data).clone();
        // Sum the leading axes away, then the axes where the target extent is 1.
        for _ in 0..lead {
            data = data.sum_axis(Axis(0));
        }
        for (i, &d) in shape.iter().enumerate() {
            if d == 1 && data.shape()[i] != 1 {
                data = data.sum_axis(Axis(i)).insert_axis(Axis(i));
            }
        }
        Tensor::from_array(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_to_matches_the_view_on_every_path() {
        // One value, new leading axes, and the general case (an inner axis of 1), each
        // against ndarray's broadcast view read element by element.
        let cases: [(&[usize], &[usize]); 5] = [
            (&[1], &[3, 4]),
            (&[], &[2, 3]),
            (&[4], &[2, 3, 4]),
            (&[2, 3], &[5, 2, 3]),
            (&[3, 1], &[2, 3, 4]),
        ];
        for (from, to) in cases {
            let n = from.iter().product::<usize>();
            let t = Tensor::<f64>::arange(1.0, n as f64 + 1.0, 1.0).reshape(from);
            let want: Vec<f64> = t
                .data
                .broadcast(IxDyn(to))
                .unwrap()
                .iter()
                .copied()
                .collect();
            let got = t.broadcast_to(to);
            assert_eq!(got.shape(), to);
            assert_eq!(got.to_vec(), want, "{from:?} to {to:?}");
        }
    }

    #[test]
    #[should_panic(expected = "broadcast_to: shape [2] cannot be broadcast to [3]")]
    fn broadcast_to_names_the_shapes() {
        let _ = Tensor::<f32>::ones(&[2]).broadcast_to(&[3]);
    }
}
