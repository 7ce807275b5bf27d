//! Adam's per-parameter state as the step keeps it.

use backprop_tensor::{Float, Tensor};

use crate::state::StateKind;
use crate::{AdamState, ParamState};

/// The state of one parameter: [`AdamState`] with the moments in flat row-major buffers.
/// They are contiguous by construction, so a step takes them as slices without asking the
/// array for its layout; [`AdamState`] is built from them only to save.
#[derive(Clone)]
pub(crate) struct AdamSlot<T> {
    /// Steps taken with a gradient.
    pub(super) step: u64,
    /// The parameter's shape when the state was created (the shape of the saved buffers).
    shape: Vec<usize>,
    /// First moment `m`.
    pub(super) exp_avg: Vec<T>,
    /// Second moment `v`.
    pub(super) exp_avg_sq: Vec<T>,
    /// Running maximum of `v` (AMSGrad only).
    pub(super) max_exp_avg_sq: Option<Vec<T>>,
}

impl<T: Float> AdamSlot<T> {
    /// Zero moments for a parameter of `shape`, no step taken.
    pub(super) fn zeros(shape: &[usize]) -> Self {
        let len = shape.iter().product();
        AdamSlot {
            step: 0,
            shape: shape.to_vec(),
            exp_avg: vec![T::zero(); len],
            exp_avg_sq: vec![T::zero(); len],
            max_exp_avg_sq: None,
        }
    }

    /// The number of elements of each buffer.
    pub(super) fn len(&self) -> usize {
        self.exp_avg.len()
    }
}

/// A buffer and the shape it was made for, as a tensor.
fn tensor<T: Float>(data: Vec<T>, shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(data, shape).expect("Adam: a state buffer has its parameter's element count")
}

impl<T: Float> StateKind<T> for AdamSlot<T> {
    const KIND: &'static str = "Adam";

    fn into_param_state(self) -> ParamState<T> {
        ParamState::Adam(AdamState {
            step: self.step,
            exp_avg: tensor(self.exp_avg, &self.shape),
            exp_avg_sq: tensor(self.exp_avg_sq, &self.shape),
            max_exp_avg_sq: self.max_exp_avg_sq.map(|b| tensor(b, &self.shape)),
        })
    }

    fn from_param_state(state: ParamState<T>) -> Result<Self, &'static str> {
        match state {
            // `to_vec` reads in row-major order whatever the saved layout.
            ParamState::Adam(s) => Ok(AdamSlot {
                step: s.step,
                shape: s.exp_avg.shape().to_vec(),
                exp_avg: s.exp_avg.to_vec(),
                exp_avg_sq: s.exp_avg_sq.to_vec(),
                max_exp_avg_sq: s.max_exp_avg_sq.map(|b| b.to_vec()),
            }),
            other => Err(other.kind()),
        }
    }
}
