//! TEMPORARY stand-ins for ops arriving from branch ops-a; removed at the merge.
#![allow(missing_docs, dead_code)]
use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

pub trait Shim<T: Float> {
    fn abs(&self) -> Var<T>;
    fn softplus(&self) -> Var<T>;
    fn where_cond(c: &Tensor<bool>, a: &Var<T>, b: &Var<T>) -> Var<T>;
}

impl<T: Float> Shim<T> for Var<T> {
    fn abs(&self) -> Var<T> {
        self.relu().add(&self.neg().relu())
    }
    fn softplus(&self) -> Var<T> {
        let a = Shim::abs(self);
        self.relu().add(&a.neg().exp().add_scalar(T::one()).log())
    }
    fn where_cond(c: &Tensor<bool>, a: &Var<T>, b: &Var<T>) -> Var<T> {
        let m: Tensor<T> = c.to_float();
        let nm = m.neg().add_scalar(T::one());
        a.mul(&Var::new(m)).add(&b.mul(&Var::new(nm)))
    }
}
