//! Bookkeeping shared by every optimizer: parameter groups, per-parameter state keyed by the
//! parameter's identity (as PyTorch keys `optimizer.state` by the tensor object), saving and
//! loading.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

use crate::state::StateKind;
use crate::{GroupOptions, GroupState, OptimError, OptimizerState, ParamGroup};

/// Hashes a [`Var::id`] with one folded multiplication instead of SipHash: ids are counters
/// handed out by the library, not attacker-chosen keys, and the lookup happens for every
/// parameter on every step.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, id: u64) {
        // The high and low halves of the 128-bit product, folded, mix every input bit into
        // both the bucket index (low bits) and the control tag (high bits).
        let product = u128::from(self.0 ^ id) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

/// Per-parameter state by [`Var::id`].
pub(crate) type StateMap<S> = HashMap<u64, S, BuildHasherDefault<IdHasher>>;

/// Checks one group's options; each optimizer passes its own validation.
pub(crate) type Validate = fn(&GroupOptions) -> Result<(), OptimError>;

pub(crate) struct Core<T: Float, S> {
    /// The optimizer's PyTorch name, also the kind its groups' options must have.
    pub(crate) owner: &'static str,
    pub(crate) groups: Vec<ParamGroup<T>>,
    /// State by [`Var::id`], so editing `param_groups` never attaches a buffer to the wrong
    /// parameter.
    pub(crate) state: StateMap<S>,
    validate: Validate,
}

impl<T: Float, S: StateKind<T>> Core<T, S> {
    pub(crate) fn new(
        owner: &'static str,
        groups: Vec<(Vec<Var<T>>, GroupOptions)>,
        validate: Validate,
    ) -> Result<Self, OptimError> {
        if groups.is_empty() {
            return Err(OptimError::EmptyParameters { owner });
        }
        let mut core = Core {
            owner,
            groups: Vec::new(),
            state: StateMap::default(),
            validate,
        };
        for (params, options) in groups {
            core.add_param_group(params, options)?;
        }
        Ok(core)
    }

    /// Appends a group after checking its options and that none of its parameters is
    /// already optimized.
    pub(crate) fn add_param_group(
        &mut self,
        params: Vec<Var<T>>,
        options: GroupOptions,
    ) -> Result<(), OptimError> {
        (self.validate)(&options)?;
        let mut seen: HashSet<u64> = self
            .groups
            .iter()
            .flat_map(|g| g.params.iter().map(Var::id))
            .collect();
        for (i, p) in params.iter().enumerate() {
            if !seen.insert(p.id()) {
                return Err(OptimError::DuplicateParameter {
                    owner: self.owner,
                    group: self.groups.len(),
                    param: i,
                });
            }
        }
        self.groups.push(ParamGroup {
            params,
            options,
            initial_lr: None,
        });
        Ok(())
    }

    pub(crate) fn state_dict(&self) -> OptimizerState<T> {
        let mut index = 0;
        let mut param_groups = Vec::with_capacity(self.groups.len());
        let mut state = BTreeMap::new();
        for group in &self.groups {
            let mut params = Vec::with_capacity(group.params.len());
            let mut param_shapes = Vec::with_capacity(group.params.len());
            for p in &group.params {
                if let Some(s) = self.state.get(&p.id()) {
                    state.insert(index, s.clone().into_param_state());
                }
                params.push(index);
                param_shapes.push(p.shape());
                index += 1;
            }
            param_groups.push(GroupState {
                options: group.options,
                initial_lr: group.initial_lr,
                params,
                param_shapes,
            });
        }
        OptimizerState {
            optimizer: self.owner.to_string(),
            param_groups,
            state,
        }
    }

