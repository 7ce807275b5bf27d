//! [`Sequential`]: modules applied one after another.

use backprop_autograd::Var;
use backprop_tensor::Float;

use crate::{Module, TrainingFlag};

/// A chain of modules, each applied to the previous one's output (PyTorch's
/// `nn.Sequential`). Children are named `"0"`, `"1"`, ... so parameters are named
/// `"0.weight"`, `"2.bias"`, exactly as in PyTorch.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Linear, Module, ReLU, Sequential};
/// use backprop_tensor::{Rng, Tensor};
///
/// let mut rng = Rng::seed_from_u64(0);
/// let mlp: Sequential = Sequential::new()
///     .add(Linear::new(2, 16, &mut rng))
///     .add(ReLU::new())
///     .add(Linear::new(16, 1, &mut rng));
/// let names: Vec<String> = mlp.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// assert_eq!(mlp.forward(&Var::new(Tensor::zeros(&[5, 2]))).shape(), [5, 1]);
/// ```
pub struct Sequential<T: Float = f32> {
    layers: Vec<Box<dyn Module<T>>>,
    names: Vec<String>,
    training: TrainingFlag,
}

impl<T: Float> Sequential<T> {
    /// An empty chain (its forward is the identity).
    pub fn new() -> Self {
        Sequential {
            layers: Vec::new(),
            names: Vec::new(),
            training: TrainingFlag::new(),
        }
    }

    /// Appends a module, builder style.
    // `add` is PyTorch's name (`add_module`) and reads naturally in a builder chain;
    // `Sequential` is not a number, so `std::ops::Add` would be the surprising choice.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Module<T> + 'static) -> Self {
        self.push(Box::new(layer));
        self
    }

    /// Appends a boxed module.
    pub fn push(&mut self, layer: Box<dyn Module<T>>) {
        self.names.push(self.layers.len().to_string());
        self.layers.push(layer);
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the chain is empty.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The module at `index`, if any.
    pub fn get(&self, index: usize) -> Option<&dyn Module<T>> {
        self.layers.get(index).map(|m| m.as_ref())
    }
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> std::fmt::Debug for Sequential<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sequential({} modules)", self.layers.len())
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward(&self, x: &Var<T>) -> Var<T> {
        self.layers
            .iter()
            .fold(x.clone(), |h, layer| layer.forward(&h))
    }

    fn children(&self) -> Vec<(&str, &dyn Module<T>)> {
        self.names
            .iter()
            .zip(&self.layers)
            .map(|(n, m)| (n.as_str(), m.as_ref()))
            .collect()
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
        for layer in &self.layers {
            layer.set_training(training);
        }
    }

    fn is_training(&self) -> bool {
        self.training.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dropout, Linear, ReLU};
    use backprop_tensor::{Rng, Tensor};

    #[test]
    fn nested_names_and_modes() {
        let mut rng = Rng::seed_from_u64(0);
        let block = Sequential::new()
            .add(Linear::<f32>::new(3, 3, &mut rng))
            .add(Dropout::new(0.5, &mut rng));
        let net = Sequential::new()
            .add(block)
            .add(ReLU::new())
            .add(Linear::new_no_bias(3, 1, &mut rng));
        let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["0.0.weight", "0.0.bias", "2.weight"]);
        assert!(net.is_training());
        net.eval();
        assert!(!net.is_training());
        assert!(!net.get(0).unwrap().children()[1].1.is_training());
        net.train();
        assert!(net.get(0).unwrap().children()[1].1.is_training());
    }

    #[test]
    fn forward_applies_in_order_and_zero_grad_clears() {
        let w1 = Tensor::from_vec(vec![2.0f64], &[1, 1]).unwrap();
        let w2 = Tensor::from_vec(vec![-3.0f64], &[1, 1]).unwrap();
        let net = Sequential::new()
            .add(Linear::from_weights(w1, None).unwrap())
            .add(ReLU::new())
            .add(Linear::from_weights(w2, None).unwrap());
        let x = Var::new(Tensor::from_vec(vec![1.0, -1.0], &[2, 1]).unwrap());
        let y = net.forward(&x);
        assert_eq!(y.value().to_vec(), vec![-6.0, 0.0]);
        y.sum().backward();
        assert!(net.parameters().iter().all(|p| p.grad().is_some()));
        net.zero_grad();
        assert!(net.parameters().iter().all(|p| p.grad().is_none()));
    }
}
