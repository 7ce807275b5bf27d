//! The [`Optimizer`] trait and parameter groups.

use backprop_autograd::Var;
use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use crate::{
    AdadeltaConfig, AdagradConfig, AdamConfig, AdamWConfig, AdamaxConfig, AsgdConfig, LbfgsConfig,
    NAdamConfig, OptimError, OptimizerState, RAdamConfig, RmsPropConfig, RpropConfig, SgdConfig,
};

/// An optimizer: updates parameters in place from their gradients, like `torch.optim.Optimizer`.
///
/// Parameters live in [`ParamGroup`]s, each with its own options (learning rate, momentum,
/// ...). A parameter whose gradient is `None` is skipped by [`step`](Optimizer::step) and its
/// state is left untouched, as in PyTorch.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Adam, AdamConfig, Optimizer};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::from_vec(vec![1.0f64, -2.0], &[2]).unwrap());
/// let mut opt = Adam::new(vec![w.clone()], AdamConfig { lr: 0.1, ..Default::default() }).unwrap();
/// for _ in 0..100 {
///     opt.zero_grad();
///     w.mul(&w).sum().backward(); // minimise |w|²
///     opt.step();
/// }
/// assert!(w.value().to_vec().iter().all(|x| x.abs() < 0.1));
/// ```
pub trait Optimizer<T: Float> {
    /// Performs one update of every parameter that has a gradient.
    fn step(&mut self);

    /// Clears the gradient of every parameter (sets it to `None`, PyTorch's default
    /// `set_to_none=True`).
    fn zero_grad(&mut self) {
        for group in self.param_groups() {
            for p in &group.params {
                p.zero_grad();
            }
        }
    }

    /// Zeroes every existing gradient in place instead of dropping it, like PyTorch's
    /// `zero_grad(set_to_none=False)`; a parameter without a gradient keeps `None`.
    ///
    /// Unlike after [`zero_grad`](Optimizer::zero_grad), the next [`step`](Optimizer::step)
    /// still updates those parameters, with a zero gradient: weight decay and momentum still
    /// move them and Adam counts the step.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_optim::{Optimizer, Sgd, SgdConfig};
    /// use backprop_tensor::Tensor;
    ///
    /// let w = Var::parameter(Tensor::from_vec(vec![1.0f64], &[1]).unwrap());
    /// let config = SgdConfig { lr: 0.1, weight_decay: 0.5, ..Default::default() };
    /// let mut opt = Sgd::new(vec![w.clone()], config).unwrap();
    /// w.set_grad(Some(Tensor::from_vec(vec![2.0], &[1]).unwrap()));
    /// opt.zero_grad_in_place();
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![0.0]);
    /// opt.step(); // the weight decay alone: 1 − 0.1·0.5·1
    /// assert_eq!(w.value().to_vec(), vec![0.95]);
    /// ```
    fn zero_grad_in_place(&mut self) {
        for group in self.param_groups() {
            for p in &group.params {
                p.with_grad_mut(|g| {
                    if let Some(g) = g {
                        g.fill_(T::zero());
                    }
                });
            }
        }
    }

    /// The learning rate of the first group.
    fn lr(&self) -> f64 {
        self.param_groups().first().map_or(0.0, |g| g.options.lr())
    }

    /// Sets the learning rate of every group.
    fn set_lr(&mut self, lr: f64) {
        for group in self.param_groups_mut() {
            group.options.set_lr(lr);
        }
    }

    /// The parameter groups, in the order they were added.
    fn param_groups(&self) -> &[ParamGroup<T>];

    /// The parameter groups, mutably (to change a group's options, as PyTorch code does with
    /// `optimizer.param_groups[0]["lr"] = ...`).
    fn param_groups_mut(&mut self) -> &mut [ParamGroup<T>];

    /// A serializable snapshot of the optimizer: every group's options and, per parameter,
    /// its step count and buffers (moments, momentum), keyed by the parameter's index in the
    /// order of the groups, like PyTorch's `state_dict()`.
    fn state_dict(&self) -> OptimizerState<T>;

    /// Restores a snapshot taken by [`state_dict`](Optimizer::state_dict) from an optimizer of
    /// the same kind over parameters of the same shapes. Group options are replaced by the
    /// saved ones; the parameters themselves are kept.
    ///
    /// # Errors
    ///
    /// An [`OptimError`] naming the group, parameter and shapes when the saved state was made
    /// by another kind of optimizer, has a different number of groups or parameters, or holds a
    /// tensor whose shape differs from its parameter's. On error nothing is changed.
    fn load_state_dict(&mut self, state: OptimizerState<T>) -> Result<(), OptimError>;
}

/// A list of parameters that share options, like one dict of PyTorch's `param_groups`.
#[derive(Debug, Clone)]
pub struct ParamGroup<T: Float> {
    /// The parameters updated with these options.
    pub params: Vec<Var<T>>,
    /// The options (learning rate and the rest) of this group.
    pub options: GroupOptions,
    /// PyTorch's `group["initial_lr"]`: the group's rate when the first learning-rate
    /// scheduler was attached (`None` before that). Every scheduler built later reads its base
    /// rates from here, not from the current rate, so a second scheduler chained after one
    /// that already changed the rate (a [`LinearLr`](crate::LinearLr) warm-up) anneals from
    /// the same base as in PyTorch.
    pub initial_lr: Option<f64>,
}

