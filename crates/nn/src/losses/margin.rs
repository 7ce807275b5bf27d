//! Margin losses on ±1 labels: [`MarginRankingLoss`] (which of two scores should rank
//! higher), [`HingeEmbeddingLoss`] (similar or dissimilar pairs from a distance),
//! [`SoftMarginLoss`] (two-class logistic loss) and [`MultiLabelSoftMarginLoss`] (one
//! logistic loss per class, averaged over the classes).
//!
//! The labels are constants (`Tensor`), so no gradient flows to them; every formula is
//! PyTorch's, composed of `Var` ops.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::{Reduction, check_label_shape, reduce};

/// Panics unless `value` is finite; names the loss and the option.
#[track_caller]
pub(crate) fn check_finite(loss: &str, option: &str, value: f64) {
    assert!(
        value.is_finite(),
        "{loss}: {option} must be finite, got {value}"
    );
}

/// Ranking loss for pairs of scores x₁, x₂ with labels y = 1 (x₁ should rank higher) or
/// y = -1 (x₂ should) (PyTorch's `nn.MarginRankingLoss`, default margin 0):
///
/// loss = max(0, -y·(x₁ - x₂) + margin).
///
/// The gradient at the kink (loss exactly 0 with a positive argument 0) is 0.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{MarginRankingLoss, Reduction};
/// use backprop_tensor::Tensor;
/// let x1 = Var::new(Tensor::from_vec(vec![2.0f64, 0.0], &[2]).unwrap());
/// let x2 = Var::new(Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap();
/// let loss = MarginRankingLoss::new().margin(0.5).reduction(Reduction::None);
/// // Pair 0 is ranked right by more than the margin; pair 1 is wrong by 1.
/// assert_eq!(loss.forward(&x1, &x2, &y).value().to_vec(), vec![0.0, 1.5]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MarginRankingLoss {
    margin: f64,
    reduction: Reduction,
}

impl MarginRankingLoss {
    /// The loss with margin 0 and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The margin by which the right score should win.
    ///
    /// # Panics
    ///
    /// If `margin` is not finite.
    #[track_caller]
    pub fn margin(mut self, margin: f64) -> Self {
        check_finite("MarginRankingLoss", "margin", margin);
        self.margin = margin;
        self
    }

    /// How the per-element losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of scores `input1`, `input2` against labels `target` (all the same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn forward<T: Float>(
        &self,
        input1: &Var<T>,
        input2: &Var<T>,
        target: &Tensor<T>,
    ) -> Var<T> {
        let (a, b, c) = (input1.shape(), input2.shape(), target.shape());
        assert!(
            a == b && b == c,
            "MarginRankingLoss: input1 {a:?}, input2 {b:?} and target {c:?} must have the same shape"
        );
        let neg_y = Var::new(target.mul_scalar(-T::one()));
        let z = neg_y
            .mul(&input1.sub(input2))
            .add_scalar(T::from_f64(self.margin));
        reduce(z.relu(), self.reduction)
    }
}

/// Hinge loss on a distance-like input x with labels y = 1 (similar pair) or y = -1
/// (dissimilar pair) (PyTorch's `nn.HingeEmbeddingLoss`, default margin 1):
///
/// loss = x where y = 1, max(0, margin - x) where y = -1.
///
/// As in PyTorch, a label that is neither 1 nor -1 gets both terms, x + max(0, margin - x).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{HingeEmbeddingLoss, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.3f64, 0.3, 2.0], &[3]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64, -1.0, -1.0], &[3]).unwrap();
/// let loss = HingeEmbeddingLoss::new().reduction(Reduction::None).forward(&x, &y);
/// assert_eq!(loss.value().to_vec(), vec![0.3, 0.7, 0.0]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HingeEmbeddingLoss {
    margin: f64,
    reduction: Reduction,
}

impl Default for HingeEmbeddingLoss {
    fn default() -> Self {
        HingeEmbeddingLoss {
            margin: 1.0,
            reduction: Reduction::Mean,
        }
    }
}

impl HingeEmbeddingLoss {
    /// The loss with margin 1 and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The distance below which dissimilar pairs are penalised.
    ///
    /// # Panics
    ///
    /// If `margin` is not finite.
    #[track_caller]
    pub fn margin(mut self, margin: f64) -> Self {
        check_finite("HingeEmbeddingLoss", "margin", margin);
        self.margin = margin;
        self
    }

