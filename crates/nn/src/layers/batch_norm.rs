//! [`BatchNorm1d`]: y = (x − E[x]) / √(Var[x] + ε) · γ + β per channel, with running
//! statistics for evaluation.

use backprop_autograd::{Var, no_grad};
use backprop_tensor::{Float, Tensor};

use crate::{Module, TrainingFlag};

/// Batch normalization over `[N, C]` or `[N, C, L]` inputs (PyTorch's `nn.BatchNorm1d`):
/// each channel `c` is normalized by the mean and biased variance of `x[:, c]` (over the
/// batch and, for 3-D inputs, the length axis), then scaled by `weight[c]` and shifted by
/// `bias[c]`.
///
/// In training mode, with `track_running_stats` (the default), each forward pass also
/// updates the buffers `running_mean` and `running_var` (the latter from the *unbiased*
/// batch variance) as `r ← (1 − m)·r + m·batch_stat` with momentum `m` — `0.1` by default,
/// or `1/num_batches_tracked` (a cumulative average) when the momentum is `None` — and
/// increments `num_batches_tracked`. In evaluation mode the running statistics are used
/// instead of the batch's. Without `track_running_stats` the layer has no buffers and always
/// uses batch statistics.
///
/// Parameters (`weight` ones, `bias` zeros, when `affine`) and buffers (`running_mean`
/// zeros, `running_var` ones, `num_batches_tracked` 0) carry PyTorch's state-dict names;
/// `num_batches_tracked` is stored in the layer's float type (PyTorch's is an `int64`: its
/// `load_state_dict` accepts either, and `read_safetensors` reads PyTorch's I64 counter); in
/// `f32` it counts exactly up to 2²⁴ batches.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{BatchNorm1d, Module};
/// use backprop_tensor::Tensor;
///
/// let bn = BatchNorm1d::<f64>::new(2);
/// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 20.0], &[2, 2]).unwrap();
/// let y = bn.forward(&Var::new(x.clone())).value();
/// // Each channel becomes (−1, 1) up to ε.
/// assert!((y.to_vec()[0] + 1.0).abs() < 1e-4 && (y.to_vec()[3] - 1.0).abs() < 1e-4);
/// // Running statistics moved 10% of the way to the batch mean and unbiased variance.
/// let rm = bn.running_mean().unwrap().to_vec();
/// assert!((rm[0] - 0.2).abs() < 1e-12 && (rm[1] - 1.5).abs() < 1e-12);
/// let rv = bn.running_var().unwrap().to_vec();
/// assert!((rv[0] - (0.9 + 0.1 * 2.0)).abs() < 1e-12);
/// assert_eq!(bn.num_batches_tracked(), Some(1));
///
/// let keys: Vec<String> = bn.state_dict().into_keys().collect();
/// assert_eq!(keys, ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]);
///
/// bn.eval(); // now normalizes with the running statistics
/// let y = bn.forward(&Var::new(x)).value().to_vec();
/// assert!((y[0] - (1.0 - 0.2) / (1.1f64 + 1e-5).sqrt()).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm1d<T: Float = f32> {
    /// The per-channel scale γ, `[C]`, if the layer is affine.
    pub weight: Option<Var<T>>,
    /// The per-channel shift β, `[C]`, if the layer is affine.
    pub bias: Option<Var<T>>,
    running: Option<RunningStats<T>>,
    num_features: usize,
    eps: f64,
    momentum: Option<f64>,
    training: TrainingFlag,
}

/// The buffers of a layer that tracks running statistics.
#[derive(Debug, Clone)]
struct RunningStats<T: Float> {
    mean: Var<T>,
    var: Var<T>,
    num_batches_tracked: Var<T>,
}

impl<T: Float> RunningStats<T> {
    fn new(num_features: usize) -> Self {
        RunningStats {
            mean: Var::new(Tensor::zeros(&[num_features])),
            var: Var::new(Tensor::ones(&[num_features])),
            num_batches_tracked: Var::new(Tensor::scalar(T::zero())),
        }
    }
}