/// The options of one parameter group: the configuration of the optimizer that owns it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum GroupOptions {
    /// Options of [`Sgd`](crate::Sgd).
    Sgd(SgdConfig),
    /// Options of [`Adam`](crate::Adam).
    Adam(AdamConfig),
    /// Options of [`AdamW`](crate::AdamW).
    AdamW(AdamWConfig),
    /// Options of [`RmsProp`](crate::RmsProp).
    RmsProp(RmsPropConfig),
    /// Options of [`Adagrad`](crate::Adagrad).
    Adagrad(AdagradConfig),
    /// Options of [`NAdam`](crate::NAdam).
    NAdam(NAdamConfig),
    /// Options of [`RAdam`](crate::RAdam).
    RAdam(RAdamConfig),
    /// Options of [`Adamax`](crate::Adamax).
    Adamax(AdamaxConfig),
    /// Options of [`Adadelta`](crate::Adadelta).
    Adadelta(AdadeltaConfig),
    /// Options of [`Rprop`](crate::Rprop).
    Rprop(RpropConfig),
    /// Options of [`Asgd`](crate::Asgd).
    Asgd(AsgdConfig),
    /// Options of [`Lbfgs`](crate::Lbfgs).
    Lbfgs(LbfgsConfig),
}

impl GroupOptions {
    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            GroupOptions::Sgd(c) => c.lr,
            GroupOptions::Adam(c) => c.lr,
            GroupOptions::AdamW(c) => c.lr,
            GroupOptions::RmsProp(c) => c.lr,
            GroupOptions::Adagrad(c) => c.lr,
            GroupOptions::NAdam(c) => c.lr,
            GroupOptions::RAdam(c) => c.lr,
            GroupOptions::Adamax(c) => c.lr,
            GroupOptions::Adadelta(c) => c.lr,
            GroupOptions::Rprop(c) => c.lr,
            GroupOptions::Asgd(c) => c.lr,
            GroupOptions::Lbfgs(c) => c.lr,
        }
    }

    /// Sets the learning rate.
    pub fn set_lr(&mut self, lr: f64) {
        match self {
            GroupOptions::Sgd(c) => c.lr = lr,
            GroupOptions::Adam(c) => c.lr = lr,
            GroupOptions::AdamW(c) => c.lr = lr,
            GroupOptions::RmsProp(c) => c.lr = lr,
            GroupOptions::Adagrad(c) => c.lr = lr,
            GroupOptions::NAdam(c) => c.lr = lr,
            GroupOptions::RAdam(c) => c.lr = lr,
            GroupOptions::Adamax(c) => c.lr = lr,
            GroupOptions::Adadelta(c) => c.lr = lr,
            GroupOptions::Rprop(c) => c.lr = lr,
            GroupOptions::Asgd(c) => c.lr = lr,
            GroupOptions::Lbfgs(c) => c.lr = lr,
        }
    }

    /// The name of the optimizer these options belong to, as PyTorch spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            GroupOptions::Sgd(_) => "SGD",
            GroupOptions::Adam(_) => "Adam",
            GroupOptions::AdamW(_) => "AdamW",
            GroupOptions::RmsProp(_) => "RMSprop",
            GroupOptions::Adagrad(_) => "Adagrad",
            GroupOptions::NAdam(_) => "NAdam",
            GroupOptions::RAdam(_) => "RAdam",
            GroupOptions::Adamax(_) => "Adamax",
            GroupOptions::Adadelta(_) => "Adadelta",
            GroupOptions::Rprop(_) => "Rprop",
            GroupOptions::Asgd(_) => "ASGD",
            GroupOptions::Lbfgs(_) => "LBFGS",
        }
    }
}

/// A boxed optimizer (`Box<dyn Optimizer<T>>`, chosen at run time) is an optimizer too, so it
/// can be handed to schedulers directly.
impl<T: Float, O: Optimizer<T> + ?Sized> Optimizer<T> for Box<O> {
    fn step(&mut self) {
        (**self).step();
    }

    fn zero_grad(&mut self) {
        (**self).zero_grad();
    }

    fn zero_grad_in_place(&mut self) {
        (**self).zero_grad_in_place();
    }

    fn lr(&self) -> f64 {
        (**self).lr()
    }

    fn set_lr(&mut self, lr: f64) {
        (**self).set_lr(lr);
    }

    fn param_groups(&self) -> &[ParamGroup<T>] {
        (**self).param_groups()
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<T>] {
        (**self).param_groups_mut()
    }

    fn state_dict(&self) -> OptimizerState<T> {
        (**self).state_dict()
    }

    fn load_state_dict(&mut self, state: OptimizerState<T>) -> Result<(), OptimError> {
        (**self).load_state_dict(state)
    }
}