    /// How the per-element losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of `input` against labels `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Tensor<T>) -> Var<T> {
        check_label_shape("HingeEmbeddingLoss", input, target);
        let zero = Var::new(Tensor::scalar(T::zero()));
        let one = Tensor::scalar(T::one());
        let hinge = input.neg().add_scalar(T::from_f64(self.margin)).relu();
        let hinge = Var::where_cond(&target.ne_elem(&one), &hinge, &zero);
        let linear = Var::where_cond(&target.ne_elem(&one.mul_scalar(-T::one())), input, &zero);
        reduce(hinge.add(&linear), self.reduction)
    }
}

/// Two-class logistic loss of logits x against labels y = ±1 (PyTorch's
/// `nn.SoftMarginLoss`):
///
/// loss = ln(1 + e^{-y·x}) = softplus(-y·x).
///
/// PyTorch evaluates `log1p(exp(-y·x))`, which overflows to ∞ (and a NaN gradient) once
/// -y·x passes ~709 in f64 or ~88 in f32; the overflow-free softplus used here agrees with
/// it wherever PyTorch's value is finite and stays finite beyond.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Reduction, SoftMarginLoss};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.0f64, -1e4], &[2]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64, 1.0], &[2]).unwrap();
/// let loss = SoftMarginLoss::new().reduction(Reduction::None).forward(&x, &y);
/// assert_eq!(loss.value().to_vec(), vec![2f64.ln(), 1e4]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SoftMarginLoss {
    reduction: Reduction,
}

impl SoftMarginLoss {
    /// The loss with the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// How the per-element losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of logits `input` against labels `target` (same shape).
    ///
    /// # Panics
    ///
    /// If the shapes differ.
    #[track_caller]
    pub fn forward<T: Float>(&self, input: &Var<T>, target: &Tensor<T>) -> Var<T> {
        check_label_shape("SoftMarginLoss", input, target);
        let neg_y = Var::new(target.mul_scalar(-T::one()));
        reduce(input.mul(&neg_y).softplus(), self.reduction)
    }
}

/// Multi-label logistic loss: for logits x of shape `[..., C]` and 0/1 targets y of the
/// same shape, an optional weight w broadcast to the input (PyTorch's
/// `nn.MultiLabelSoftMarginLoss`):
///
/// loss = (1/C) Σ_c w_c · [y_c·softplus(-x_c) + (1 - y_c)·softplus(x_c)],
///
/// one loss per sample (the input's shape without its last axis), then the reduction over
/// the samples. softplus(-x) = -ln σ(x) is PyTorch's `-logsigmoid(x)`, overflow-free.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{MultiLabelSoftMarginLoss, Reduction};
/// use backprop_tensor::Tensor;
/// let x = Var::new(Tensor::from_vec(vec![0.0f64, 0.0, 1e4, -1e4], &[2, 2]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64, 0.0, 1.0, 0.0], &[2, 2]).unwrap();
/// let loss = MultiLabelSoftMarginLoss::new().reduction(Reduction::None).forward(&x, &y);
/// // Sample 0 is unsure of both labels; sample 1 is sure and right.
/// assert_eq!(loss.value().to_vec(), vec![2f64.ln(), 0.0]);
/// ```
#[derive(Debug, Clone)]
pub struct MultiLabelSoftMarginLoss<T: Float = f32> {
    weight: Option<Tensor<T>>,
    reduction: Reduction,
}