    /// Checks everything first and only then replaces options and state, so a failed load
    /// leaves the optimizer as it was.
    pub(crate) fn load_state_dict(&mut self, saved: OptimizerState<T>) -> Result<(), OptimError> {
        if saved.optimizer != self.owner {
            return Err(OptimError::WrongOptimizer {
                expected: self.owner.to_string(),
                found: saved.optimizer,
            });
        }
        if saved.param_groups.len() != self.groups.len() {
            return Err(OptimError::GroupCountMismatch {
                expected: self.groups.len(),
                found: saved.param_groups.len(),
            });
        }
        // Saved parameter index -> (group, position in group).
        let mut location = HashMap::new();
        for (gi, (sg, group)) in saved.param_groups.iter().zip(&self.groups).enumerate() {
            if sg.params.len() != group.params.len() {
                return Err(OptimError::ParamCountMismatch {
                    group: gi,
                    expected: group.params.len(),
                    found: sg.params.len(),
                });
            }
            if sg.options.kind() != self.owner {
                return Err(OptimError::OptionsMismatch {
                    group: gi,
                    expected: self.owner,
                    found: sg.options.kind(),
                });
            }
            (self.validate)(&sg.options)?;
            for (pi, p) in group.params.iter().enumerate() {
                let shape = p.shape();
                if let Some(found) = sg.param_shapes.get(pi) {
                    if *found != shape {
                        return Err(shape_error(gi, pi, "param", shape, found));
                    }
                }
            }
            for (pi, &index) in sg.params.iter().enumerate() {
                location.insert(index, (gi, pi));
            }
        }
        let mut new_state =
            StateMap::with_capacity_and_hasher(saved.state.len(), BuildHasherDefault::default());
        for (index, ps) in saved.state {
            let &(gi, pi) = location
                .get(&index)
                .ok_or(OptimError::UnknownParameter { index })?;
            let param = &self.groups[gi].params[pi];
            let shape = param.shape();
            for (name, buffer) in ps.buffers() {
                if buffer.shape() != shape.as_slice() {
                    return Err(shape_error(gi, pi, name, shape, buffer.shape()));
                }
            }
            let s = S::from_param_state(ps).map_err(|found| OptimError::StateKindMismatch {
                group: gi,
                param: pi,
                expected: S::KIND,
                found,
            })?;
            new_state.insert(param.id(), s);
        }
        for (group, sg) in self.groups.iter_mut().zip(saved.param_groups) {
            group.options = sg.options;
            group.initial_lr = sg.initial_lr;
        }
        self.state = new_state;
        Ok(())
    }
}

fn shape_error(
    group: usize,
    param: usize,
    buffer: &str,
    expected: Vec<usize>,
    found: &[usize],
) -> OptimError {
    OptimError::ShapeMismatch {
        group,
        param,
        buffer: buffer.to_string(),
        expected,
        found: found.to_vec(),
    }
}

/// Panics unless a gradient has its parameter's shape (a bug in the code that set it).
#[track_caller]
pub(crate) fn check_grad_shape<T: Float>(
    owner: &str,
    group: usize,
    param: usize,
    p: &Tensor<T>,
    g: &Tensor<T>,
) {
    // Element by element: shapes have a few axes, and a call to `memcmp` costs more.
    let (ps, gs) = (p.shape(), g.shape());
    assert!(
        ps.len() == gs.len() && ps.iter().zip(gs).all(|(a, b)| a == b),
        "{owner}.step: group {group}, param {param}: gradient has shape {:?} but the parameter has shape {:?}",
        g.shape(),
        p.shape()
    );
}

/// Panics unless a state buffer has its parameter's shape (the parameter's value was replaced
/// by one of another shape after the state was made).
#[track_caller]
pub(crate) fn check_state_shape<T: Float>(
    owner: &str,
    (group, param): (usize, usize),
    p: &Tensor<T>,
    name: &str,
    buffer: &Tensor<T>,
) {
    let (ps, bs) = (p.shape(), buffer.shape());
    assert!(
        ps.len() == bs.len() && ps.iter().zip(bs).all(|(a, b)| a == b),
        "{owner}.step: group {group}, param {param}: state `{name}` has shape {bs:?} but the parameter has shape {ps:?}",
    );
}

/// PyTorch's `lerp(a, b, w)`: the two-sided formula keeps the result exact at both ends
/// (`w = 0` gives `a`, `w = 1` gives `b`).
#[inline(always)]
pub(crate) fn lerp<T: Float>(a: T, b: T, w: T) -> T {
    if w.abs() < T::from_f64(0.5) {
        a + w * (b - a)
    } else {
        b - (b - a) * (T::one() - w)
    }
}

/// `torch.maximum`: NaN wins.
#[inline(always)]
pub(crate) fn maximum<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || b.is_nan() {
        T::nan()
    } else if a > b {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerp_is_exact_at_both_ends_and_uses_both_formulas() {
        let (a, b) = (0.1f32, 0.7f32);
        assert_eq!(lerp(a, b, 0.0), a);
        assert_eq!(lerp(a, b, 1.0), b);
        // w < 0.5: a + w·(b − a); w ≥ 0.5: b − (b − a)·(1 − w), each rounded in f32.
        assert_eq!(lerp(a, b, 0.25f32), a + 0.25f32 * (b - a));
        assert_eq!(lerp(a, b, 0.75f32), b - (b - a) * (1.0f32 - 0.75f32));
    }

    #[test]
    fn maximum_propagates_nan() {
        assert_eq!(maximum(1.0f64, 2.0), 2.0);
        assert!(maximum(f64::NAN, 2.0).is_nan());
        assert!(maximum(2.0, f64::NAN).is_nan());
    }
}
