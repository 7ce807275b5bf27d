//! One-hot encoding of class labels.

use backprop_tensor::Tensor;

/// Encodes class indices as rows of a `[labels.len(), num_classes]` matrix with a 1 in the
/// label's column and 0 elsewhere (like `torch.nn.functional.one_hot(...).float()`).
///
/// # Panics
///
/// If a label is `>= num_classes`.
///
/// # Examples
///
/// ```
/// use backprop_data::one_hot;
/// let t = one_hot(&[2, 0], 3);
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn one_hot(labels: &[usize], num_classes: usize) -> Tensor<f32> {
    let mut out = vec![0.0f32; labels.len() * num_classes];
    for (i, &label) in labels.iter().enumerate() {
        assert!(
            label < num_classes,
            "one_hot: label {label} at position {i} is not below num_classes = {num_classes}"
        );
        out[i * num_classes + label] = 1.0;
    }
    Tensor::from_vec(out, &[labels.len(), num_classes]).expect("n * num_classes values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_has_a_single_one_in_the_label_column() {
        let labels = [1, 0, 3, 1];
        let t = one_hot(&labels, 4);
        assert_eq!(t.shape(), &[4, 4]);
        let v = t.to_vec();
        for (i, &label) in labels.iter().enumerate() {
            let row = &v[i * 4..(i + 1) * 4];
            assert_eq!(row.iter().sum::<f32>(), 1.0);
            assert_eq!(row[label], 1.0);
        }
        assert_eq!(one_hot(&[], 3).shape(), &[0, 3]);
    }

    #[test]
    #[should_panic(expected = "one_hot: label 3 at position 1 is not below num_classes = 3")]
    fn a_label_out_of_range_panics() {
        one_hot(&[0, 3], 3);
    }
}
