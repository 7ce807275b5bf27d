//! [`Linear`]: y = x·Wᵀ + b.

use backprop_autograd::Var;
use backprop_tensor::{Float, Rng, Tensor};

use crate::init::{self, FanMode, Nonlinearity};
use crate::{LayerError, Module, TrainingFlag};

/// A fully connected layer, `y = x·Wᵀ + b` (PyTorch's `nn.Linear`).
///
/// The weight is stored `[out_features, in_features]` and the bias `[out_features]`, with
/// PyTorch's names (`weight`, `bias`) and layout, so state dicts move between the two
/// libraries unchanged. The input may have any number of leading axes: `[*, in_features]`
/// maps to `[*, out_features]`.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Linear, Module};
/// use backprop_tensor::Tensor;
///
/// let w = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
/// let b = Tensor::from_vec(vec![0.5f32, -0.5], &[2]).unwrap();
/// let fc = Linear::from_weights(w, Some(b)).unwrap();
/// let x = Var::new(Tensor::from_vec(vec![1.0f32, 0.0, -1.0], &[1, 3]).unwrap());
/// assert_eq!(fc.forward(&x).value().to_vec(), vec![1.0 - 3.0 + 0.5, 4.0 - 6.0 - 0.5]);
/// ```
#[derive(Debug, Clone)]
pub struct Linear<T: Float = f32> {
    /// The weight, `[out_features, in_features]`.
    pub weight: Var<T>,
    /// The bias, `[out_features]`, if the layer has one.
    pub bias: Option<Var<T>>,
    training: TrainingFlag,
}

impl<T: Float> Linear<T> {
    /// A layer with PyTorch's default initialisation: weight and bias drawn from
    /// U(-1/√in, 1/√in) (the weight through `kaiming_uniform_` with a = √5, as PyTorch does).
    pub fn new(in_features: usize, out_features: usize, rng: &mut Rng) -> Self {
        Self::build(in_features, out_features, true, rng)
    }

    /// As [`new`](Linear::new), without a bias (`y = x·Wᵀ`).
    pub fn new_no_bias(in_features: usize, out_features: usize, rng: &mut Rng) -> Self {
        Self::build(in_features, out_features, false, rng)
    }

    fn build(in_features: usize, out_features: usize, bias: bool, rng: &mut Rng) -> Self {
        let shape = [out_features, in_features];
        let weight = init::kaiming_uniform(
            &shape,
            5f64.sqrt(),
            FanMode::FanIn,
            Nonlinearity::LeakyReLU,
            rng,
        );
        let bias = bias.then(|| {
            let bound = if in_features > 0 {
                1.0 / (in_features as f64).sqrt()
            } else {
                0.0
            };
            init::uniform(&[out_features], -bound, bound, rng)
        });
        Linear {
            weight: Var::parameter(weight),
            bias: bias.map(Var::parameter),
            training: TrainingFlag::new(),
        }
    }

    /// Keeps the bias (`true`) or drops it (`false`), builder style.
    pub fn with_bias(mut self, bias: bool) -> Self {
        if !bias {
            self.bias = None;
        } else if self.bias.is_none() {
            self.bias = Some(Var::parameter(Tensor::zeros(&[self.out_features()])));
        }
        self
    }

