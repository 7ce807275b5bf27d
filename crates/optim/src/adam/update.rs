//! The per-tensor Adam update: the branch-free loops over contiguous slices, and the general
//! loop over any memory layout that they must match bit for bit.
//!
//! The slice loops work on chunks of [`LANES`] elements copied into local arrays: every
//! element of a chunk is loaded before any is stored, so the compiler turns the chunk into
//! SIMD instructions without first checking at run time that the parameter, gradient and
//! moment buffers do not overlap (it cannot see that through the closure that carries the
//! loop into the AVX2 function, and the checks cost more than a small tensor's arithmetic).
//! A length that is not a multiple of [`LANES`] ends with one more chunk, the last [`LANES`]
//! elements, whose lanes already updated are written back unchanged; a tensor shorter than
//! one chunk is updated element by element. Each lane performs exactly the scalar operations
//! of the formulas in [`adam`](super), in the same order, so the bits are those of the
//! general loop.

use backprop_tensor::ndarray::{ArrayViewMutD, IxDyn, Zip};
use backprop_tensor::{Float, Tensor, parallel_chunk_len, parallel_for_each, vectorized};

use super::AdamOptions;
use super::slot::AdamSlot;
use crate::core::{lerp, maximum};
use crate::kernel::lerp_fixed;

/// Elements per chunk of the slice loops: one AVX2 register of `f32`, two of `f64`.
const LANES: usize = 8;

/// The scalars of one Adam step of one parameter, each rounded to the element type.
#[derive(Clone, Copy)]
pub(super) struct AdamScalars<T> {
    pub(super) weight: T,
    pub(super) one_minus_weight: T,
    pub(super) beta2: T,
    pub(super) one_minus_beta2: T,
    pub(super) weight_decay: T,
    pub(super) decay: T,
    pub(super) eps: T,
    pub(super) neg_step_size: T,
    pub(super) bias_correction2_sqrt: T,
}

/// Maximize, weight decay and both moments of one element, with the options as constants;
/// returns the possibly decayed parameter.
#[inline(always)]
fn adam_moments<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
>(
    s: &AdamScalars<T>,
    p: T,
    g: T,
    m: &mut T,
    v: &mut T,
) -> T {
    let mut p = p;
    let mut g = if MAXIMIZE { -g } else { g };
    if DECOUPLED {
        p *= s.decay;
    }
    if L2 {
        g += s.weight_decay * p;
    }
    *m = lerp_fixed::<T, LOW>(*m, g, s.weight, s.one_minus_weight);
    *v = *v * s.beta2 + s.one_minus_beta2 * g * g;
    p
}

/// `p + (−step_size·m) / (sqrt(v) / sqrt(1 − β₂ᵗ) + ε)`.
#[inline(always)]
fn adam_update<T: Float>(s: &AdamScalars<T>, p: T, m: T, v: T) -> T {
    let denom = v.sqrt() / s.bias_correction2_sqrt + s.eps;
    p + s.neg_step_size * m / denom
}

/// One element: the moments, then the update from `v` or, with AMSGrad, from the running
/// maximum `vmax`.
#[inline(always)]
fn adam_element<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
    const AMSGRAD: bool,
>(
    s: &AdamScalars<T>,
    p: &mut T,
    g: T,
    m: &mut T,
    v: &mut T,
    vmax: &mut T,
) {
    let decayed = adam_moments::<T, MAXIMIZE, L2, DECOUPLED, LOW>(s, *p, g, m, v);
    let v = if AMSGRAD {
        *vmax = maximum(*vmax, *v);
        *vmax
    } else {
        *v
    };
    *p = adam_update(s, decayed, *m, v);
}

/// [`LANES`] consecutive elements of every buffer, held in locals. `vmax` is only read and
/// written with AMSGrad.
#[derive(Clone, Copy)]
struct Chunk<T> {
    p: [T; LANES],
    g: [T; LANES],
    m: [T; LANES],
    v: [T; LANES],
    vmax: [T; LANES],
}

