//! [`MultiMarginLoss`]: the multi-class hinge loss on class indices.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::Reduction;
use super::margin::check_finite;

/// Multi-class hinge loss of scores x `[N, C]` against class indices y `[N]` (PyTorch's
/// `nn.MultiMarginLoss`, defaults p = 1, margin = 1, no weight):
///
/// loss_n = (1/C) Σ_{c ≠ y_n} w_{y_n} · max(0, margin - x_{n, y_n} + x_{n, c})ᵖ,
///
/// with p = 1 or 2 and an optional weight w per class (`[C]`). [`Reduction::Mean`] is the
/// mean over the samples. The gradient at the kink (a term exactly 0) is 0, as PyTorch's.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{MultiMarginLoss, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.1f64, 0.2, 0.4, 0.8], &[1, 4]).unwrap());
/// let y = Tensor::from_vec(vec![3usize], &[1]).unwrap();
/// // (1/4)·[(1 - 0.8 + 0.1) + (1 - 0.8 + 0.2) + (1 - 0.8 + 0.4)], PyTorch's documented example.
/// let loss = MultiMarginLoss::new().forward(&x, &y).item();
/// assert!((loss - 0.325).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
pub struct MultiMarginLoss<T: Float = f32> {
    p: u32,
    margin: f64,
    weight: Option<Tensor<T>>,
    reduction: Reduction,
}