impl<T: Float> Default for MultiLabelSoftMarginLoss<T> {
    fn default() -> Self {
        MultiLabelSoftMarginLoss {
            weight: None,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> MultiLabelSoftMarginLoss<T> {
    /// The loss with no weight and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// A weight for each element, broadcast to the input's shape (usually one per class,
    /// `[C]`).
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// How the per-sample losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of logits `input` (`[..., C]`, at least 1-d) against 0/1 targets `target`
    /// of the same shape. [`Reduction::None`] returns the input's shape without the class
    /// axis.
    ///
    /// # Panics
    ///
    /// If `input` is 0-d, the shapes differ or the weight does not broadcast to the input.
    #[track_caller]
    pub fn forward(&self, input: &Var<T>, target: &Tensor<T>) -> Var<T> {
        let shape = input.shape();
        assert!(
            !shape.is_empty(),
            "MultiLabelSoftMarginLoss: input must have a class axis, got a 0-d value"
        );
        check_label_shape("MultiLabelSoftMarginLoss", input, target);
        let y = Var::new(target.clone());
        let one_minus_y = Var::new(target.mul_scalar(-T::one()).add_scalar(T::one()));
        let mut loss = y
            .mul(&input.neg().softplus())
            .add(&one_minus_y.mul(&input.softplus()));
        if let Some(w) = &self.weight {
            assert!(
                broadcasts_to(w.shape(), &shape),
                "MultiLabelSoftMarginLoss: weight of shape {:?} does not broadcast to input of shape {shape:?}",
                w.shape()
            );
            loss = loss.mul(&Var::new(w.clone()));
        }
        let class_axis = shape.len() - 1;
        let classes = Var::new(Tensor::scalar(T::from_f64(shape[class_axis] as f64)));
        let per_sample = loss.sum_axes(&[class_axis], false).div(&classes);
        reduce(per_sample, self.reduction)
    }
}

/// Whether a tensor of shape `from` broadcasts to `to` without changing `to` (NumPy's rule:
/// trailing axes equal or 1).
fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len()
        && from
            .iter()
            .rev()
            .zip(to.iter().rev())
            .all(|(&f, &t)| f == t || f == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(data: Vec<f64>, shape: &[usize]) -> Var<f64> {
        Var::new(Tensor::from_vec(data, shape).unwrap())
    }

    fn t(data: Vec<f64>, shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(data, shape).unwrap()
    }

    #[test]
    #[should_panic(expected = "MarginRankingLoss: input1 [3], input2 [2] and target [3]")]
    fn margin_ranking_names_the_shapes() {
        MarginRankingLoss::new().forward(
            &v(vec![0.0; 3], &[3]),
            &v(vec![0.0; 2], &[2]),
            &t(vec![1.0; 3], &[3]),
        );
    }

    #[test]
    #[should_panic(expected = "MarginRankingLoss: margin must be finite, got NaN")]
    fn margin_ranking_refuses_a_nan_margin() {
        let _ = MarginRankingLoss::new().margin(f64::NAN);
    }

    #[test]
    #[should_panic(expected = "HingeEmbeddingLoss: input of shape [2, 3] and target of shape [3]")]
    fn hinge_embedding_names_the_shapes() {
        HingeEmbeddingLoss::new().forward(&v(vec![0.0; 6], &[2, 3]), &t(vec![1.0; 3], &[3]));
    }

    #[test]
    #[should_panic(expected = "SoftMarginLoss: input of shape [4] and target of shape [2, 2]")]
    fn soft_margin_names_the_shapes() {
        SoftMarginLoss::new().forward(&v(vec![0.0; 4], &[4]), &t(vec![1.0; 4], &[2, 2]));
    }

    #[test]
    #[should_panic(
        expected = "MultiLabelSoftMarginLoss: weight of shape [3] does not broadcast to input of shape [2, 4]"
    )]
    fn multilabel_names_a_bad_weight() {
        MultiLabelSoftMarginLoss::new()
            .weight(t(vec![1.0; 3], &[3]))
            .forward(&v(vec![0.0; 8], &[2, 4]), &t(vec![1.0; 8], &[2, 4]));
    }

    #[test]
    #[should_panic(
        expected = "MultiLabelSoftMarginLoss: input of shape [2, 4] and target of shape [2, 3]"
    )]
    fn multilabel_names_the_shapes() {
        MultiLabelSoftMarginLoss::new()
            .forward(&v(vec![0.0; 8], &[2, 4]), &t(vec![1.0; 6], &[2, 3]));
    }

    #[test]
    fn soft_margin_stays_finite_where_log1p_exp_overflows() {
        let x = Var::parameter(Tensor::from_vec(vec![-1e4f32, 1e4], &[2]).unwrap());
        let y = Tensor::from_vec(vec![1.0f32, 1.0], &[2]).unwrap();
        let loss = SoftMarginLoss::new()
            .reduction(Reduction::Sum)
            .forward(&x, &y);
        assert_eq!(loss.item(), 1e4);
        loss.backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![-1.0, 0.0]);
    }

    #[test]
    fn multilabel_stays_finite_for_logits_of_1e4() {
        let x = Var::parameter(Tensor::from_vec(vec![-1e4f32, 1e4, 1e4, -1e4], &[2, 2]).unwrap());
        let y = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 0.0], &[2, 2]).unwrap();
        let loss = MultiLabelSoftMarginLoss::new()
            .reduction(Reduction::None)
            .forward(&x, &y);
        // Sample 0 is sure and wrong on both classes, sample 1 sure and right.
        assert_eq!(loss.value().to_vec(), vec![1e4, 0.0]);
        loss.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![-0.5, 0.5, 0.0, 0.0]);
    }

    #[test]
    fn hinge_embedding_gives_other_labels_both_terms() {
        let x = v(vec![0.25], &[1]);
        let loss = HingeEmbeddingLoss::new().forward(&x, &t(vec![0.0], &[1]));
        assert_eq!(loss.item(), 0.25 + 0.75);
    }
}
