//! Tests of `Var`'s accessors.

use super::*;

/// The one-lock accessor sees the gradient and updates the value, whether the stored
/// gradient is held elsewhere too or not, and skips a value without a gradient.
#[test]
fn grad_and_data_mut_reads_the_gradient_and_updates_the_value() {
    let w = Var::parameter(Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap());
    assert_eq!(w.with_grad_and_data_mut(|_, _| unreachable!()), None::<()>);
    w.set_grad(Some(Tensor::from_vec(vec![4.0, 8.0], &[2]).unwrap()));
    w.with_grad_and_data_mut(|g, v| v.add_scaled_(-0.5, g));
    assert_eq!(w.value().to_vec(), vec![-1.0, -2.0]);
    let held = w.grad_var().unwrap();
    w.with_grad_and_data_mut(|g, v| v.add_scaled_(1.0, g));
    assert_eq!(w.value().to_vec(), vec![3.0, 6.0]);
    assert_eq!(held.value().to_vec(), vec![4.0, 8.0]);
    // A value that is its own gradient.
    w.state().grad = Some(w.clone());
    w.with_grad_and_data_mut(|g, v| v.add_scaled_(1.0, g));
    assert_eq!(w.value().to_vec(), vec![6.0, 12.0]);
    w.state().grad = None;
}

#[test]
fn var_is_send_sync() {
    fn check<S: Send + Sync>() {}
    check::<Var<f32>>();
    check::<Var<f64>>();
}
