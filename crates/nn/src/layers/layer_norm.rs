//! [`LayerNorm`]: y = (x − E[x]) / √(Var[x] + ε) · γ + β over the trailing axes.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use crate::{Module, TrainingFlag};

/// Layer normalization over the last `normalized_shape.len()` axes (PyTorch's
/// `nn.LayerNorm`): `y = (x − E[x]) / √(Var[x] + eps) · weight + bias`, the mean and the
/// biased (population) variance taken per sample over those axes.
///
/// With `elementwise_affine` (the default) the layer owns a `weight` initialised to ones and,
/// unless built [`with_bias(false)`](LayerNorm::with_bias), a `bias` initialised to zeros,
/// both of `normalized_shape`, under PyTorch's state-dict names. The layer behaves the same in
/// training and evaluation mode.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{LayerNorm, Module};
/// use backprop_tensor::Tensor;
///
/// let ln = LayerNorm::<f64>::new(&[4]);
/// let x = Var::new(Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], &[1, 4]).unwrap());
/// let y = ln.forward(&x).value().to_vec();
/// // Mean 3, population variance 3.5.
/// let s = (3.5f64 + 1e-5).sqrt();
/// for (got, want) in y.iter().zip([-2.0 / s, -1.0 / s, 0.0, 3.0 / s]) {
///     assert!((got - want).abs() < 1e-12);
/// }
/// let names: Vec<String> = ln.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["weight", "bias"]);
/// ```
#[derive(Debug, Clone)]
pub struct LayerNorm<T: Float = f32> {
    /// The scale γ, of `normalized_shape`, if the layer is elementwise-affine.
    pub weight: Option<Var<T>>,
    /// The shift β, of `normalized_shape`, if the layer is affine and has a bias.
    pub bias: Option<Var<T>>,
    normalized_shape: Vec<usize>,
    eps: f64,
    training: TrainingFlag,
}

impl<T: Float> LayerNorm<T> {
    /// Normalization over trailing axes of `normalized_shape`, with PyTorch's defaults:
    /// `eps = 1e-5`, an elementwise affine weight (ones) and bias (zeros).
    pub fn new(normalized_shape: &[usize]) -> Self {
        LayerNorm {
            weight: Some(Var::parameter(Tensor::ones(normalized_shape))),
            bias: Some(Var::parameter(Tensor::zeros(normalized_shape))),
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
            training: TrainingFlag::new(),
        }
    }

    /// Sets ε, the value added to the variance for stability, builder style.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Keeps (`true`) or drops (`false`) the learnable weight and bias
    /// (PyTorch's `elementwise_affine`), builder style. Turning it back on gives a fresh
    /// weight of ones and bias of zeros.
    pub fn with_elementwise_affine(mut self, affine: bool) -> Self {
        if !affine {
            self.weight = None;
            self.bias = None;
        } else if self.weight.is_none() {
            self.weight = Some(Var::parameter(Tensor::ones(&self.normalized_shape)));
            self.bias = Some(Var::parameter(Tensor::zeros(&self.normalized_shape)));
        }
        self
    }

    /// Keeps (`true`) or drops (`false`) the bias of an elementwise-affine layer
    /// (PyTorch's `bias`), builder style; a layer without a weight never has a bias.
    pub fn with_bias(mut self, bias: bool) -> Self {
        if !bias {
            self.bias = None;
        } else if self.weight.is_some() && self.bias.is_none() {
            self.bias = Some(Var::parameter(Tensor::zeros(&self.normalized_shape)));
        }
        self
    }

    /// The trailing shape normalized over.
    pub fn normalized_shape(&self) -> &[usize] {
        &self.normalized_shape
    }

    /// ε, added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }
}

impl<T: Float> Module<T> for LayerNorm<T> {
    /// Normalizes each sample over the trailing `normalized_shape` axes.
    ///
    /// # Panics
    ///
    /// If the shape of `x` does not end in `normalized_shape`.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let shape = x.shape();
        let k = self.normalized_shape.len();
        assert!(
            shape.len() >= k && shape[shape.len() - k..] == self.normalized_shape[..],
            "LayerNorm: input of shape {shape:?} does not end in normalized_shape {:?}",
            self.normalized_shape
        );
        let axes: Vec<usize> = (shape.len() - k..shape.len()).collect();
        let mean = x.mean_axes(&axes, true);
        let var = x.var_axes(&axes, 0, true);
        let std = var.add_scalar(T::from_f64(self.eps)).sqrt();
        let mut y = x.sub(&mean).div(&std);
        if let Some(w) = &self.weight {
            y = y.mul(w);
        }
        if let Some(b) = &self.bias {
            y = y.add(b);
        }
        y
    }

    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        let mut p = Vec::new();
        if let Some(w) = &self.weight {
            p.push(("weight", w.clone()));
        }
        if let Some(b) = &self.bias {
            p.push(("bias", b.clone()));
        }
        p
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn is_training(&self) -> bool {
        self.training.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_decide_the_parameters() {
        let ln = LayerNorm::<f32>::new(&[2, 3]);
        assert_eq!(ln.num_parameters(), 12);
        assert_eq!(
            ln.weight.as_ref().map(Var::value),
            Some(Tensor::ones(&[2, 3]))
        );
        assert_eq!(ln.clone().with_bias(false).num_parameters(), 6);
        let plain = ln.with_elementwise_affine(false);
        assert!(plain.local_parameters().is_empty());
        assert!(plain.with_bias(true).bias.is_none());
    }

    #[test]
    fn normalizes_each_sample_over_the_trailing_axes() {
        let mut rng = backprop_tensor::Rng::seed_from_u64(3);
        let ln = LayerNorm::<f64>::new(&[3, 4]).with_eps(0.0);
        let x = Tensor::<f64>::randn(&[2, 5, 3, 4], &mut rng).mul_scalar(3.0);
        let y = ln.forward(&Var::new(x)).value();
        let mean = y.mean(&[2, 3], false);
        let var = y.var(&[2, 3], 0, false);
        assert!(mean.abs().max_all().item() < 1e-12);
        assert!(var.map(|v| (v - 1.0).abs()).max_all().item() < 1e-12);
    }

    #[test]
    #[should_panic(
        expected = "LayerNorm: input of shape [2, 3] does not end in normalized_shape [2]"
    )]
    fn wrong_trailing_shape_panics() {
        let ln = LayerNorm::<f32>::new(&[2]);
        let _ = ln.forward(&Var::new(Tensor::zeros(&[2, 3])));
    }
}