impl<T: Float> Chunk<T> {
    /// The elements `start..start + LANES`.
    #[inline(always)]
    fn load(buffers: &Buffers<'_, T>, start: usize) -> Self {
        let end = start + LANES;
        let mut c = Chunk {
            p: [T::zero(); LANES],
            g: [T::zero(); LANES],
            m: [T::zero(); LANES],
            v: [T::zero(); LANES],
            vmax: [T::zero(); LANES],
        };
        c.p.copy_from_slice(&buffers.p[start..end]);
        c.g.copy_from_slice(&buffers.g[start..end]);
        c.m.copy_from_slice(&buffers.m[start..end]);
        c.v.copy_from_slice(&buffers.v[start..end]);
        if let Some(vmax) = &buffers.vmax {
            c.vmax.copy_from_slice(&vmax[start..end]);
        }
        c
    }

    /// Writes the elements back to `start..start + LANES`.
    #[inline(always)]
    fn store(&self, buffers: &mut Buffers<'_, T>, start: usize) {
        let end = start + LANES;
        buffers.m[start..end].copy_from_slice(&self.m);
        buffers.v[start..end].copy_from_slice(&self.v);
        if let Some(vmax) = &mut buffers.vmax {
            vmax[start..end].copy_from_slice(&self.vmax);
        }
        buffers.p[start..end].copy_from_slice(&self.p);
    }

    /// Updates every lane.
    #[inline(always)]
    fn update<
        const MAXIMIZE: bool,
        const L2: bool,
        const DECOUPLED: bool,
        const LOW: bool,
        const AMSGRAD: bool,
    >(
        &mut self,
        s: &AdamScalars<T>,
    ) {
        for i in 0..LANES {
            adam_element::<T, MAXIMIZE, L2, DECOUPLED, LOW, AMSGRAD>(
                s,
                &mut self.p[i],
                self.g[i],
                &mut self.m[i],
                &mut self.v[i],
                &mut self.vmax[i],
            );
        }
    }

    /// Lanes from `keep` on from `self`, the lanes before it from `old`.
    #[inline(always)]
    fn keep_first(&mut self, old: &Chunk<T>, keep: usize) {
        for i in 0..LANES {
            if i < keep {
                self.p[i] = old.p[i];
                self.m[i] = old.m[i];
                self.v[i] = old.v[i];
                self.vmax[i] = old.vmax[i];
            }
        }
    }
}

/// The buffers of one update, all of one length (`vmax` only with AMSGrad).
struct Buffers<'a, T> {
    p: &'a mut [T],
    g: &'a [T],
    m: &'a mut [T],
    v: &'a mut [T],
    vmax: Option<&'a mut [T]>,
}

/// One Adam (or, with `AMSGRAD`, AMSGrad) step over contiguous buffers of equal length
/// (`vmax` is `Some` exactly when `AMSGRAD`); a large parameter is split into one chunk per
/// thread (each element's update is independent, so the result is the same).
#[inline(always)]
pub(super) fn adam_slices<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
    const AMSGRAD: bool,
>(
    s: &AdamScalars<T>,
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    vmax: Option<&mut [T]>,
) {
    let Some(c) = parallel_chunk_len(p.len()) else {
        return adam_serial::<T, MAXIMIZE, L2, DECOUPLED, LOW, AMSGRAD>(s, p, g, m, v, vmax);
    };
    // Without AMSGrad the `vmax` chunks are empty, never touched.
    let vmax_chunks: Vec<&mut [T]> = match vmax {
        Some(vmax) => vmax.chunks_mut(c).collect(),
        None => p.chunks(c).map(|_| <&mut [T]>::default()).collect(),
    };
    let chunks = p
        .chunks_mut(c)
        .zip(g.chunks(c))
        .zip(m.chunks_mut(c).zip(v.chunks_mut(c)))
        .zip(vmax_chunks)
        .collect();
    // Each pool thread picks the AVX2 loop again (the caller's choice does not travel with
    // the closure).
    parallel_for_each(chunks, |(((p, g), (m, v)), vmax)| {
        let vmax = AMSGRAD.then_some(vmax);
        vectorized(
            #[inline(always)]
            || adam_serial::<T, MAXIMIZE, L2, DECOUPLED, LOW, AMSGRAD>(s, p, g, m, v, vmax),
        )
    });
}

