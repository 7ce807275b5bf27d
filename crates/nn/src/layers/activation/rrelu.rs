//! [`RReLU`]: a leaky ReLU with random slopes during training.

use std::marker::PhantomData;
use std::sync::{Mutex, MutexGuard};

use backprop_autograd::Var;
use backprop_tensor::{Float, Rng, Tensor};

use crate::{Module, TrainingFlag};

/// The randomized leaky ReLU (PyTorch's `nn.RReLU`, defaults `lower` 1/8 and `upper` 1/3;
/// Xu et al. 2015).
///
/// In training mode every element with x ≤ 0 is multiplied by its own slope drawn from
/// U(`lower`, `upper`) on each forward, and elements with x > 0 pass unchanged; the
/// gradient is the slope used (1 for x > 0). In evaluation mode it is a leaky ReLU with the
/// mean slope `(lower + upper) / 2`, whose gradient at 0 is that slope (as PyTorch).
///
/// Like [`Dropout`](crate::Dropout), the layer owns its random generator;
/// [`rng_state`](RReLU::rng_state) and [`set_rng_state`](RReLU::set_rng_state) save and
/// restore it so a resumed run draws the same slopes.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_nn::{Module, RReLU};
/// use backprop_tensor::Tensor;
///
/// let rrelu: RReLU = RReLU::with_seed(7).with_bounds(0.1, 0.3);
/// let x = Var::new(Tensor::from_vec(vec![-10.0f32, 5.0], &[2]).unwrap());
/// let y = rrelu.forward(&x).value().to_vec();
/// assert!((-3.0..=-1.0).contains(&y[0]) && y[1] == 5.0);
/// rrelu.eval();
/// assert_eq!(rrelu.forward(&x).value().to_vec(), vec![-2.0, 5.0]);
/// ```
#[derive(Debug)]
pub struct RReLU<T: Float = f32> {
    lower: f64,
    upper: f64,
    rng: Mutex<Rng>,
    training: TrainingFlag,
    _dtype: PhantomData<fn() -> T>,
}

impl<T: Float> RReLU<T> {
    /// Bounds 1/8 and 1/3 (PyTorch's defaults), the generator forked from `rng`.
    pub fn new(rng: &mut Rng) -> Self {
        Self::from_rng(rng.fork())
    }

    /// Bounds 1/8 and 1/3, with a generator seeded from `seed`.
    pub fn with_seed(seed: u64) -> Self {
        Self::from_rng(Rng::seed_from_u64(seed))
    }

    fn from_rng(rng: Rng) -> Self {
        RReLU {
            lower: 1.0 / 8.0,
            upper: 1.0 / 3.0,
            rng: Mutex::new(rng),
            training: TrainingFlag::new(),
            _dtype: PhantomData,
        }
    }

    /// The same layer with slopes drawn from U(`lower`, `upper`), builder style.
    ///
    /// # Panics
    ///
    /// If `lower > upper` or either is not finite.
    #[track_caller]
    pub fn with_bounds(mut self, lower: f64, upper: f64) -> Self {
        assert!(
            lower.is_finite() && upper.is_finite(),
            "RReLU: bounds must be finite, but got lower = {lower} and upper = {upper}"
        );
        assert!(
            lower <= upper,
            "RReLU: lower bound {lower} is above the upper bound {upper}"
        );
        self.lower = lower;
        self.upper = upper;
        self
    }

    /// The lower and upper bounds of the slopes.
    pub fn bounds(&self) -> (f64, f64) {
        (self.lower, self.upper)
    }

    fn rng(&self) -> MutexGuard<'_, Rng> {
        self.rng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the generator's current state (for checkpoints).
    pub fn rng_state(&self) -> Rng {
        self.rng().clone()
    }

    /// Restores the generator's state (from [`rng_state`](RReLU::rng_state)).
    pub fn set_rng_state(&self, rng: Rng) {
        *self.rng() = rng;
    }
}

