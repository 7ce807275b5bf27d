//! The elements of a row-major tensor as a slice, without ndarray's generic layout check.
//!
//! `ArrayD::as_slice` compares the strides with default strides it first builds as a new
//! `IxDyn` (55–60 instructions for a small tensor); optimizers and elementwise kernels ask for
//! slices several times per tensor and step. [`row_major_len`] walks the shape and strides
//! once and gives the element count on the way.

#![allow(unsafe_code)]

use ndarray::ArrayD;

/// The number of elements when `shape` with `strides` is row-major contiguous (the layout for
/// which `ArrayD::as_slice` returns `Some`): each stride is the product of the extents after
/// its axis, except along axes of extent 1, whose stride is never used. An empty shape
/// (some extent 0) counts as contiguous, with no elements.
#[inline]
fn row_major_len(shape: &[usize], strides: &[isize]) -> Option<usize> {
    if shape.contains(&0) {
        return Some(0);
    }
    let mut expected = 1usize;
    for (&extent, &stride) in shape.iter().zip(strides).rev() {
        if extent != 1 && stride as usize != expected {
            return None;
        }
        expected *= extent;
    }
    Some(expected)
}

/// `a.as_slice()`, with the cheaper layout check.
#[inline]
pub(crate) fn as_slice<T>(a: &ArrayD<T>) -> Option<&[T]> {
    let len = row_major_len(a.shape(), a.strides())?;
    if len == 0 {
        return Some(&[]);
    }
    // SAFETY: the array owns `len` elements laid out row-major from `as_ptr()` (checked just
    // above: with those strides, element `[i0, …, in]` is at offset `Σ i_k · stride_k`,
    // which covers `0..len` exactly once), they are initialized (an `ArrayD` holds only
    // initialized elements), and the slice borrows `a`, so the array can neither change nor
    // be freed while it lives.
    Some(unsafe { std::slice::from_raw_parts(a.as_ptr(), len) })
}

/// `a.as_slice_mut()`, with the cheaper layout check.
#[inline]
pub(crate) fn as_slice_mut<T>(a: &mut ArrayD<T>) -> Option<&mut [T]> {
    let len = row_major_len(a.shape(), a.strides())?;
    if len == 0 {
        return Some(&mut []);
    }
    // SAFETY: as in `as_slice`; the array owns its elements (an `ArrayD` is never a shared
    // or borrowed view), and the slice borrows `a` mutably, so nothing else reads or writes
    // them while it lives.
    Some(unsafe { std::slice::from_raw_parts_mut(a.as_mut_ptr(), len) })
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn, ShapeBuilder};

    /// The fast check agrees with ndarray's on every layout: row-major, transposed, sliced
    /// with steps, broadcast-like unit axes, empty, 0-d; and the slices have the same elements.
    #[test]
    fn agrees_with_ndarray_on_every_layout() {
        let shapes: &[&[usize]] = &[
            &[],
            &[0],
            &[1],
            &[5],
            &[3, 0, 2],
            &[1, 4],
            &[4, 1],
            &[2, 3],
            &[3, 1, 2],
            &[2, 3, 4],
            &[1, 1, 1, 7],
            &[2, 1, 3, 1, 2],
        ];
        let (mut checked, mut not_contiguous) = (0, 0);
        for &shape in shapes {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let c = ArrayD::from_shape_vec(IxDyn(shape), data.clone()).unwrap();
            let f = ArrayD::from_shape_vec(IxDyn(shape).f(), data).unwrap();
            let mut variants = vec![c.clone(), f.clone(), c.t().to_owned(), f.t().into_owned()];
            variants.push(c.t().into_owned());
            if shape.len() >= 2 {
                // Axes swapped in place: the same buffer read in another order.
                let mut p = c.clone();
                p.swap_axes(0, shape.len() - 1);
                variants.push(p);
            }
            for mut a in variants {
                let expected = a.as_slice().map(<[f32]>::to_vec);
                not_contiguous += usize::from(expected.is_none());
                assert_eq!(
                    super::as_slice(&a).map(<[f32]>::to_vec),
                    expected,
                    "shape {:?} strides {:?}",
                    a.shape(),
                    a.strides()
                );
                let expected_mut = a.as_slice_mut().map(|s| s.to_vec());
                assert_eq!(
                    super::as_slice_mut(&mut a).map(|s| s.to_vec()),
                    expected_mut
                );
                checked += 1;
            }
        }
        assert!(
            checked > 50 && not_contiguous > 10,
            "{checked} {not_contiguous}"
        );
    }
}
