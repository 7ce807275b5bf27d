//! Parameter initialisation with PyTorch's formulas (`torch.nn.init`).
//!
//! Each scheme comes twice: a function returning a new tensor of a given shape
//! (`xavier_uniform(&[out, in], gain, rng)`) and an in-place form on a [`Var`] with
//! PyTorch's trailing underscore (`xavier_uniform_(&layer.weight, gain, rng)`).
//!
//! - fan_in / fan_out of a weight `[out, in, k...]` are `in·Πk` and `out·Πk`
//!   ([`calculate_fan_in_and_fan_out`]);
//! - xavier (Glorot): std = gain·√(2 / (fan_in + fan_out)); uniform bound = √3·std;
//! - kaiming (He): std = gain / √fan, fan = fan_in or fan_out by [`FanMode`], gain from
//!   [`calculate_gain`]; uniform bound = √3·std.

use backprop_autograd::Var;
use backprop_tensor::{Float, Rng, Tensor};

/// A nonlinearity, for [`calculate_gain`] (PyTorch's `nonlinearity` strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nonlinearity {
    /// Identity / linear layers and convolutions: gain 1.
    Linear,
    /// Logistic sigmoid: gain 1.
    Sigmoid,
    /// tanh: gain 5/3.
    Tanh,
    /// ReLU: gain √2.
    ReLU,
    /// Leaky ReLU with negative slope `param` (default 0.01): gain √(2 / (1 + slope²)).
    LeakyReLU,
    /// SELU: gain 3/4.
    SELU,
}

/// Which fan kaiming initialisation preserves the variance of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FanMode {
    /// The forward pass (the number of inputs of each unit); PyTorch's default.
    #[default]
    FanIn,
    /// The backward pass (the number of outputs each input feeds).
    FanOut,
}

/// The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`: linear and
/// sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2 / (1 + a²)) with `a = param` (default
/// 0.01), selu 3/4. `param` is used only by [`Nonlinearity::LeakyReLU`].
///
/// # Examples
///
/// ```
/// use backprop_nn::init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::ReLU, None), 2f64.sqrt());
/// assert_eq!(calculate_gain(Nonlinearity::LeakyReLU, Some(1.0)), 1.0);
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity, param: Option<f64>) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::ReLU => 2f64.sqrt(),
        Nonlinearity::LeakyReLU => {
            let a = param.unwrap_or(0.01);
            (2.0 / (1.0 + a * a)).sqrt()
        }
        Nonlinearity::SELU => 0.75,
    }
}

/// `(fan_in, fan_out)` of a weight of `shape`: `[out, in, k...]` gives
/// `(in·Πk, out·Πk)`, like PyTorch's `_calculate_fan_in_and_fan_out`.
///
/// # Panics
///
/// If `shape` has fewer than 2 axes (fans are undefined, as in PyTorch).
#[track_caller]
pub fn calculate_fan_in_and_fan_out(shape: &[usize]) -> (usize, usize) {
    assert!(
        shape.len() >= 2,
        "calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape {shape:?})"
    );
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

fn fan(shape: &[usize], mode: FanMode) -> usize {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(shape);
    match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    }
}

/// Samples of U(a, b).
pub fn uniform<T: Float>(shape: &[usize], a: f64, b: f64, rng: &mut Rng) -> Tensor<T> {
    Tensor::uniform(shape, T::from_f64(a), T::from_f64(b), rng)
}

/// Samples of N(mean, std²).
pub fn normal<T: Float>(shape: &[usize], mean: f64, std: f64, rng: &mut Rng) -> Tensor<T> {
    Tensor::normal(shape, T::from_f64(mean), T::from_f64(std), rng)
}

/// Every element equal to `value`.
pub fn constant<T: Float>(shape: &[usize], value: f64) -> Tensor<T> {
    Tensor::full(shape, T::from_f64(value))
}

/// Zeros.
pub fn zeros<T: Float>(shape: &[usize]) -> Tensor<T> {
    Tensor::zeros(shape)
}

/// Ones.
pub fn ones<T: Float>(shape: &[usize]) -> Tensor<T> {
    Tensor::ones(shape)
}

/// Xavier/Glorot uniform: U(-bound, bound), bound = gain·√(6 / (fan_in + fan_out)).
///
/// # Panics
///
/// If `shape` has fewer than 2 axes.
#[track_caller]
pub fn xavier_uniform<T: Float>(shape: &[usize], gain: f64, rng: &mut Rng) -> Tensor<T> {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(shape);
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    let bound = 3f64.sqrt() * std;
    uniform(shape, -bound, bound, rng)
}

/// Xavier/Glorot normal: N(0, std²), std = gain·√(2 / (fan_in + fan_out)).
///
/// # Panics
///
/// If `shape` has fewer than 2 axes.
#[track_caller]
pub fn xavier_normal<T: Float>(shape: &[usize], gain: f64, rng: &mut Rng) -> Tensor<T> {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(shape);
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    normal(shape, 0.0, std, rng)
}