impl<T: Float> BatchNorm1d<T> {
    /// Batch normalization of `num_features` channels with PyTorch's defaults: `eps = 1e-5`,
    /// momentum 0.1, affine, tracking running statistics.
    pub fn new(num_features: usize) -> Self {
        BatchNorm1d {
            weight: Some(Var::parameter(Tensor::ones(&[num_features]))),
            bias: Some(Var::parameter(Tensor::zeros(&[num_features]))),
            running: Some(RunningStats::new(num_features)),
            num_features,
            eps: 1e-5,
            momentum: Some(0.1),
            training: TrainingFlag::new(),
        }
    }

    /// Sets ε, the value added to the variance for stability, builder style.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the running-statistics momentum, builder style: `Some(m)` for an exponential
    /// moving average, `None` for a cumulative average over all batches seen.
    pub fn with_momentum(mut self, momentum: Option<f64>) -> Self {
        self.momentum = momentum;
        self
    }

    /// Keeps (`true`) or drops (`false`) the learnable weight and bias, builder style.
    pub fn with_affine(mut self, affine: bool) -> Self {
        if !affine {
            self.weight = None;
            self.bias = None;
        } else if self.weight.is_none() {
            self.weight = Some(Var::parameter(Tensor::ones(&[self.num_features])));
            self.bias = Some(Var::parameter(Tensor::zeros(&[self.num_features])));
        }
        self
    }

    /// Keeps (`true`) or drops (`false`) the running statistics and their buffers,
    /// builder style; without them the layer normalizes with batch statistics in both modes.
    pub fn with_track_running_stats(mut self, track: bool) -> Self {
        if !track {
            self.running = None;
        } else if self.running.is_none() {
            self.running = Some(RunningStats::new(self.num_features));
        }
        self
    }

    /// The number of channels `C`.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// ε, added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The momentum (`None`: cumulative average).
    pub fn momentum(&self) -> Option<f64> {
        self.momentum
    }

    /// The running mean `[C]`, if the layer tracks running statistics.
    pub fn running_mean(&self) -> Option<Tensor<T>> {
        self.running.as_ref().map(|r| r.mean.value())
    }

    /// The running (unbiased) variance `[C]`, if the layer tracks running statistics.
    pub fn running_var(&self) -> Option<Tensor<T>> {
        self.running.as_ref().map(|r| r.var.value())
    }

    /// How many training batches have updated the running statistics, if tracked.
    pub fn num_batches_tracked(&self) -> Option<u64> {
        self.running
            .as_ref()
            .map(|r| r.num_batches_tracked.item().as_f64() as u64)
    }

    /// Folds one batch's statistics into the running ones (outside the graph).
    fn update_running(&self, running: &RunningStats<T>, x: &Tensor<T>, axes: &[usize]) {
        no_grad(|| {
            let count = running.num_batches_tracked.item() + T::one();
            running.num_batches_tracked.set_data(Tensor::scalar(count));
            let factor = match self.momentum {
                Some(m) => T::from_f64(m),
                None => T::one() / count,
            };
            let keep = T::one() - factor;
            let mean = x.mean(axes, false);
            let var = x.var(axes, 1, false);
            let new_mean = running
                .mean
                .data()
                .mul_scalar(keep)
                .add(&mean.mul_scalar(factor));
            let new_var = running
                .var
                .data()
                .mul_scalar(keep)
                .add(&var.mul_scalar(factor));
            running.mean.set_data(new_mean);
            running.var.set_data(new_var);
        });
    }
}

impl<T: Float> Module<T> for BatchNorm1d<T> {
    /// Normalizes each channel of `x`, `[N, C]` or `[N, C, L]`.
    ///
    /// # Panics
    ///
    /// If `x` is not 2-D or 3-D, its channel axis is not `num_features`, or batch statistics
    /// are needed (training, or no running statistics) and each channel has a single value.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let shape = x.shape();
        let c = self.num_features;
        assert!(
            shape.len() == 2 || shape.len() == 3,
            "BatchNorm1d: expected 2D or 3D input (got {}D input of shape {shape:?})",
            shape.len()
        );
        assert!(
            shape[1] == c,
            "BatchNorm1d: input of shape {shape:?} has {} channels, expected num_features = {c}",
            shape[1]
        );
        let (axes, param_shape): (&[usize], &[usize]) = if shape.len() == 3 {
            (&[0, 2], &[c, 1])
        } else {
            (&[0], &[c])
        };
        let training = self.training.get();
        let y = match &self.running {
            Some(running) if !training => {
                let mean = Var::new(running.mean.value().reshape(param_shape));
                let var = Var::new(running.var.value().reshape(param_shape));
                let std = var.add_scalar(T::from_f64(self.eps)).sqrt();
                x.sub(&mean).div(&std)
            }
            running => {
                let per_channel = shape[0] * shape.get(2).copied().unwrap_or(1);
                assert!(
                    per_channel > 1,
                    "BatchNorm1d: Expected more than 1 value per channel when training, got input size {shape:?}"
                );
                if let (Some(running), true) = (running, training) {
                    self.update_running(running, &x.data(), axes);
                }
                let mean = x.mean_axes(axes, true);
                let var = x.var_axes(axes, 0, true);
                let std = var.add_scalar(T::from_f64(self.eps)).sqrt();
                x.sub(&mean).div(&std)
            }
        };
        let y = match &self.weight {
            Some(w) => y.mul(&w.reshape(param_shape)),
            None => y,
        };
        match &self.bias {
            Some(b) => y.add(&b.reshape(param_shape)),
            None => y,
        }
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