/// [`adam_slices`] on the calling thread, [`LANES`] elements at a time.
#[inline(always)]
fn adam_serial<
    T: Float,
    const MAXIMIZE: bool,
    const L2: bool,
    const DECOUPLED: bool,
    const LOW: bool,
    const AMSGRAD: bool,
>(
    s: &AdamScalars<T>,
    p: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    vmax: Option<&mut [T]>,
) {
    // The scalars as values, so the loop keeps them in registers.
    let s = *s;
    let n = p.len();
    let vmax = if AMSGRAD { vmax } else { None };
    assert!(
        g.len() == n && m.len() == n && v.len() == n && vmax.as_ref().is_none_or(|x| x.len() == n),
        "Adam: buffers of unequal length"
    );
    let mut b = Buffers { p, g, m, v, vmax };
    if n < LANES {
        let mut unused = T::zero();
        for i in 0..n {
            let vmax = match &mut b.vmax {
                Some(vmax) => &mut vmax[i],
                None => &mut unused,
            };
            adam_element::<T, MAXIMIZE, L2, DECOUPLED, LOW, AMSGRAD>(
                &s,
                &mut b.p[i],
                b.g[i],
                &mut b.m[i],
                &mut b.v[i],
                vmax,
            );
        }
        return;
    }
    let whole = n - n % LANES;
    for start in (0..whole).step_by(LANES) {
        let mut chunk = Chunk::load(&b, start);
        chunk.update::<MAXIMIZE, L2, DECOUPLED, LOW, AMSGRAD>(&s);
        chunk.store(&mut b, start);
    }
    if whole < n {
        // The last `LANES` elements: the first of them were updated with the last whole
        // chunk, so those lanes are written back as they were read.
        let start = n - LANES;
        let old = Chunk::load(&b, start);
        let mut chunk = old;
        chunk.update::<MAXIMIZE, L2, DECOUPLED, LOW, AMSGRAD>(&s);
        chunk.keep_first(&old, whole - start);
        chunk.store(&mut b, start);
    }
}

/// The update for any memory layout of the parameter and gradient, written with the options
/// as run-time values: the reference that the slice loops must match bit for bit.
#[inline(never)]
pub(super) fn adam_general<T: Float>(
    c: &AdamOptions,
    s: &AdamScalars<T>,
    param: &mut Tensor<T>,
    grad: &Tensor<T>,
    slot: &mut AdamSlot<T>,
) {
    let moments = |p: &mut T, g: T, m: &mut T, v: &mut T| {
        let mut g = if c.maximize { -g } else { g };
        if c.weight_decay != 0.0 {
            if c.decoupled {
                *p *= s.decay;
            } else {
                g += s.weight_decay * *p;
            }
        }
        *m = lerp(*m, g, s.weight);
        *v = *v * s.beta2 + s.one_minus_beta2 * g * g;
    };
    let update = |p: &mut T, m: T, v: T| {
        let denom = v.sqrt() / s.bias_correction2_sqrt + s.eps;
        *p += s.neg_step_size * m / denom;
    };
    // The state buffers hold the elements in row-major order, as views of the parameter's
    // shape.
    fn view<'a, T>(shape: &[usize], buffer: &'a mut [T]) -> ArrayViewMutD<'a, T> {
        ArrayViewMutD::from_shape(IxDyn(shape), buffer)
            .expect("Adam: a state buffer has its parameter's element count")
    }
    let shape = param.shape().to_vec();
    let (m, v) = (
        view(&shape, &mut slot.exp_avg),
        view(&shape, &mut slot.exp_avg_sq),
    );
    match slot.max_exp_avg_sq.as_mut().filter(|_| c.amsgrad) {
        Some(max_v) => Zip::from(param.array_mut())
            .and(grad.array())
            .and(m)
            .and(v)
            .and(view(&shape, max_v))
            .for_each(|p, &g, m, v, vmax| {
                moments(p, g, m, v);
                *vmax = maximum(*vmax, *v);
                update(p, *m, *vmax);
            }),
        None => Zip::from(param.array_mut())
            .and(grad.array())
            .and(m)
            .and(v)
            .for_each(|p, &g, m, v| {
                moments(p, g, m, v);
                update(p, *m, *v);
            }),
    }
}
