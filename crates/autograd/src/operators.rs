//! `+ - * /` and unary `-` on [`Var`], plus a few conveniences built from existing ops.
//!
//! Each operator calls the op of the same name (`&a + &b` is [`Var::add`], `&a * 2.0` is
//! [`Var::mul_scalar`]), so no derivative is written here: the ops' files hold the math
//! and the gradient checks. The operators carry `#[track_caller]`, so the recorded op
//! (and anomaly-mode panics) point at the line that wrote `a + b`.
//!
//! ```
//! use backprop_autograd::Var;
//! use backprop_tensor::Tensor;
//! let x = Var::parameter(Tensor::scalar(3.0f64));
//! let y = &(&x * &x) - &(&x * 2.0); // x² - 2x
//! y.backward();
//! assert_eq!(y.item(), 3.0);
//! assert_eq!(x.grad().unwrap().item(), 4.0); // 2x - 2
//! ```

use std::ops::{Add, Div, Mul, Neg, Sub};

use backprop_tensor::Float;

use crate::Var;

macro_rules! var_operators {
    ($($trait:ident $method:ident => $op:ident, $scalar:ident;)*) => {
        $(
            impl<T: Float> $trait<&Var<T>> for &Var<T> {
                type Output = Var<T>;
                #[track_caller]
                fn $method(self, rhs: &Var<T>) -> Var<T> {
                    Var::$op(self, rhs)
                }
            }

            impl<T: Float> $trait<Var<T>> for Var<T> {
                type Output = Var<T>;
                #[track_caller]
                fn $method(self, rhs: Var<T>) -> Var<T> {
                    Var::$op(&self, &rhs)
                }
            }

            impl<T: Float> $trait<T> for &Var<T> {
                type Output = Var<T>;
                #[track_caller]
                fn $method(self, rhs: T) -> Var<T> {
                    Var::$scalar(self, rhs)
                }
            }
        )*
    };
}

var_operators! {
    Add add => add, add_scalar;
    Sub sub => sub, sub_scalar;
    Mul mul => mul, mul_scalar;
    Div div => div, div_scalar;
}

impl<T: Float> Neg for &Var<T> {
    type Output = Var<T>;
    #[track_caller]
    fn neg(self) -> Var<T> {
        Var::neg(self)
    }
}

impl<T: Float> Var<T> {
    /// Elementwise `self - c` (the `add_scalar` op with `-c`, which is exactly `x - c` in
    /// IEEE arithmetic).
    #[track_caller]
    pub fn sub_scalar(&self, c: T) -> Var<T> {
        self.add_scalar(-c)
    }

    /// Elementwise `self / c`: the `div` op with a constant 0-d divisor, so the values are
    /// true quotients (as in PyTorch), not products with a rounded `1 / c`.
    #[track_caller]
    pub fn div_scalar(&self, c: T) -> Var<T> {
        self.div(&Var::scalar(c))
    }

    /// Elementwise `self²` (the `powf` op with exponent 2).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![-1.5f64, 2.0], &[2]).unwrap());
    /// let y = x.square();
    /// assert_eq!(y.value().to_vec(), vec![2.25, 4.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn square(&self) -> Var<T> {
        self.powf(T::one() + T::one())
    }
}

#[cfg(test)]
mod tests {
    use backprop_tensor::Rng;

    use crate::checks::inputs;
    use crate::{GradCheckConfig, Var, gradcheck, gradgradcheck};

    fn pair() -> (Var<f64>, Var<f64>) {
        let mut rng = Rng::seed_from_u64(11);
        (
            Var::parameter(inputs::normal(&mut rng, &[2, 3])),
            Var::parameter(inputs::positive(&mut rng, &[3])),
        )
    }

    #[test]
    fn operators_match_the_named_ops() {
        let (a, b) = pair();
        let (av, bv) = (a.value(), b.value());
        assert_eq!((&a + &b).value(), av.add(&bv));
        assert_eq!((&a - &b).value(), av.sub(&bv));
        assert_eq!((&a * &b).value(), av.mul(&bv));
        assert_eq!((&a / &b).value(), av.div(&bv));
        assert_eq!((a.clone() * b.clone()).value(), av.mul(&bv));
        assert_eq!((a.clone() - b.clone()).value(), av.sub(&bv));
        assert_eq!((-&a).value(), av.neg());
    }

    #[test]
    fn scalar_operators_and_conveniences() {
        let (a, _) = pair();
        let av = a.value();
        assert_eq!((&a + 1.5).value(), av.map(|x| x + 1.5));
        assert_eq!((&a - 1.5).value(), av.map(|x| x - 1.5));
        assert_eq!((&a * 3.0).value(), av.map(|x| x * 3.0));
        assert_eq!((&a / 3.0).value(), av.map(|x| x / 3.0));
        assert_eq!(a.sub_scalar(0.1).value(), av.map(|x| x - 0.1));
        assert_eq!(a.div_scalar(7.0).value(), av.map(|x| x / 7.0));
        assert!(a.square().value().allclose(&av.map(|x| x * x), 1e-15, 0.0));
    }

    #[test]
    fn gradients_flow_through_operators() {
        // f(a, b) = (a·b - a/b + 2) / 3 - b² with broadcasting; checked like the ops.
        let f = |v: &[Var<f64>]| {
            let (a, b) = (&v[0], &v[1]);
            let num = &(&(a * b) - &(a / b)) + 2.0;
            &num / 3.0 - -&b.square()
        };
        let (a, b) = pair();
        let xs = [a.value(), b.value()];
        let cfg = GradCheckConfig::default();
        let r1 = gradcheck(&f, &xs, &cfg);
        assert!(r1.passed, "{r1:?}");
        let r2 = gradgradcheck(&f, &xs, &cfg);
        assert!(r2.passed, "{r2:?}");
    }

    #[test]
    fn recorded_location_is_the_callers_line() {
        let (a, b) = pair();
        let line = line!() + 1;
        let y = &a * &b;
        let loc = y.location().unwrap();
        assert_eq!((loc.file(), loc.line()), (file!(), line));
        let line = line!() + 1;
        let z = &a / 2.0;
        assert_eq!(z.location().unwrap().line(), line);
    }
}
