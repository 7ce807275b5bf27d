//! Matrix products: 2-D, batched 3-D, and a 2-D operand broadcast over a batch.

use ndarray::{Array2, Array3, ArrayView2, Ix3};

use crate::gemm::{Kernel, matmul_into, matmul_into_with, matmul_new, view2};
use crate::{Float, Tensor};

impl<T: Float> Tensor<T> {
    /// The matrix product, like `torch.matmul` for 2-D and 3-D operands:
    /// `[n, k] × [k, m] → [n, m]`, `[b, n, k] × [b, k, m] → [b, n, m]`, and a 2-D operand on
    /// either side of a 3-D one is shared by every batch entry.
    ///
    /// # Panics
    ///
    /// If an operand is not 2-D or 3-D, or the inner extents (or batch sizes) differ.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// let i = Tensor::eye(2);
    /// assert_eq!(a.matmul(&i), a);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        let (sa, sb) = (self.shape(), other.shape());
        let fail = || -> ! {
            panic!("matmul: shapes {sa:?} and {sb:?} are not compatible for a matrix product")
        };
        match (sa.len(), sb.len()) {
            (2, 2) => {
                if sa[1] != sb[0] {
                    fail()
                }
                product(self.view2(), other.view2())
            }
            (3, 3) | (3, 2) | (2, 3) => {
                let (k1, k2) = (sa[sa.len() - 1], sb[sb.len() - 2]);
                let batch = if sa.len() == 3 { sa[0] } else { sb[0] };
                if k1 != k2 || (sa.len() == 3 && sb.len() == 3 && sa[0] != sb[0]) {
                    fail()
                }
                let (n, m) = (sa[sa.len() - 2], sb[sb.len() - 1]);
                let mut out = Array3::<T>::zeros((batch, n, m));
                let a3 = (sa.len() == 3)
                    .then(|| self.data.view().into_dimensionality::<Ix3>().expect("3-d"));
                let b3 = (sb.len() == 3)
                    .then(|| other.data.view().into_dimensionality::<Ix3>().expect("3-d"));
                let a2 = (sa.len() == 2).then(|| self.view2());
                let b2 = (sb.len() == 2).then(|| other.view2());
                for i in 0..batch {
                    let a = a3
                        .as_ref()
                        .map_or_else(|| a2.expect("2-d"), |a| a.index_axis(ndarray::Axis(0), i));
                    let b = b3
                        .as_ref()
                        .map_or_else(|| b2.expect("2-d"), |b| b.index_axis(ndarray::Axis(0), i));
                    let c = out.index_axis_mut(ndarray::Axis(0), i);
                    matmul_into(a, b, c);
                }
                Tensor::from_array(out.into_dyn())
            }
            _ => fail(),
        }
    }

    fn view2(&self) -> ArrayView2<'_, T> {
        view2(&*self.data)
    }

    /// `self × otherᵀ` for 2-D operands without materializing the transpose.
    ///
    /// # Panics
    ///
    /// If an operand is not 2-D or the inner extents differ.
    #[track_caller]
    pub fn matmul_t(&self, other: &Tensor<T>) -> Tensor<T> {
        let (sa, sb) = (self.shape(), other.shape());
        assert!(
            sa.len() == 2 && sb.len() == 2 && sa[1] == sb[1],
            "matmul_t: shapes {sa:?} and {sb:?} are not compatible for a × bᵀ"
        );
        product(self.view2(), other.view2().reversed_axes())
    }

    /// `selfᵀ × other` for 2-D operands without materializing the transpose.
    ///
    /// # Panics
    ///
    /// If an operand is not 2-D or the inner extents differ.
    #[track_caller]
    pub fn t_matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        let (sa, sb) = (self.shape(), other.shape());
        assert!(
            sa.len() == 2 && sb.len() == 2 && sa[0] == sb[0],
            "t_matmul: shapes {sa:?} and {sb:?} are not compatible for aᵀ × b"
        );
        product(self.view2().reversed_axes(), other.view2())
    }
}

impl<T: Float> Tensor<T> {
    /// `op(self) · op(other)` for 2-D operands, where `op` transposes (as a view) when the
    /// flag says so, on a chosen kernel: `Some(true)` the small-product kernel, `Some(false)`
    /// the packed `gemm` crate, `None` the automatic choice of [`Tensor::matmul`]. For the
    /// benchmark that sets the size threshold between the two; not a stable API.
    ///
    /// # Panics
    ///
    /// If an operand is not 2-D or the inner extents differ.
    #[doc(hidden)]
    #[track_caller]
    pub fn matmul_on_kernel(
        &self,
        other: &Tensor<T>,
        transpose_self: bool,
        transpose_other: bool,
        small: Option<bool>,
    ) -> Tensor<T> {
        let (sa, sb) = (self.shape(), other.shape());
        assert!(
            sa.len() == 2 && sb.len() == 2,
            "matmul_on_kernel: {sa:?}, {sb:?}"
        );
        let a = if transpose_self {
            self.view2().reversed_axes()
        } else {
            self.view2()
        };
        let b = if transpose_other {
            other.view2().reversed_axes()
        } else {
            other.view2()
        };
        assert_eq!(a.dim().1, b.dim().0, "matmul_on_kernel: {sa:?}, {sb:?}");
        let kernel = match small {
            Some(true) => Kernel::Small,
            Some(false) => Kernel::Packed,
            None => Kernel::Auto,
        };
        let mut c = Array2::<T>::zeros((a.dim().0, b.dim().1));
        matmul_into_with(a, b, c.view_mut(), kernel);
        Tensor::from_array(c.into_dyn())
    }
}

/// `a · b` into a new row-major tensor (shapes checked by the caller).
fn product<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> Tensor<T> {
    let c = matmul_new(a, b);
    Tensor::from_array(c.into_dyn())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batched_and_broadcast() {
        let a = Tensor::<f64>::arange(0.0, 12.0, 1.0).reshape(&[2, 2, 3]);
        let b = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[3, 2]);
        let c = a.matmul(&b);
        assert_eq!(c.shape(), &[2, 2, 2]);
        let c1 = a.narrow(0, 1, 1).reshape(&[2, 3]).matmul(&b);
        assert_eq!(c.narrow(0, 1, 1).reshape(&[2, 2]), c1);
        let bt = b.t();
        assert_eq!(
            a.reshape(&[4, 3]).matmul_t(&bt),
            a.reshape(&[4, 3]).matmul(&b)
        );
        assert_eq!(bt.t_matmul(&bt), b.matmul(&bt));
    }

    #[test]
    #[should_panic(expected = "matmul: shapes [2, 3] and [2, 3] are not compatible")]
    fn mismatch() {
        let _ = Tensor::<f32>::zeros(&[2, 3]).matmul(&Tensor::zeros(&[2, 3]));
    }
}