impl<T: Float> Default for MultiMarginLoss<T> {
    fn default() -> Self {
        MultiMarginLoss {
            p: 1,
            margin: 1.0,
            weight: None,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> MultiMarginLoss<T> {
    /// The loss with p = 1, margin 1, no weight and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The power of each hinge term: 1 (hinge) or 2 (squared hinge).
    ///
    /// # Panics
    ///
    /// If `p` is neither 1 nor 2 (as PyTorch).
    #[track_caller]
    pub fn p(mut self, p: u32) -> Self {
        assert!(
            p == 1 || p == 2,
            "MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}"
        );
        self.p = p;
        self
    }

    /// The margin by which the target's score should beat every other class's.
    ///
    /// # Panics
    ///
    /// If `margin` is not finite.
    #[track_caller]
    pub fn margin(mut self, margin: f64) -> Self {
        check_finite("MultiMarginLoss", "margin", margin);
        self.margin = margin;
        self
    }

    /// A weight per class (`[C]`), applied to every term of a sample by its target's class.
    ///
    /// # Panics
    ///
    /// If `weight` is not 1-d (as PyTorch).
    #[track_caller]
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        assert!(
            weight.shape().len() == 1,
            "MultiMarginLoss: weight must be 1-d, got shape {:?}",
            weight.shape()
        );
        self.weight = Some(weight);
        self
    }

    /// How the per-sample losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of scores `input` against class indices `targets`: `[N, C]` with targets
    /// `[N]`, or one sample `[C]` with a 0-d target. [`Reduction::None`] returns the
    /// targets' shape.
    ///
    /// # Panics
    ///
    /// If `input` is not 1-d or 2-d or has no classes, `targets` does not have the shape
    /// above, a class is `>= C`, or the weight is not `[C]`.
    #[track_caller]
    pub fn forward(&self, input: &Var<T>, targets: &Tensor<usize>) -> Var<T> {
        let shape = input.shape();
        let (rows, classes, target_shape) = match shape[..] {
            [c] => (1, c, vec![]),
            [n, c] => (n, c, vec![n]),
            _ => panic!("MultiMarginLoss: input must be [C] or [N, C], got {shape:?}"),
        };
        assert!(
            classes > 0,
            "MultiMarginLoss: input {shape:?} has no classes"
        );
        assert!(
            targets.shape() == target_shape.as_slice(),
            "MultiMarginLoss: input {shape:?} needs class-index targets of shape {target_shape:?}, got {:?}",
            targets.shape()
        );
        let ys = targets.to_vec();
        for (row, &y) in ys.iter().enumerate() {
            assert!(
                y < classes,
                "MultiMarginLoss: target {y} of row {row} is out of range for {classes} classes"
            );
        }
        let x = input.reshape(&[rows, classes]);
        let index = Tensor::from_vec(ys.clone(), &[rows, 1]).expect("one index per row");
        // z_{n,c} = (margin - x_{n,y_n}) + x_{n,c}, in PyTorch's order of operations.
        let z = x
            .gather(1, &index)
            .neg()
            .add_scalar(T::from_f64(self.margin))
            .add(&x)
            .relu();
        let mut terms = if self.p == 2 { z.mul(&z) } else { z };
        if let Some(w) = &self.weight {
            assert!(
                w.shape() == [classes],
                "MultiMarginLoss: weight must have shape [{classes}], got {:?}",
                w.shape()
            );
            let w = w.to_vec();
            let per_row: Vec<T> = ys.iter().map(|&y| w[y]).collect();
            let per_row = Tensor::from_vec(per_row, &[rows, 1]).expect("one weight per row");
            terms = terms.mul(&Var::new(per_row));
        }
        // The target's own column (where z = margin) is left out of the sum.
        let mut others = vec![T::one(); rows * classes];
        for (row, &y) in ys.iter().enumerate() {
            others[row * classes + y] = T::zero();
        }
        let others = Tensor::from_vec(others, &[rows, classes]).expect("rows × classes");
        let classes = Var::new(Tensor::scalar(T::from_f64(classes as f64)));
        let per_row = terms
            .mul(&Var::new(others))
            .sum_axes(&[1], false)
            .div(&classes);
        match self.reduction {
            Reduction::None => per_row.reshape(&target_shape),
            Reduction::Sum => per_row.sum(),
            Reduction::Mean => per_row.mean(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(shape: &[usize]) -> Var<f64> {
        Var::new(Tensor::zeros(shape))
    }

    #[test]
    #[should_panic(
        expected = "MultiMarginLoss: input [2, 3] needs class-index targets of shape [2], got [3]"
    )]
    fn names_the_shapes() {
        MultiMarginLoss::new()
            .forward(&x(&[2, 3]), &Tensor::from_vec(vec![0, 1, 2], &[3]).unwrap());
    }

    #[test]
    #[should_panic(expected = "MultiMarginLoss: input must be [C] or [N, C], got [2, 3, 4]")]
    fn refuses_three_axes() {
        MultiMarginLoss::new()
            .forward(&x(&[2, 3, 4]), &Tensor::from_vec(vec![0, 1], &[2]).unwrap());
    }

    #[test]
    #[should_panic(expected = "MultiMarginLoss: target 3 of row 1 is out of range for 3 classes")]
    fn refuses_a_class_out_of_range() {
        MultiMarginLoss::new().forward(&x(&[2, 3]), &Tensor::from_vec(vec![0, 3], &[2]).unwrap());
    }

    #[test]
    #[should_panic(expected = "MultiMarginLoss: only p == 1 and p == 2 are supported, got 3")]
    fn refuses_p_3() {
        let _ = MultiMarginLoss::<f64>::new().p(3);
    }

    #[test]
    #[should_panic(expected = "MultiMarginLoss: weight must have shape [3], got [4]")]
    fn names_a_weight_of_the_wrong_length() {
        MultiMarginLoss::new()
            .weight(Tensor::ones(&[4]))
            .forward(&x(&[2, 3]), &Tensor::from_vec(vec![0, 1], &[2]).unwrap());
    }

    #[test]
    fn one_sample_gives_a_0_d_loss_per_sample() {
        let input = Var::new(Tensor::from_vec(vec![0.1f64, 0.2, 0.4, 0.8], &[4]).unwrap());
        let loss = MultiMarginLoss::new()
            .p(2)
            .reduction(Reduction::None)
            .forward(&input, &Tensor::from_vec(vec![3usize], &[]).unwrap());
        assert_eq!(loss.shape(), Vec::<usize>::new());
        let want = (0.3f64.powi(2) + 0.4f64.powi(2) + 0.6f64.powi(2)) / 4.0;
        assert!((loss.item() - want).abs() < 1e-15);
    }
}