impl<T: Float> Module<T> for RReLU<T> {
    fn forward(&self, x: &Var<T>) -> Var<T> {
        if !self.training.get() {
            return x.leaky_relu(T::from_f64((self.lower + self.upper) / 2.0));
        }
        // One draw per element keeps the stream's position independent of the signs.
        let slopes = {
            let x = x.data();
            let (lower, upper) = (T::from_f64(self.lower), T::from_f64(self.upper));
            let drawn = Tensor::uniform(x.shape(), lower, upper, &mut self.rng());
            let positive = x.gt(&Tensor::scalar(T::zero()));
            Tensor::where_cond(&positive, &Tensor::scalar(T::one()), &drawn)
        };
        x.mul(&Var::new(slopes))
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

    /// The slope each element got: y / x (x is never 0 here).
    fn slopes(x: &Tensor<f64>, y: &Tensor<f64>) -> Vec<f64> {
        x.to_vec()
            .iter()
            .zip(y.to_vec())
            .map(|(x, y)| y / x)
            .collect()
    }

    #[test]
    fn training_slopes_are_in_bounds_positives_untouched_and_the_gradient_is_the_slope() {
        let (lower, upper) = (0.05, 0.4);
        let rrelu = RReLU::<f64>::with_seed(11).with_bounds(lower, upper);
        let x = Tensor::<f64>::randn(&[4000], &mut Rng::seed_from_u64(5));
        let xv = Var::parameter(x.clone());
        let y = rrelu.forward(&xv);
        y.sum().backward();
        let s = slopes(&x, &y.value());
        let grad = xv.grad().unwrap().to_vec();
        let mut negatives = Vec::new();
        for ((&x, &s), &g) in x.to_vec().iter().zip(&s).zip(&grad) {
            if x > 0.0 {
                assert_eq!((s, g), (1.0, 1.0), "x = {x}");
            } else {
                assert!((lower..=upper).contains(&s), "slope {s} at x = {x}");
                assert!((g - s).abs() <= 1e-15 * s, "gradient {g} vs slope {s}");
                negatives.push(s);
            }
        }
        // U(lower, upper) has mean (lower + upper)/2 and standard deviation
        // (upper - lower)/√12 ≈ 0.1; ~2000 draws pin the mean to about 0.002 and reach
        // within 0.01 of both ends.
        let n = negatives.len() as f64;
        let mean = negatives.iter().sum::<f64>() / n;
        assert!(
            (mean - (lower + upper) / 2.0).abs() < 0.01,
            "mean slope {mean}"
        );
        let min = negatives.iter().copied().fold(f64::INFINITY, f64::min);
        let max = negatives.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(
            min < lower + 0.01 && max > upper - 0.01,
            "slopes in [{min}, {max}]"
        );
        // Each forward draws new slopes.
        assert_ne!(rrelu.forward(&xv).value(), y.value());
    }

    #[test]
    fn a_seed_fixes_the_slopes_and_the_rng_state_round_trips() {
        let x = Var::new(Tensor::<f32>::full(&[64], -1.0));
        let a = RReLU::<f32>::with_seed(3);
        let b = RReLU::<f32>::with_seed(3);
        let saved = a.rng_state();
        let first = a.forward(&x).value();
        assert_eq!(b.forward(&x).value(), first);
        assert_ne!(a.forward(&x).value(), first);
        a.set_rng_state(saved);
        assert_eq!(a.forward(&x).value(), first);
        let other = RReLU::<f32>::with_seed(4);
        assert_ne!(other.forward(&x).value(), first);
    }

    #[test]
    fn evaluation_uses_the_mean_slope_also_at_zero() {
        let rrelu = RReLU::<f64>::with_seed(0);
        rrelu.eval();
        let mean = (1.0 / 8.0 + 1.0 / 3.0) / 2.0;
        let x = Var::parameter(Tensor::from_vec(vec![-2.0, 0.0, 3.0], &[3]).unwrap());
        let y = rrelu.forward(&x);
        assert_eq!(y.value().to_vec(), vec![-2.0 * mean, 0.0, 3.0]);
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![mean, mean, 1.0]);
        assert_eq!(rrelu.bounds(), (0.125, 1.0 / 3.0));
        assert!(Module::<f64>::parameters(&rrelu).is_empty());
    }

    #[test]
    fn equal_bounds_give_a_fixed_slope() {
        let rrelu = RReLU::<f64>::new(&mut Rng::seed_from_u64(0)).with_bounds(0.2, 0.2);
        let x = Var::new(Tensor::full(&[5], -1.0));
        assert_eq!(rrelu.forward(&x).value().to_vec(), vec![-0.2; 5]);
    }

    #[test]
    #[should_panic(expected = "RReLU: lower bound 0.5 is above the upper bound 0.1")]
    fn inverted_bounds_panic() {
        let _ = RReLU::<f32>::with_seed(0).with_bounds(0.5, 0.1);
    }

    #[test]
    #[should_panic(expected = "RReLU: bounds must be finite, but got lower = NaN and upper = 0.1")]
    fn nan_bound_panics() {
        let _ = RReLU::<f32>::with_seed(0).with_bounds(f64::NAN, 0.1);
    }
}
