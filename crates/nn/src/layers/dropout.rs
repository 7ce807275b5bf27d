//! [`Dropout`]: randomly zeroes elements during training.

use std::marker::PhantomData;
use std::sync::{Mutex, MutexGuard};

use backprop_autograd::Var;
use backprop_tensor::{Float, Rng, Tensor};

use crate::{Module, TrainingFlag};

/// Zeroes each element with probability `p` during training and scales the survivors by
/// `1/(1-p)` ("inverted" dropout, as PyTorch), so the expected value is unchanged and
/// evaluation needs no rescaling. In evaluation mode it is the identity.
///
/// The layer owns its random generator; [`rng_state`](Dropout::rng_state) and
/// [`set_rng_state`](Dropout::set_rng_state) save and restore it so a resumed run draws
/// the same masks.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Dropout, Module};
/// use backprop_tensor::Tensor;
///
/// let drop: Dropout = Dropout::with_seed(0.5, 7);
/// let x = Var::new(Tensor::<f32>::ones(&[1000]));
/// let y = drop.forward(&x).value();
/// assert!(y.to_vec().iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.eval();
/// assert_eq!(drop.forward(&x).value(), x.value());
/// ```
#[derive(Debug)]
pub struct Dropout<T: Float = f32> {
    p: f64,
    rng: Mutex<Rng>,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> Dropout<T> {
    /// Dropout with probability `p`, its generator forked from `rng`.
    ///
    /// # Panics
    ///
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn new(p: f64, rng: &mut Rng) -> Self {
        Self::from_rng(p, rng.fork())
    }

    /// Dropout with probability `p` and a generator seeded from `seed`.
    ///
    /// # Panics
    ///
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn with_seed(p: f64, seed: u64) -> Self {
        Self::from_rng(p, Rng::seed_from_u64(seed))
    }

    #[track_caller]
    fn from_rng(p: f64, rng: Rng) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: probability has to be between 0 and 1, but got {p}"
        );
        Dropout {
            p,
            rng: Mutex::new(rng),
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    fn rng(&self) -> MutexGuard<'_, Rng> {
        self.rng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the generator's current state (for checkpoints).
    pub fn rng_state(&self) -> Rng {
        self.rng().clone()
    }

    /// Restores the generator's state (from [`rng_state`](Dropout::rng_state)).
    pub fn set_rng_state(&self, rng: Rng) {
        *self.rng() = rng;
    }
}

impl<T: Float> Module<T> for Dropout<T> {
    fn forward(&self, x: &Var<T>) -> Var<T> {
        if !self.training.get() || self.p == 0.0 {
            return x.clone();
        }
        let shape = x.shape();
        let mask = if self.p == 1.0 {
            Tensor::zeros(&shape)
        } else {
            let keep = T::from_f64(1.0 / (1.0 - self.p));
            let p = T::from_f64(self.p);
            Tensor::<T>::rand(&shape, &mut self.rng()).map(|u| if u < p { T::zero() } else { keep })
        };
        x.mul(&Var::new(mask))
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
    fn drop_rate_and_scaling() {
        let drop = Dropout::with_seed(0.3, 1);
        let x = Var::parameter(Tensor::<f64>::ones(&[20_000]));
        let y = drop.forward(&x);
        let v = y.value().to_vec();
        let zeros = v.iter().filter(|&&e| e == 0.0).count() as f64 / v.len() as f64;
        assert!((zeros - 0.3).abs() < 0.015, "dropped {zeros}");
        let kept = 1.0 / 0.7;
        assert!(v.iter().all(|&e| e == 0.0 || (e - kept).abs() < 1e-12));
        // The mean is preserved in expectation.
        assert!((v.iter().sum::<f64>() / v.len() as f64 - 1.0).abs() < 0.03);
        // The gradient is the same mask.
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), v);
    }

    #[test]
    fn rng_state_round_trip_reproduces_masks() {
        let drop = Dropout::with_seed(0.5, 3);
        let x = Var::new(Tensor::<f32>::ones(&[64]));
        let saved = drop.rng_state();
        let a = drop.forward(&x).value();
        let b = drop.forward(&x).value();
        assert_ne!(a, b);
        drop.set_rng_state(saved);
        assert_eq!(drop.forward(&x).value(), a);
    }

    #[test]
    fn edge_probabilities() {
        let x = Var::new(Tensor::<f32>::ones(&[10]));
        assert_eq!(Dropout::with_seed(0.0, 0).forward(&x).value(), x.value());
        let all = Dropout::with_seed(1.0, 0);
        assert_eq!(all.forward(&x).value().sum_all().item(), 0.0);
    }

    #[test]
    #[should_panic(expected = "Dropout: probability has to be between 0 and 1, but got 1.5")]
    fn bad_probability_panics() {
        let _: Dropout = Dropout::with_seed(1.5, 0);
    }
}
