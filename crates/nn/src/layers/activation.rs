//! Activation functions as modules, for use in a [`Sequential`](crate::Sequential).
//!
//! Each is a thin wrapper over the autograd op of the same name; the derivatives live
//! with the ops.

use std::marker::PhantomData;

use backprop_autograd::Var;
use backprop_tensor::Float;

use crate::{Module, TrainingFlag};

/// Defines a parameter-free module: a struct with a training flag, `new`, `Default` and a
/// `Module` impl whose forward is `$forward`.
macro_rules! activation {
    (
        $(#[$doc:meta])*
        $name:ident { $($field:ident: $ty:ty),* } |$self_:ident, $x:ident| $forward:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        pub struct $name<T: Float = f32> {
            $($field: $ty,)*
            training: TrainingFlag,
            _dtype: PhantomData<fn() -> T>,
        }

        impl<T: Float> Module<T> for $name<T> {
            #[track_caller]
            fn forward(&$self_, $x: &Var<T>) -> Var<T> {
                $forward
            }

            fn set_training(&self, training: bool) {
                self.training.set(training);
            }

            fn is_training(&self) -> bool {
                self.training.get()
            }
        }
    };
}

activation! {
    /// `max(x, 0)` elementwise (PyTorch's `nn.ReLU`).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_nn::{Module, ReLU};
    /// use backprop_tensor::Tensor;
    /// let x = Var::new(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).unwrap());
    /// assert_eq!(ReLU::<f32>::new().forward(&x).value().to_vec(), vec![0.0, 2.0]);
    /// ```
    ReLU {} |self, x| x.relu()
}

impl<T: Float> ReLU<T> {
    /// The module.
    pub fn new() -> Self {
        Self::default()
    }
}