    /// A layer with the given weight `[out, in]` and optional bias `[out]`.
    ///
    /// # Errors
    ///
    /// [`LayerError::Shape`] if the weight is not 2-D or the bias is not `[out]`.
    pub fn from_weights(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Result<Self, LayerError> {
        if weight.ndim() != 2 {
            return Err(LayerError::Shape {
                layer: "Linear",
                reason: format!("weight must be [out, in], got {:?}", weight.shape()),
            });
        }
        let out = weight.shape()[0];
        if let Some(b) = &bias {
            if b.shape() != [out] {
                return Err(LayerError::Shape {
                    layer: "Linear",
                    reason: format!(
                        "bias must be [{out}] for weight {:?}, got {:?}",
                        weight.shape(),
                        b.shape()
                    ),
                });
            }
        }
        Ok(Linear {
            weight: Var::parameter(weight),
            bias: bias.map(Var::parameter),
            training: TrainingFlag::new(),
        })
    }

    /// The size of each input sample.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// The size of each output sample.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Float> Module<T> for Linear<T> {
    /// `x·Wᵀ + b` over the last axis of `x`.
    ///
    /// # Panics
    ///
    /// If the last axis of `x` is not `in_features`.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let shape = x.shape();
        let (inf, outf) = (self.in_features(), self.out_features());
        assert!(
            shape.last() == Some(&inf),
            "Linear: input of shape {shape:?} does not end in in_features = {inf} (weight [{outf}, {inf}])"
        );
        let rows = shape[..shape.len() - 1].iter().product();
        let x2 = x.reshape(&[rows, inf]);
        // One fused op: x·Wᵀ + b without materializing Wᵀ (see autograd's `linear`).
        let y = x2.linear(&self.weight, self.bias.as_ref());
        let mut out_shape = shape;
        *out_shape.last_mut().expect("at least one axis") = outf;
        y.reshape(&out_shape)
    }

    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        let mut p = vec![("weight", self.weight.clone())];
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
    fn default_init_is_within_pytorch_bounds() {
        let mut rng = Rng::seed_from_u64(0);
        let fc = Linear::<f64>::new(16, 300, &mut rng);
        let bound = 0.25;
        let w = fc.weight.value();
        assert!(w.abs().max_all().item() <= bound);
        // U(-b, b) has standard deviation b/√3; 4800 samples pin it to about 1%.
        let std = w.var(&[0, 1], 0, false).item().sqrt();
        assert!((std - bound / 3f64.sqrt()).abs() < 0.005, "std {std}");
        let b = fc.bias.as_ref().unwrap().value();
        assert!(b.abs().max_all().item() <= bound);
        assert!(b.abs().max_all().item() > 0.2);
    }

    #[test]
    fn forward_matches_manual_and_handles_leading_axes() {
        let mut rng = Rng::seed_from_u64(1);
        let fc = Linear::<f64>::new(3, 2, &mut rng);
        let x = Tensor::<f64>::randn(&[2, 4, 3], &mut rng);
        let y = fc.forward(&Var::new(x.clone())).value();
        assert_eq!(y.shape(), [2, 4, 2]);
        let w = fc.weight.value().to_vec();
        let b = fc.bias.as_ref().unwrap().value().to_vec();
        let xv = x.to_vec();
        for r in 0..8 {
            for o in 0..2 {
                let e: f64 = (0..3).map(|i| xv[r * 3 + i] * w[o * 3 + i]).sum::<f64>() + b[o];
                assert!((y.to_vec()[r * 2 + o] - e).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn no_bias_and_builder() {
        let mut rng = Rng::seed_from_u64(2);
        let fc = Linear::<f32>::new_no_bias(3, 2, &mut rng);
        assert_eq!(fc.local_parameters().len(), 1);
        let fc = Linear::<f32>::new(3, 2, &mut rng).with_bias(false);
        assert!(fc.bias.is_none());
        assert_eq!(fc.num_parameters(), 6);
    }

    #[test]
    fn from_weights_rejects_bad_bias() {
        let e = Linear::from_weights(Tensor::<f32>::zeros(&[2, 3]), Some(Tensor::zeros(&[3])))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Linear: bias must be [2] for weight [2, 3], got [3]"
        );
    }

    #[test]
    #[should_panic(expected = "Linear: input of shape [4, 5] does not end in in_features = 3")]
    fn wrong_input_width_panics() {
        let fc = Linear::<f32>::new(3, 2, &mut Rng::seed_from_u64(0));
        let _ = fc.forward(&Var::new(Tensor::zeros(&[4, 5])));
    }
}
