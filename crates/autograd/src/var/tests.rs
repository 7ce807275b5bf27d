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
    w.state().grad = Some(StoredGrad::Var(w.clone()));
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

/// Ids come from per-thread blocks; an op whose input was made on another thread (whose
/// block is ahead of this thread's) still gets a larger id than its inputs, so the
/// backward order stays topological. Ids stay unique across threads.
#[test]
fn an_output_is_newer_than_inputs_made_on_other_threads() {
    let a = Var::parameter(Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap());
    let (b, b2) = std::thread::spawn(|| {
        let b = Var::parameter(Tensor::from_vec(vec![3.0f64, 4.0], &[2]).unwrap());
        let b2 = b.mul_scalar(2.0);
        (b, b2)
    })
    .join()
    .unwrap();
    assert!(b2.id() > b.id());
    let c = a.mul(&b2);
    assert!(
        c.id() > a.id() && c.id() > b2.id(),
        "{} {} {}",
        a.id(),
        b2.id(),
        c.id()
    );
    let d = c.add(&a);
    assert!(d.id() > c.id());
    d.sum().backward();
    // d = a * 2b + a: dd/da = 2b + 1, dd/db = 2a.
    assert_eq!(a.grad().unwrap().to_vec(), vec![7.0, 9.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![2.0, 4.0]);
    let ids = [a.id(), b.id(), b2.id(), c.id(), d.id()];
    let unique: std::collections::HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len());
}
