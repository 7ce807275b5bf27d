//! [`NLLLoss`]: negative log-likelihood of log-probabilities.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use super::{ClassLayout, Reduction};

/// Negative log-likelihood of class indices under log-probabilities `[N, C]` (PyTorch's
/// `nn.NLLLoss`; feed it `log_softmax` outputs, or use [`CrossEntropyLoss`] on logits;
/// `[C]` and `[N, C, d1, ...]` inputs work as in PyTorch, see [`forward`](NLLLoss::forward)):
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

    /// The loss of log-probabilities `input` against class indices `targets`: `[N, C]`
    /// with targets `[N]`, one sample `[C]` with a 0-d target, or `[N, C, d1, ..., dk]`
    /// with targets `[N, d1, ..., dk]` (as PyTorch; [`Reduction::None`] returns the
    /// targets' shape).
    ///
    /// With [`Reduction::Mean`], no rows left (an empty batch, or every target ignored)
    /// give NaN and a zero gradient, as in PyTorch.
    ///
    /// # Panics
    ///
    /// If `input` is 0-d, `targets` does not have the shape above, a class is `>= C` (and
    /// not ignored) or the weight is not `[C]`.
    #[track_caller]
    pub fn forward(&self, input: &Var<T>, targets: &Tensor<usize>) -> Var<T> {
        let layout = ClassLayout::of("NLLLoss", &input.shape());
        let targets = layout.index_rows("NLLLoss", targets);
        let (n, c) = (layout.rows, layout.classes);
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
        // Pick input[n, y_n] of the rows not ignored with gather and scale each pick by
        // -w_{y_n}: the gradient is -w_{y_n} at (n, y_n) and 0 elsewhere. Ignored rows
        // are left out of the graph (not multiplied by 0), so a mean over no rows is
        // 0 · (1/0) = NaN in value while its gradient stays 0, as PyTorch's.
        let mut kept = Vec::with_capacity(n);
        let mut index = Vec::with_capacity(n);
        let mut scale = Vec::with_capacity(n);
        let mut denom = T::zero();
        for (row, &y) in targets.to_vec().iter().enumerate() {
            if Some(y) == self.ignore_index {
                continue;
            }
            assert!(
                y < c,
                "NLLLoss: target {y} of row {row} is out of range for {c} classes"
            );
            kept.push(row);
            index.push(y);
            scale.push(-w[y]);
            denom += w[y];
        }
        let k = kept.len();
        let rows = layout.rows_of(input);
        let rows = if k == n {
            rows
        } else {
            rows.index_select(0, &kept)
        };
        let index = Tensor::from_vec(index, &[k, 1]).expect("k indices");
        let scale = Tensor::from_vec(scale, &[k]).expect("k weights");
        let per_kept = rows.gather(1, &index).reshape(&[k]).mul(&Var::new(scale));
        match self.reduction {
            Reduction::None if k == n => layout.unflatten(per_kept),
            // Ignored rows get loss 0.
            Reduction::None => layout.unflatten(Var::index_add(&[n], 0, &kept, &per_kept)),
            Reduction::Sum => per_kept.sum(),
            Reduction::Mean => per_kept.sum().mul_scalar(T::one() / denom),
        }
    }
}
