//! [`LambdaLr`]: the base rate times a function of the epoch; [`LrLambda`], such a function.

use std::fmt;
use std::sync::Arc;

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, Rule, init_base_lrs};
use crate::{OptimError, Optimizer};

/// A function of the epoch (an integer, as in PyTorch, where it can be −1 only for a
/// scheduler that a `SequentialLr` rewound twice) giving a factor: PyTorch's `lr_lambda` and
/// `scale_fn`.
///
/// It is shared (`Arc`) so that schedulers holding one stay `Clone`; two `LrLambda`s are
/// equal when they are the same function object.
///
/// # Examples
///
/// ```
/// use backprop_optim::LrLambda;
///
/// let f = LrLambda::new(|epoch| 0.5f64.powi(epoch as i32));
/// assert_eq!(f.call(3), 0.125);
/// assert_eq!(f, f.clone());
/// ```
#[derive(Clone)]
pub struct LrLambda(Arc<dyn Fn(i64) -> f64 + Send + Sync>);

impl LrLambda {
    /// Wraps `f`.
    pub fn new(f: impl Fn(i64) -> f64 + Send + Sync + 'static) -> Self {
        LrLambda(Arc::new(f))
    }

    /// The factor at `epoch`.
    pub fn call(&self, epoch: i64) -> f64 {
        (self.0)(epoch)
    }
}

impl<F: Fn(i64) -> f64 + Send + Sync + 'static> From<F> for LrLambda {
    fn from(f: F) -> Self {
        LrLambda::new(f)
    }
}

impl fmt::Debug for LrLambda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LrLambda(..)")
    }
}

impl PartialEq for LrLambda {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}

/// One function per group: the same one `groups` times, or the list given, which must have
/// one per group (PyTorch's `ValueError` "Expected n lr_lambdas, but got m").
pub(crate) fn lambdas_per_group(
    owner: &'static str,
    lambdas: Vec<LrLambda>,
    groups: usize,
) -> Result<Vec<LrLambda>, OptimError> {
    if lambdas.len() == groups {
        Ok(lambdas)
    } else {
        Err(OptimError::InvalidOption {
            owner,
            option: "lr_lambda",
            value: format!("{} functions for {groups} parameter groups", lambdas.len()),
            reason: "must be one function, or one per parameter group",
        })
    }
}

/// The factor of group `i` at `epoch`.
///
/// # Panics
///
/// When there is no function for group `i`: a scheduler restored by serde has none (load its
/// state into a built one with `load_state_dict`), and a group added after the scheduler was
/// built has none (PyTorch raises there too).
pub(crate) fn factor(owner: &str, lambdas: &[LrLambda], i: usize, epoch: i64) -> f64 {
    match lambdas.get(i) {
        Some(f) => f.call(epoch),
        None => panic!(
            "{owner}: no lr_lambda for parameter group {i} (it holds {}); a scheduler \
             deserialized by serde has none: load its state into a built one with load_state_dict",
            lambdas.len()
        ),
    }
}

/// Sets each group's rate to its base rate times a function of the epoch, like
/// `torch.optim.lr_scheduler.LambdaLR`:
///
/// `lr(epoch) = base_lr · lr_lambda(epoch)`
///
/// with one function for all groups ([`new`](LambdaLr::new)) or one per group
/// ([`per_group`](LambdaLr::per_group)). Building the scheduler sets the rates to
/// `base_lr · lr_lambda(0)`. It is not chainable: each step overwrites the rates from the base
/// rates, as in PyTorch.
///
/// Serializing it saves everything but the functions (PyTorch's `state_dict` saves none
/// either); restore with [`load_state_dict`](LambdaLr::load_state_dict) into a scheduler
/// built with the same functions.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{LambdaLr, LrLambda, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let (a, b) = (Var::parameter(Tensor::<f32>::zeros(&[1])), Var::parameter(Tensor::<f32>::zeros(&[1])));
/// let mut opt = Sgd::with_groups(vec![
///     (vec![a], SgdConfig { lr: 1.0, ..Default::default() }),
///     (vec![b], SgdConfig { lr: 0.5, ..Default::default() }),
/// ])
/// .unwrap();
/// // Group 0 steps down every 2 epochs, group 1 decays as 1/(epoch + 1).
/// let lambdas = vec![
///     LrLambda::new(|e| if e < 2 { 1.0 } else { 0.1 }),
///     LrLambda::new(|e| 1.0 / (e + 1) as f64),
/// ];
/// let mut sched = LambdaLr::per_group(&mut opt, lambdas).unwrap();
/// sched.step(&mut opt);
/// assert_eq!(sched.get_last_lr(), &[1.0, 0.25]);
/// sched.step(&mut opt);
/// assert_eq!(sched.get_last_lr(), &[0.1, 0.5 / 3.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaLr {
    #[serde(skip)]
    lr_lambdas: Vec<LrLambda>,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl LambdaLr {
    /// A schedule with the same function for every group; sets the rates to
    /// `base_lr · lr_lambda(0)`.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        lr_lambda: impl Fn(i64) -> f64 + Send + Sync + 'static,
    ) -> Self {
        let f = LrLambda::new(lr_lambda);
        let groups = optimizer.param_groups().len();
        Self::build(optimizer, vec![f; groups])
    }

    /// A schedule with one function per group, in the order of the groups.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] naming `lr_lambda` when there is not one function per
    /// group.
    pub fn per_group<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        lr_lambdas: Vec<LrLambda>,
    ) -> Result<Self, OptimError> {
        let groups = optimizer.param_groups().len();
        let lr_lambdas = lambdas_per_group("LambdaLR", lr_lambdas, groups)?;
        Ok(Self::build(optimizer, lr_lambdas))
    }

    fn build<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        lr_lambdas: Vec<LrLambda>,
    ) -> Self {
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = LambdaLr {
            lr_lambdas,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        sched
    }

    /// Takes over the epoch and rates of `saved` (typically deserialized, so without
    /// functions) and keeps this scheduler's functions, like PyTorch's `load_state_dict`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_optim::{LambdaLr, LrScheduler, Sgd, SgdConfig};
    /// use backprop_tensor::Tensor;
    ///
    /// let w = Var::parameter(Tensor::<f64>::zeros(&[1]));
    /// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
    /// let mut sched = LambdaLr::new(&mut opt, |e| 0.9f64.powi(e as i32));
    /// sched.step(&mut opt);
    /// let json = serde_json::to_string(&sched).unwrap();
    ///
    /// let mut resumed = LambdaLr::new(&mut opt, |e| 0.9f64.powi(e as i32));
    /// resumed.load_state_dict(serde_json::from_str(&json).unwrap());
    /// assert_eq!(resumed.last_epoch(), 1);
    /// ```
    pub fn load_state_dict(&mut self, saved: LambdaLr) {
        self.last_epoch = saved.last_epoch;
        self.base_lrs = saved.base_lrs;
        self.last_lr = saved.last_lr;
    }

    /// The base rates, PyTorch's `base_lrs` (see [`LinearLr::base_lrs`](crate::LinearLr::base_lrs)).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    /// PyTorch's `get_lr` (there is no closed form; every path uses it).
    fn rate(&self, _rule: Rule, i: usize, base_lr: f64, _lr: f64) -> f64 {
        base_lr * factor("LambdaLR", &self.lr_lambdas, i, self.last_epoch)
    }
}

chainable_scheduler!(LambdaLr);
