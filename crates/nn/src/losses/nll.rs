//! [`NLLLoss`]: negative log-likelihood of log-probabilities.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::Reduction;

/// Negative log-likelihood of class indices under log-probabilities `[N, C]` (PyTorch's
/// `nn.NLLLoss`; feed it `log_softmax` outputs, or use [`CrossEntropyLoss`] on logits):
///
/// loss_n = -w_{y_n} · input_{n, y_n}, 0 for rows whose class is `ignore_index`;
/// [`Reduction::Mean`] divides the sum by Σ_n w_{y_n} over the rows not ignored.
///
/// [`CrossEntropyLoss`]: crate::CrossEntropyLoss
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::NLLLoss;
/// use backprop_tensor::Tensor;
/// let logp = Var::new(Tensor::from_vec(vec![-0.1f32, -2.0, -3.0, -0.2], &[2, 2]).unwrap());
/// let y = Tensor::from_vec(vec![0usize, 1], &[2]).unwrap();
/// assert!((NLLLoss::new().forward(&logp, &y).item() - 0.15).abs() < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct NLLLoss<T: Float = f32> {
    weight: Option<Tensor<T>>,
    ignore_index: Option<usize>,
    reduction: Reduction,
}

impl<T: Float> Default for NLLLoss<T> {
    fn default() -> Self {
        NLLLoss {
            weight: None,
            ignore_index: None,
            reduction: Reduction::Mean,
        }
    }
}

impl<T: Float> NLLLoss<T> {
    /// The loss with PyTorch's defaults: no weights, nothing ignored, mean.
    pub fn new() -> Self {
        Self::default()
    }

    /// A weight per class (`[C]`).
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Rows whose class is `index` contribute nothing.
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// How the per-sample losses are combined.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss of log-probabilities `input` `[N, C]` against class indices `targets` `[N]`.
    ///
    /// # Panics
    ///
    /// If `input` is not 2-D, `targets` is not `[N]`, a class is `>= C` (and not ignored)
    /// or the weight is not `[C]`.
    #[track_caller]
    pub fn forward(&self, input: &Var<T>, targets: &Tensor<usize>) -> Var<T> {
        let shape = input.shape();
        assert!(
            shape.len() == 2,
            "NLLLoss: input must be [N, C], got shape {shape:?}"
        );
        let (n, c) = (shape[0], shape[1]);
        assert!(
            targets.shape() == [n],
            "NLLLoss: input {shape:?} needs targets of shape [{n}], got {:?}",
            targets.shape()
        );
        let w: Vec<T> = match &self.weight {
            Some(w) => {
                assert!(
                    w.shape() == [c],
                    "NLLLoss: weight must have shape [{c}], got {:?}",
                    w.shape()
                );
                w.to_vec()
            }
            None => vec![T::one(); c],
        };
        // Pick input[n, y_n] with gather (ignored rows pick column 0 and get weight 0), then
        // scale each pick by -w_{y_n}: the gradient is -w_{y_n} at (n, y_n) and 0 elsewhere.
        let mut index = Vec::with_capacity(n);
        let mut scale = Vec::with_capacity(n);
        let mut denom = T::zero();
        for (row, &y) in targets.to_vec().iter().enumerate() {
            if Some(y) == self.ignore_index {
                index.push(0);
                scale.push(T::zero());
                continue;
            }
            assert!(
                y < c,
                "NLLLoss: target {y} of row {row} is out of range for {c} classes"
            );
            index.push(y);
            scale.push(-w[y]);
            denom += w[y];
        }
        let index = Tensor::from_vec(index, &[n, 1]).expect("n indices");
        let scale = Tensor::from_vec(scale, &[n]).expect("n weights");
        let per_row = input.gather(1, &index).reshape(&[n]).mul(&Var::new(scale));
        match self.reduction {
            Reduction::None => per_row,
            Reduction::Sum => per_row.sum(),
            Reduction::Mean => per_row.sum().mul_scalar(T::one() / denom),
        }
    }
}
