//! Losses on embedding vectors (the last axis): [`CosineEmbeddingLoss`] on pairs with ±1
//! labels, [`TripletMarginLoss`] on (anchor, positive, negative) triplets.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::margin::check_finite;
use super::{Reduction, reduce};

/// The ε that PyTorch's `cosine_embedding_loss` adds to each squared magnitude: ATen's
/// `EPSILON`, a `float` constant 1e-12, so 1e-12 rounded to f32 (9.99999996e-13) in every
/// dtype.
const COSINE_EPSILON: f32 = 1e-12;

/// Panics unless the embeddings have one shape, `[N, D]` or `[D]`, and `target` is `[N]`
/// (or 0-d for `[D]`) when given. Returns the shape of the per-sample losses.
#[track_caller]
fn check_embeddings<T: Float>(
    loss: &str,
    inputs: &[(&str, &Var<T>)],
    target: Option<&Tensor<T>>,
) -> Vec<usize> {
    let (first, x) = inputs[0];
    let shape = x.shape();
    for &(name, other) in &inputs[1..] {
        assert!(
            other.shape() == shape,
            "{loss}: {first} of shape {shape:?} and {name} of shape {:?} differ",
            other.shape()
        );
    }
    let samples = match shape[..] {
        [_] => vec![],
        [n, _] => vec![n],
        _ => panic!("{loss}: inputs must be [N, D] or [D], got {shape:?}"),
    };
    if let Some(target) = target {
        assert!(
            target.shape() == samples.as_slice(),
            "{loss}: inputs of shape {shape:?} need a target of shape {samples:?}, got {:?}",
            target.shape()
        );
    }
    samples
}

/// Cosine-similarity loss for pairs of embeddings x₁, x₂ (`[N, D]`) with labels y = 1
/// (similar) or y = -1 (dissimilar) (PyTorch's `nn.CosineEmbeddingLoss`, default margin 0):
///
/// loss = 1 - cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) - margin) where y = -1, and 0
/// for any other label; cos = Σ x₁x₂ / √((Σ x₁² + ε)(Σ x₂² + ε)) with PyTorch's
/// ε ≈ 1e-12 (its f32 constant), so a zero vector gives cos = 0 rather than NaN.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{CosineEmbeddingLoss, Reduction};
/// use backprop_tensor::Tensor;
/// let x1 = Var::new(Tensor::from_vec(vec![1.0f64, 0.0, 1.0, 0.0], &[2, 2]).unwrap());
/// let x2 = Var::new(Tensor::from_vec(vec![0.0f64, 2.0, 3.0, 0.0], &[2, 2]).unwrap());
/// let y = Tensor::from_vec(vec![1.0f64, -1.0], &[2]).unwrap();
/// let loss = CosineEmbeddingLoss::new().reduction(Reduction::None).forward(&x1, &x2, &y);
/// let v = loss.value().to_vec(); // orthogonal but similar: 1; parallel but dissimilar: 1
/// assert!((v[0] - 1.0).abs() < 1e-12 && (v[1] - 1.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CosineEmbeddingLoss {
    margin: f64,
    reduction: Reduction,
}

impl CosineEmbeddingLoss {
    /// The loss with margin 0 and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cosine below which dissimilar pairs cost nothing (PyTorch suggests 0 to 0.5).
    ///
    /// # Panics
    ///
    /// If `margin` is not finite.
    #[track_caller]
    pub fn margin(mut self, margin: f64) -> Self {
        check_finite("CosineEmbeddingLoss", "margin", margin);
        self.margin = margin;
        self
    }

    /// How the per-pair losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of embeddings `input1`, `input2` (`[N, D]`, or one pair `[D]`) against
    /// labels `target` (`[N]`, or 0-d). [`Reduction::None`] returns the target's shape.
    ///
    /// # Panics
    ///
    /// If the inputs differ in shape or are not 1-d or 2-d, or the target does not have
    /// the shape above.
    #[track_caller]
    pub fn forward<T: Float>(
        &self,
        input1: &Var<T>,
        input2: &Var<T>,
        target: &Tensor<T>,
    ) -> Var<T> {
        let loss = "CosineEmbeddingLoss";
        check_embeddings(
            loss,
            &[("input1", input1), ("input2", input2)],
            Some(target),
        );
        let axis = input1.shape().len() - 1;
        let eps = T::from_f64(f64::from(COSINE_EPSILON));
        let dot = input1.mul(input2).sum_axes(&[axis], false);
        let mag1 = input1.mul(input1).sum_axes(&[axis], false).add_scalar(eps);
        let mag2 = input2.mul(input2).sum_axes(&[axis], false).add_scalar(eps);
        let cos = dot.div(&mag1.mul(&mag2).sqrt());
        let zero = Var::new(Tensor::scalar(T::zero()));
        let one = Tensor::scalar(T::one());
        let similar = Var::where_cond(
            &target.eq_elem(&one),
            &cos.neg().add_scalar(T::one()),
            &zero,
        );
        let dissimilar = cos.add_scalar(T::from_f64(-self.margin)).relu();
        let dissimilar = Var::where_cond(
            &target.eq_elem(&one.mul_scalar(-T::one())),
            &dissimilar,
            &zero,
        );
        reduce(similar.add(&dissimilar), self.reduction)
    }
}

