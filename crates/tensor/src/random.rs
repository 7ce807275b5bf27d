//! A seedable, serializable random number generator.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The random number generator used for initialization, shuffling and dropout.
///
/// ChaCha8 from `rand_chacha`: the same seed gives the same stream on every platform and
/// every release of this crate, and its state (de)serializes with serde, so a checkpoint can
/// resume a run exactly.
///
/// # Examples
///
/// ```
/// use backprop_tensor::{Rng, Tensor};
/// let mut rng = Rng::seed_from_u64(42);
/// let a = Tensor::<f32>::randn(&[3], &mut rng);
/// let mut again = Rng::seed_from_u64(42);
/// assert_eq!(a, Tensor::<f32>::randn(&[3], &mut again));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    /// A generator seeded from a `u64`.
    pub fn seed_from_u64(seed: u64) -> Self {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The underlying `rand` generator, for use with the `rand` ecosystem.
    pub fn inner_mut(&mut self) -> &mut ChaCha8Rng {
        &mut self.inner
    }

    /// A sample of U\[0, 1) as `f64`.
    pub fn next_f64(&mut self) -> f64 {
        rand::Rng::random::<f64>(&mut self.inner)
    }

    /// A uniformly random index in `0..n`.
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    #[track_caller]
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below: empty range 0..0");
        rand::Rng::random_range(&mut self.inner, 0..n)
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<E>(&mut self, items: &mut [E]) {
        rand::seq::SliceRandom::shuffle(items, &mut self.inner);
    }

    /// A random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        self.shuffle(&mut v);
        v
    }

    /// A new generator seeded from this one (for giving a component its own stream).
    pub fn fork(&mut self) -> Rng {
        Rng {
            inner: ChaCha8Rng::from_rng(&mut self.inner),
        }
    }
}
