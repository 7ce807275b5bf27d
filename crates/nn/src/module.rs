//! The [`Module`] trait: a piece of a network with a forward pass, parameters and children.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use crate::state_dict::{self, StateDictError};

/// A layer or a whole model: a forward pass plus the parameters it owns directly and the
/// sub-modules it is built from (like PyTorch's `nn.Module`).
///
/// Implement [`forward`](Module::forward) and, for a container, [`children`](Module::children);
/// a layer that owns weights lists them in [`local_parameters`](Module::local_parameters).
/// Everything else — dotted parameter names, `parameters`, `zero_grad`, `train`/`eval`,
/// state dicts — is derived from those.
///
/// # Examples
///
/// The model of the PyTorch tutorial (4 features → 8 → 9 → 3 classes):
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Linear, Module};
/// use backprop_tensor::{Rng, Tensor};
///
/// struct Model {
///     fc1: Linear,
///     fc2: Linear,
///     out: Linear,
/// }
///
/// impl Module for Model {
///     fn forward(&self, x: &Var) -> Var {
///         let x = self.fc1.forward(x).relu();
///         let x = self.fc2.forward(&x).relu();
///         self.out.forward(&x)
///     }
///     fn children(&self) -> Vec<(&str, &dyn Module)> {
///         vec![("fc1", &self.fc1), ("fc2", &self.fc2), ("out", &self.out)]
///     }
/// }
///
/// let mut rng = Rng::seed_from_u64(41);
/// let model = Model {
///     fc1: Linear::new(4, 8, &mut rng),
///     fc2: Linear::new(8, 9, &mut rng),
///     out: Linear::new(9, 3, &mut rng),
/// };
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias"]);
/// assert_eq!(model.num_parameters(), 4 * 8 + 8 + 8 * 9 + 9 + 9 * 3 + 3);
///
/// let logits = model.forward(&Var::new(Tensor::zeros(&[5, 4])));
/// assert_eq!(logits.shape(), [5, 3]);
/// model.eval();
/// assert!(!model.is_training());
/// ```
pub trait Module<T: Float = f32>: Send + Sync {
    /// The forward pass.
    fn forward(&self, x: &Var<T>) -> Var<T>;

    /// The sub-modules, each with the name that prefixes its parameters' names (a field
    /// name such as `"fc1"`, or the index in a [`Sequential`](crate::Sequential)).
    fn children(&self) -> Vec<(&str, &dyn Module<T>)> {
        Vec::new()
    }

    /// The parameters this module owns directly (not those of its children), by name.
    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        Vec::new()
    }

    /// The buffers this module owns directly: state that is saved in the state dict but is
    /// not a parameter (batch norm's running statistics), by name, as PyTorch's
    /// `register_buffer`. They are values without gradients, updated in place.
    fn local_buffers(&self) -> Vec<(&str, Var<T>)> {
        Vec::new()
    }

    /// Switches training mode on this module and every descendant. Layers whose behaviour
    /// depends on the mode (dropout) override this to record it, then recurse.
    fn set_training(&self, training: bool) {
        for (_, child) in self.children() {
            child.set_training(training);
        }
    }

    /// Whether the module is in training mode: for a container, whether all its children
    /// are; a module with no children and no mode of its own is always training.
    fn is_training(&self) -> bool {
        self.children().iter().all(|(_, c)| c.is_training())
    }

    /// Every parameter with its PyTorch-style dotted name (`"fc1.weight"`, nested
    /// `"block.0.bias"`), own parameters first, then each child's in order.
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        let mut out: Vec<(String, Var<T>)> = self
            .local_parameters()
            .into_iter()
            .map(|(n, p)| (n.to_string(), p))
            .collect();
        for (prefix, child) in self.children() {
            out.extend(
                child
                    .named_parameters()
                    .into_iter()
                    .map(|(n, p)| (format!("{prefix}.{n}"), p)),
            );
        }
        out
    }

    /// Every buffer with its dotted name (`"bn.running_mean"`), own buffers first, then each
    /// child's in order (PyTorch's `named_buffers`).
    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        let mut out: Vec<(String, Var<T>)> = self
            .local_buffers()
            .into_iter()
            .map(|(n, b)| (n.to_string(), b))
            .collect();
        for (prefix, child) in self.children() {
            out.extend(
                child
                    .named_buffers()
                    .into_iter()
                    .map(|(n, b)| (format!("{prefix}.{n}"), b)),
            );
        }
        out
    }

    /// Every parameter, in the order of [`named_parameters`](Module::named_parameters)
    /// (what an optimizer takes).
    fn parameters(&self) -> Vec<Var<T>> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// The total number of scalar parameters.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Var::numel).sum()
    }

    /// Clears the gradient of every parameter.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// Training mode (dropout active).
    fn train(&self) {
        self.set_training(true);
    }

    /// Evaluation mode (dropout off).
    fn eval(&self) {
        self.set_training(false);
    }

    /// A copy of every parameter's and buffer's value by dotted name (PyTorch's
    /// `state_dict()`).
    fn state_dict(&self) -> BTreeMap<String, Tensor<T>> {
        self.named_parameters()
            .into_iter()
            .chain(self.named_buffers())
            .map(|(n, p)| (n, p.value()))
            .collect()
    }

    /// Copies values from `state` into the parameters and buffers with the same names.
    ///
    /// With `strict`, every parameter and buffer must be present and no other key may be; without it,
    /// missing and unexpected keys are skipped. Shapes must always match. Nothing is changed
    /// when an error is returned.
    ///
    /// # Errors
    ///
    /// The first [`StateDictError::MissingKey`], [`StateDictError::UnexpectedKey`] or
    /// [`StateDictError::ShapeMismatch`], by name.
    fn load_state_dict(
        &self,
        state: &BTreeMap<String, Tensor<T>>,
        strict: bool,
    ) -> Result<(), StateDictError> {
        let mut entries = self.named_parameters();
        entries.extend(self.named_buffers());
        state_dict::load_into(&entries, state, strict)
    }
}

impl<T: Float, M: Module<T> + ?Sized> Module<T> for Box<M> {
    fn forward(&self, x: &Var<T>) -> Var<T> {
        (**self).forward(x)
    }
    fn children(&self) -> Vec<(&str, &dyn Module<T>)> {
        (**self).children()
    }
    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        (**self).local_parameters()
    }
    fn local_buffers(&self) -> Vec<(&str, Var<T>)> {
        (**self).local_buffers()
    }
    fn set_training(&self, training: bool) {
        (**self).set_training(training);
    }
    fn is_training(&self) -> bool {
        (**self).is_training()
    }
}

/// A training-mode flag that can be switched through `&self` (modules are shared
/// across threads for inference, so the flag is atomic). Starts in training mode, as in
/// PyTorch.
#[derive(Debug)]
pub struct TrainingFlag(AtomicBool);

impl TrainingFlag {
    /// A flag in training mode.
    pub fn new() -> Self {
        TrainingFlag(AtomicBool::new(true))
    }

    /// Whether training mode is on.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Switches training mode.
    pub fn set(&self, training: bool) {
        self.0.store(training, Ordering::Relaxed);
    }
}

impl Default for TrainingFlag {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for TrainingFlag {
    fn clone(&self) -> Self {
        TrainingFlag(AtomicBool::new(self.get()))
    }
}