    fn local_buffers(&self) -> Vec<(&str, Var<T>)> {
        match &self.running {
            Some(r) => vec![
                ("running_mean", r.mean.clone()),
                ("running_var", r.var.clone()),
                ("num_batches_tracked", r.num_batches_tracked.clone()),
            ],
            None => Vec::new(),
        }
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
    fn options_decide_parameters_and_buffers() {
        let bn = BatchNorm1d::<f32>::new(3);
        assert_eq!(bn.num_parameters(), 6);
        assert_eq!(bn.named_buffers().len(), 3);
        let bare = bn.with_affine(false).with_track_running_stats(false);
        assert!(bare.state_dict().is_empty());
        assert_eq!(bare.running_mean(), None);
    }

    #[test]
    fn buffers_of_children_get_dotted_names() {
        let mut rng = backprop_tensor::Rng::seed_from_u64(4);
        let model = crate::Sequential::<f32>::new()
            .add(crate::Linear::new(2, 3, &mut rng))
            .add(BatchNorm1d::new(3));
        let keys: Vec<String> = model.state_dict().into_keys().collect();
        assert_eq!(
            keys,
            [
                "0.bias",
                "0.weight",
                "1.bias",
                "1.num_batches_tracked",
                "1.running_mean",
                "1.running_var",
                "1.weight"
            ]
        );
        assert_eq!(model.num_parameters(), 6 + 3 + 3 + 3);
    }

    #[test]
    fn state_dict_round_trips_the_buffers() {
        let a = BatchNorm1d::<f64>::new(2);
        let mut rng = backprop_tensor::Rng::seed_from_u64(5);
        a.forward(&Var::new(Tensor::randn(&[4, 2, 3], &mut rng)));
        let b = BatchNorm1d::<f64>::new(2);
        b.load_state_dict(&a.state_dict(), true).unwrap();
        assert_eq!(b.running_mean(), a.running_mean());
        assert_eq!(b.running_var(), a.running_var());
        assert_eq!(b.num_batches_tracked(), Some(1));
    }

    #[test]
    #[should_panic(
        expected = "BatchNorm1d: Expected more than 1 value per channel when training, got input size [1, 3]"
    )]
    fn single_value_per_channel_panics_in_training() {
        let _ = BatchNorm1d::<f32>::new(3).forward(&Var::new(Tensor::zeros(&[1, 3])));
    }

    #[test]
    fn single_value_per_channel_is_fine_in_evaluation() {
        let bn = BatchNorm1d::<f32>::new(3);
        bn.eval();
        let y = bn.forward(&Var::new(Tensor::ones(&[1, 3])));
        assert_eq!(y.shape(), [1, 3]);
    }

    #[test]
    #[should_panic(
        expected = "BatchNorm1d: expected 2D or 3D input (got 4D input of shape [2, 3, 1, 1])"
    )]
    fn four_dimensional_input_panics() {
        let _ = BatchNorm1d::<f32>::new(3).forward(&Var::new(Tensor::zeros(&[2, 3, 1, 1])));
    }

    #[test]
    #[should_panic(
        expected = "BatchNorm1d: input of shape [2, 4] has 4 channels, expected num_features = 3"
    )]
    fn wrong_channel_count_panics() {
        let _ = BatchNorm1d::<f32>::new(3).forward(&Var::new(Tensor::zeros(&[2, 4])));
    }
}