/// Triplet loss on embeddings (`[N, D]`): an anchor a should be closer to a positive p
/// than to a negative n by a margin (PyTorch's `nn.TripletMarginLoss`, defaults margin 1,
/// p = 2, eps 1e-6, no swap):
///
/// loss = max(0, margin + d(a, p) - d(a, n)), d(x, y) = ‖x - y + eps‖_p,
///
/// PyTorch's `pairwise_distance`, eps added to every difference so the norm is
/// differentiable when x = y. With [`swap`](TripletMarginLoss::swap), d(a, n) is replaced
/// by min(d(a, n), d(p, n)) (the "distance swap" of Balntas et al., 2016).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::TripletMarginLoss;
/// use backprop_tensor::Tensor;
/// let a = Var::new(Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]).unwrap());
/// let p = Var::new(Tensor::from_vec(vec![3.0f64, 4.0], &[1, 2]).unwrap());
/// let n = Var::new(Tensor::from_vec(vec![6.0f64, 8.0], &[1, 2]).unwrap());
/// let loss = TripletMarginLoss::new().margin(6.0).eps(0.0).forward(&a, &p, &n);
/// assert_eq!(loss.item(), 1.0); // 6 + 5 - 10
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TripletMarginLoss {
    margin: f64,
    p: f64,
    eps: f64,
    swap: bool,
    reduction: Reduction,
}

impl Default for TripletMarginLoss {
    fn default() -> Self {
        TripletMarginLoss {
            margin: 1.0,
            p: 2.0,
            eps: 1e-6,
            swap: false,
            reduction: Reduction::Mean,
        }
    }
}

impl TripletMarginLoss {
    /// The loss with margin 1, p = 2, eps 1e-6, no swap and the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The margin between the two distances.
    ///
    /// # Panics
    ///
    /// If `margin` is not positive and finite (PyTorch refuses margin ≤ 0).
    #[track_caller]
    pub fn margin(mut self, margin: f64) -> Self {
        assert!(
            margin > 0.0 && margin.is_finite(),
            "TripletMarginLoss: margin must be positive and finite, got {margin}"
        );
        self.margin = margin;
        self
    }

    /// The norm's degree: any p > 0, or `f64::INFINITY` for the largest |difference|.
    ///
    /// # Panics
    ///
    /// If `p` is not positive (or is NaN).
    #[track_caller]
    pub fn p(mut self, p: f64) -> Self {
        assert!(p > 0.0, "TripletMarginLoss: p must be positive, got {p}");
        self.p = p;
        self
    }

    /// The constant added to every difference before the norm.
    ///
    /// # Panics
    ///
    /// If `eps` is negative or not finite.
    #[track_caller]
    pub fn eps(mut self, eps: f64) -> Self {
        assert!(
            eps >= 0.0 && eps.is_finite(),
            "TripletMarginLoss: eps must be non-negative and finite, got {eps}"
        );
        self.eps = eps;
        self
    }

    /// Whether to use min(d(a, n), d(p, n)) as the negative distance.
    pub fn swap(mut self, swap: bool) -> Self {
        self.swap = swap;
        self
    }

    /// How the per-triplet losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of triplets `anchor`, `positive`, `negative` (all `[N, D]`, or one
    /// triplet `[D]`). [`Reduction::None`] returns `[N]` (0-d for one triplet).
    ///
    /// # Panics
    ///
    /// If the three shapes differ or are not 1-d or 2-d.
    #[track_caller]
    pub fn forward<T: Float>(
        &self,
        anchor: &Var<T>,
        positive: &Var<T>,
        negative: &Var<T>,
    ) -> Var<T> {
        check_embeddings(
            "TripletMarginLoss",
            &[
                ("anchor", anchor),
                ("positive", positive),
                ("negative", negative),
            ],
            None,
        );
        let d_pos = self.distance(anchor, positive);
        let mut d_neg = self.distance(anchor, negative);
        if self.swap {
            d_neg = d_neg.minimum(&self.distance(positive, negative));
        }
        let loss = d_pos
            .add_scalar(T::from_f64(self.margin))
            .sub(&d_neg)
            .relu();
        reduce(loss, self.reduction)
    }

