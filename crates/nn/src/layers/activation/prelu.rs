//! [`PReLU`]: a leaky ReLU whose slope is learned.

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use crate::{LayerError, Module, TrainingFlag};

/// `x` for x > 0 and `a·x` otherwise, with a learnable slope `a` (PyTorch's `nn.PReLU`,
/// defaults `num_parameters` 1 and `init` 0.25).
///
/// The slopes are the parameter `weight`, shaped `[num_parameters]` and named as in
/// PyTorch, so state dicts and safetensors files move between the two unchanged. With one
/// slope it applies to every element; with `C` slopes the input must have `C` channels
/// along axis 1 (`[N, C]`, `[N, C, L]`, ...), and channel `c` uses slope `c`.
///
/// The forward is `where(x > 0, x, a·x)`, so the gradient is 1 for x > 0 and `a` for
/// x ≤ 0 (at 0 too, as PyTorch's `prelu` backward), and the slope's gradient is the sum
/// of `x·dy` over the elements with x ≤ 0 of its channel.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Module, PReLU};
/// use backprop_tensor::Tensor;
///
/// let prelu: PReLU<f64> = PReLU::with_params(2, 0.5);
/// let x = Var::new(Tensor::from_vec(vec![-2.0, -2.0, 3.0, 3.0], &[2, 2]).unwrap());
/// prelu.weight.set_data(Tensor::from_vec(vec![0.5, 0.1], &[2]).unwrap());
/// let y = prelu.forward(&x);
/// assert_eq!(y.value().to_vec(), vec![-1.0, -0.2, 3.0, 3.0]);
/// y.sum().backward();
/// assert_eq!(prelu.weight.grad().unwrap().to_vec(), vec![-2.0, -2.0]);
/// let names: Vec<String> = prelu.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["weight"]);
/// ```
#[derive(Debug, Clone)]
pub struct PReLU<T: Float = f32> {
    /// The slopes for x ≤ 0, `[num_parameters]`.
    pub weight: Var<T>,
    training: TrainingFlag,
}

impl<T: Float> PReLU<T> {
    /// One slope, initialised to 0.25 (PyTorch's defaults).
    pub fn new() -> Self {
        Self::with_params(1, 0.25)
    }

    /// `num_parameters` slopes (1, or the number of channels), each initialised to `init`.
    ///
    /// # Panics
    ///
    /// If `num_parameters` is 0.
    #[track_caller]
    pub fn with_params(num_parameters: usize, init: f64) -> Self {
        assert!(
            num_parameters > 0,
            "PReLU: num_parameters must be at least 1 (one slope, or one per channel)"
        );
        PReLU {
            weight: Var::parameter(Tensor::full(&[num_parameters], T::from_f64(init))),
            training: TrainingFlag::new(),
        }
    }

    /// A layer with the given slopes, `[num_parameters]`.
    ///
    /// # Errors
    ///
    /// [`LayerError::Shape`] if `weight` is not 1-D or is empty.
    pub fn from_weight(weight: Tensor<T>) -> Result<Self, LayerError> {
        if weight.ndim() != 1 || weight.numel() == 0 {
            return Err(LayerError::Shape {
                layer: "PReLU",
                reason: format!(
                    "weight must be [num_parameters] with num_parameters ≥ 1, got {:?}",
                    weight.shape()
                ),
            });
        }
        Ok(PReLU {
            weight: Var::parameter(weight),
            training: TrainingFlag::new(),
        })
    }

    /// The number of slopes: 1, or the number of channels.
    pub fn num_parameters(&self) -> usize {
        self.weight.numel()
    }
}