/// Kaiming/He uniform: U(-bound, bound), bound = √3 · gain / √fan, with
/// `gain = calculate_gain(nonlinearity, Some(a))` (PyTorch's defaults are a = 0,
/// fan_in, leaky_relu).
///
/// # Panics
///
/// If `shape` has fewer than 2 axes.
#[track_caller]
pub fn kaiming_uniform<T: Float>(
    shape: &[usize],
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) -> Tensor<T> {
    let std = calculate_gain(nonlinearity, Some(a)) / (fan(shape, mode) as f64).sqrt();
    let bound = 3f64.sqrt() * std;
    uniform(shape, -bound, bound, rng)
}

/// Kaiming/He normal: N(0, std²), std = gain / √fan (see [`kaiming_uniform`]).
///
/// # Panics
///
/// If `shape` has fewer than 2 axes.
#[track_caller]
pub fn kaiming_normal<T: Float>(
    shape: &[usize],
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) -> Tensor<T> {
    let std = calculate_gain(nonlinearity, Some(a)) / (fan(shape, mode) as f64).sqrt();
    normal(shape, 0.0, std, rng)
}

/// Overwrites `v` in place (outside the graph) with `f(shape)`.
fn fill<T: Float>(v: &Var<T>, f: impl FnOnce(&[usize]) -> Tensor<T>) {
    let shape = v.shape();
    v.set_data(f(&shape));
}

/// In place: U(a, b).
pub fn uniform_<T: Float>(v: &Var<T>, a: f64, b: f64, rng: &mut Rng) {
    fill(v, |s| uniform(s, a, b, rng));
}

/// In place: N(mean, std²).
pub fn normal_<T: Float>(v: &Var<T>, mean: f64, std: f64, rng: &mut Rng) {
    fill(v, |s| normal(s, mean, std, rng));
}

/// In place: every element `value`.
pub fn constant_<T: Float>(v: &Var<T>, value: f64) {
    fill(v, |s| constant(s, value));
}

/// In place: zeros.
pub fn zeros_<T: Float>(v: &Var<T>) {
    fill(v, zeros);
}

/// In place: ones.
pub fn ones_<T: Float>(v: &Var<T>) {
    fill(v, ones);
}

/// In place: [`xavier_uniform`].
///
/// # Panics
///
/// If `v` has fewer than 2 axes.
#[track_caller]
pub fn xavier_uniform_<T: Float>(v: &Var<T>, gain: f64, rng: &mut Rng) {
    fill(v, |s| xavier_uniform(s, gain, rng));
}

/// In place: [`xavier_normal`].
///
/// # Panics
///
/// If `v` has fewer than 2 axes.
#[track_caller]
pub fn xavier_normal_<T: Float>(v: &Var<T>, gain: f64, rng: &mut Rng) {
    fill(v, |s| xavier_normal(s, gain, rng));
}

/// In place: [`kaiming_uniform`].
///
/// # Panics
///
/// If `v` has fewer than 2 axes.
///
/// # Examples
///
/// ```
/// use backprop_nn::init::{kaiming_uniform_, FanMode, Nonlinearity};
/// use backprop_nn::Linear;
/// use backprop_tensor::Rng;
/// let mut rng = Rng::seed_from_u64(0);
/// let fc = Linear::<f32>::new(50, 20, &mut rng);
/// kaiming_uniform_(&fc.weight, 0.0, FanMode::FanIn, Nonlinearity::ReLU, &mut rng);
/// let bound = (6.0f32 / 50.0).sqrt();
/// assert!(fc.weight.value().abs().max_all().item() <= bound);
/// ```
#[track_caller]
pub fn kaiming_uniform_<T: Float>(
    v: &Var<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) {
    fill(v, |s| kaiming_uniform(s, a, mode, nonlinearity, rng));
}