    /// ‖x - y + eps‖_p over the last axis (PyTorch's `pairwise_distance`).
    fn distance<T: Float>(&self, x: &Var<T>, y: &Var<T>) -> Var<T> {
        let axis = x.shape().len() - 1;
        let d = x.sub(y).add_scalar(T::from_f64(self.eps));
        if self.p == 2.0 {
            d.mul(&d).sum_axes(&[axis], false).sqrt()
        } else if self.p == 1.0 {
            d.abs().sum_axes(&[axis], false)
        } else if self.p == f64::INFINITY {
            d.abs().max_axes(&[axis], false)
        } else {
            d.abs()
                .powf(T::from_f64(self.p))
                .sum_axes(&[axis], false)
                .powf(T::from_f64(1.0 / self.p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(shape: &[usize]) -> Var<f64> {
        Var::new(Tensor::ones(shape))
    }

    #[test]
    #[should_panic(
        expected = "CosineEmbeddingLoss: input1 of shape [2, 3] and input2 of shape [2, 4] differ"
    )]
    fn cosine_names_the_shapes() {
        CosineEmbeddingLoss::new().forward(&x(&[2, 3]), &x(&[2, 4]), &Tensor::ones(&[2]));
    }

    #[test]
    #[should_panic(
        expected = "CosineEmbeddingLoss: inputs of shape [2, 3] need a target of shape [2], got [3]"
    )]
    fn cosine_names_the_target_shape() {
        CosineEmbeddingLoss::new().forward(&x(&[2, 3]), &x(&[2, 3]), &Tensor::ones(&[3]));
    }

    #[test]
    #[should_panic(
        expected = "TripletMarginLoss: anchor of shape [2, 3] and negative of shape [3, 3] differ"
    )]
    fn triplet_names_the_shapes() {
        TripletMarginLoss::new().forward(&x(&[2, 3]), &x(&[2, 3]), &x(&[3, 3]));
    }

    #[test]
    #[should_panic(expected = "TripletMarginLoss: inputs must be [N, D] or [D], got [1, 2, 3]")]
    fn triplet_refuses_three_axes() {
        TripletMarginLoss::new().forward(&x(&[1, 2, 3]), &x(&[1, 2, 3]), &x(&[1, 2, 3]));
    }

    #[test]
    #[should_panic(expected = "TripletMarginLoss: margin must be positive and finite, got 0")]
    fn triplet_refuses_margin_0() {
        let _ = TripletMarginLoss::new().margin(0.0);
    }

    #[test]
    #[should_panic(expected = "TripletMarginLoss: eps must be non-negative and finite, got -0.001")]
    fn triplet_refuses_a_negative_eps() {
        let _ = TripletMarginLoss::new().eps(-1e-3);
    }

    #[test]
    #[should_panic(expected = "TripletMarginLoss: p must be positive, got -1")]
    fn triplet_refuses_a_negative_p() {
        let _ = TripletMarginLoss::new().p(-1.0);
    }

    #[test]
    fn cosine_of_a_zero_vector_is_0() {
        let zero = Var::parameter(Tensor::<f64>::zeros(&[3]));
        let loss = CosineEmbeddingLoss::new().forward(&zero, &x(&[3]), &Tensor::scalar(1.0));
        assert_eq!(loss.item(), 1.0);
        loss.backward();
        assert!(zero.grad().unwrap().all_finite());
    }

    #[test]
    fn triplet_infinity_norm_is_the_largest_difference() {
        let a = Var::new(Tensor::from_vec(vec![0.0f64, 0.0], &[2]).unwrap());
        let p = Var::new(Tensor::from_vec(vec![1.0f64, -2.0], &[2]).unwrap());
        let n = Var::new(Tensor::from_vec(vec![0.5f64, 2.5], &[2]).unwrap());
        let loss = TripletMarginLoss::new()
            .p(f64::INFINITY)
            .eps(0.0)
            .forward(&a, &p, &n);
        assert_eq!(loss.item(), 1.0 + 2.0 - 2.5);
    }
}