impl<T: Float> Default for PReLU<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Module<T> for PReLU<T> {
    /// `where(x > 0, x, weight·x)`, the weight laid along axis 1 when it has more than one
    /// slope.
    ///
    /// # Panics
    ///
    /// If the layer has `C > 1` slopes and the input is not at least 2-D with `C` channels
    /// along axis 1.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let shape = x.shape();
        let c = self.num_parameters();
        // A weight shaped [1, C, 1, ...] (or all ones for one slope) broadcasts against x.
        let mut w_shape = vec![1; shape.len()];
        if c > 1 {
            assert!(
                shape.len() >= 2,
                "PReLU: input of shape {shape:?} has no channel axis (axis 1), but the layer has num_parameters = {c} (weight [{c}])"
            );
            assert!(
                shape[1] == c,
                "PReLU: input of shape {shape:?} has {} channels along axis 1, but the layer has num_parameters = {c} (weight [{c}])",
                shape[1]
            );
            w_shape[1] = c;
        }
        let w = self.weight.reshape(&w_shape);
        let positive = x.data().gt(&Tensor::scalar(T::zero()));
        Var::where_cond(&positive, x, &x.mul(&w))
    }

    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        vec![("weight", self.weight.clone())]
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
    fn defaults_are_pytorchs() {
        let p = PReLU::<f64>::new();
        assert_eq!(p.weight.value().to_vec(), vec![0.25]);
        assert_eq!(p.num_parameters(), 1);
        assert!(p.weight.requires_grad());
        assert_eq!(PReLU::<f64>::default().weight.value().to_vec(), vec![0.25]);
    }

    #[test]
    fn one_slope_applies_to_any_shape_and_the_gradient_at_zero_is_the_slope() {
        let p = PReLU::<f64>::new();
        let x = Var::parameter(Tensor::from_vec(vec![-4.0, 0.0, 2.0], &[3]).unwrap());
        let y = p.forward(&x);
        assert_eq!(y.value().to_vec(), vec![-1.0, 0.0, 2.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0.25, 0.25, 1.0]);
        assert_eq!(p.weight.grad().unwrap().to_vec(), vec![-4.0]);
        let s = Var::new(Tensor::scalar(-2.0));
        assert_eq!(p.forward(&s).value().shape(), [] as [usize; 0]);
        assert_eq!(p.forward(&s).item(), -0.5);
    }

    #[test]
    fn channel_slopes_follow_axis_one() {
        let w = Tensor::from_vec(vec![0.1, 0.2, 0.3], &[3]).unwrap();
        let p = PReLU::<f64>::from_weight(w).unwrap();
        let x = Var::new(Tensor::full(&[2, 3, 2], -1.0));
        let y = p.forward(&x).value().to_vec();
        assert_eq!(y, [-0.1, -0.1, -0.2, -0.2, -0.3, -0.3].repeat(2));
    }

    #[test]
    fn weight_round_trips_through_safetensors_under_pytorchs_key() {
        let dir = std::env::temp_dir().join(format!("backprop-nn-prelu-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("prelu.safetensors");
        let saved =
            PReLU::<f32>::from_weight(Tensor::from_vec(vec![0.1, -0.2, 0.3], &[3]).unwrap())
                .unwrap();
        crate::save_safetensors(&saved, &path).unwrap();
        let file = crate::read_safetensors::<f32>(&path).unwrap();
        assert_eq!(file.keys().collect::<Vec<_>>(), ["weight"]);
        let loaded = PReLU::<f32>::with_params(3, 0.25);
        crate::load_safetensors(&loaded, &path).unwrap();
        assert_eq!(loaded.weight.value(), saved.weight.value());
        let wrong = PReLU::<f32>::new();
        assert!(crate::load_safetensors(&wrong, &path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn from_weight_rejects_bad_shapes() {
        let e = PReLU::<f32>::from_weight(Tensor::zeros(&[2, 3])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PReLU: weight must be [num_parameters] with num_parameters ≥ 1, got [2, 3]"
        );
        assert!(PReLU::<f32>::from_weight(Tensor::zeros(&[0])).is_err());
    }

    #[test]
    #[should_panic(
        expected = "PReLU: input of shape [4, 5] has 5 channels along axis 1, but the layer has num_parameters = 3 (weight [3])"
    )]
    fn channel_mismatch_panics() {
        let _ = PReLU::<f32>::with_params(3, 0.25).forward(&Var::new(Tensor::zeros(&[4, 5])));
    }

    #[test]
    #[should_panic(
        expected = "PReLU: input of shape [3] has no channel axis (axis 1), but the layer has num_parameters = 3 (weight [3])"
    )]
    fn channel_slopes_on_a_vector_panic() {
        let _ = PReLU::<f32>::with_params(3, 0.25).forward(&Var::new(Tensor::zeros(&[3])));
    }

    #[test]
    #[should_panic(expected = "PReLU: num_parameters must be at least 1")]
    fn zero_parameters_panics() {
        let _ = PReLU::<f32>::with_params(0, 0.25);
    }
}