/// In place: [`kaiming_normal`].
///
/// # Panics
///
/// If `v` has fewer than 2 axes.
#[track_caller]
pub fn kaiming_normal_<T: Float>(
    v: &Var<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) {
    fill(v, |s| kaiming_normal(s, a, mode, nonlinearity, rng));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (mean, population std, min, max) of a sample.
    fn stats(t: &Tensor<f64>) -> (f64, f64, f64, f64) {
        let v = t.to_vec();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (mean, var.sqrt(), min, max)
    }

    /// A uniform sample of U(-b, b): mean 0, std b/√3, all inside and reaching near ±b.
    fn assert_uniform(t: &Tensor<f64>, bound: f64) {
        let (mean, std, min, max) = stats(t);
        assert!(min >= -bound && max <= bound, "[{min}, {max}] vs ±{bound}");
        assert!(min < -0.99 * bound && max > 0.99 * bound);
        assert!(mean.abs() < 0.02 * bound, "mean {mean}");
        assert!(
            (std / (bound / 3f64.sqrt()) - 1.0).abs() < 0.02,
            "std {std}"
        );
    }

    fn assert_normal(t: &Tensor<f64>, mean0: f64, std0: f64) {
        let (mean, std, _, _) = stats(t);
        assert!((mean - mean0).abs() < 0.02 * std0, "mean {mean}");
        assert!((std / std0 - 1.0).abs() < 0.02, "std {std} vs {std0}");
    }

    // [200, 100] = 20 000 samples: the sample std is within ~0.5% of the true one.
    const SHAPE: [usize; 2] = [200, 100];

    #[test]
    fn gains_match_pytorch() {
        assert_eq!(calculate_gain(Nonlinearity::Linear, None), 1.0);
        assert_eq!(calculate_gain(Nonlinearity::Sigmoid, None), 1.0);
        assert_eq!(calculate_gain(Nonlinearity::Tanh, None), 5.0 / 3.0);
        assert_eq!(calculate_gain(Nonlinearity::ReLU, None), 2f64.sqrt());
        assert_eq!(calculate_gain(Nonlinearity::SELU, None), 0.75);
        let leaky = calculate_gain(Nonlinearity::LeakyReLU, None);
        assert!((leaky - (2.0 / 1.0001f64).sqrt()).abs() < 1e-15);
        let a5 = calculate_gain(Nonlinearity::LeakyReLU, Some(5f64.sqrt()));
        assert!((a5 - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn fans_like_pytorch() {
        assert_eq!(calculate_fan_in_and_fan_out(&[8, 4]), (4, 8));
        assert_eq!(calculate_fan_in_and_fan_out(&[16, 3, 5, 5]), (75, 400));
    }

    #[test]
    #[should_panic(expected = "fewer than 2 dimensions (shape [5])")]
    fn fans_of_a_vector_panic() {
        calculate_fan_in_and_fan_out(&[5]);
    }

    #[test]
    fn uniform_and_normal_statistics() {
        let mut rng = Rng::seed_from_u64(10);
        let u = uniform::<f64>(&SHAPE, 1.0, 3.0, &mut rng);
        assert_uniform(&u.add_scalar(-2.0), 1.0);
        assert_normal(&normal::<f64>(&SHAPE, 0.5, 2.0, &mut rng), 0.5, 2.0);
        assert_eq!(constant::<f64>(&[3], 2.5).to_vec(), vec![2.5; 3]);
    }

    #[test]
    fn xavier_statistics() {
        let mut rng = Rng::seed_from_u64(11);
        let gain = 1.5;
        let std = gain * (2.0f64 / 300.0).sqrt();
        assert_uniform(&xavier_uniform(&SHAPE, gain, &mut rng), 3f64.sqrt() * std);
        assert_normal(&xavier_normal(&SHAPE, gain, &mut rng), 0.0, std);
    }

    #[test]
    fn kaiming_statistics_for_each_mode_and_nonlinearity() {
        let mut rng = Rng::seed_from_u64(12);
        let cases = [
            (0.0, FanMode::FanIn, Nonlinearity::ReLU, 2f64.sqrt() / 10.0),
            (
                0.0,
                FanMode::FanOut,
                Nonlinearity::ReLU,
                2f64.sqrt() / 200f64.sqrt(),
            ),
            (
                0.2,
                FanMode::FanIn,
                Nonlinearity::LeakyReLU,
                (2.0 / 1.04f64).sqrt() / 10.0,
            ),
            (0.0, FanMode::FanIn, Nonlinearity::Tanh, 5.0 / 30.0),
            (
                0.0,
                FanMode::FanOut,
                Nonlinearity::Linear,
                1.0 / 200f64.sqrt(),
            ),
        ];
        for (a, mode, nl, std) in cases {
            assert_uniform(
                &kaiming_uniform(&SHAPE, a, mode, nl, &mut rng),
                3f64.sqrt() * std,
            );
            assert_normal(&kaiming_normal(&SHAPE, a, mode, nl, &mut rng), 0.0, std);
        }
    }

    #[test]
    fn in_place_forms_keep_shape_and_change_values() {
        let mut rng = Rng::seed_from_u64(13);
        let v = Var::parameter(Tensor::<f64>::zeros(&SHAPE));
        xavier_uniform_(&v, 1.0, &mut rng);
        assert_eq!(v.shape(), SHAPE);
        assert_uniform(&v.value(), 3f64.sqrt() * (2.0f64 / 300.0).sqrt());
        kaiming_normal_(&v, 0.0, FanMode::FanIn, Nonlinearity::ReLU, &mut rng);
        assert_normal(&v.value(), 0.0, 2f64.sqrt() / 10.0);
        ones_(&v);
        assert_eq!(v.value().sum_all().item(), 20_000.0);
        zeros_(&v);
        assert_eq!(v.value().abs().sum_all().item(), 0.0);
        constant_(&v, -1.0);
        assert_eq!(v.value().min_all().item(), -1.0);
        uniform_(&v, -0.1, 0.1, &mut rng);
        assert_uniform(&v.value(), 0.1);
        normal_(&v, 1.0, 0.1, &mut rng);
        assert_normal(&v.value(), 1.0, 0.1);
        assert!(v.requires_grad());
    }
}
