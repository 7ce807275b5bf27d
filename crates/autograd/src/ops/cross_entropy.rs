//! cross_entropy: fused log-softmax + negative log-likelihood over the rows of logits
//! x [N, C], one loss per row (no reduction; the caller sums or averages).
//!
//! Every target form is a row of constant coefficients q_n· ≥ 0 (never materialised for
//! class indices) and
//!
//!   lse_n  = m_n + ln Σ_c e^{x_nc - m_n},  m_n = max_c x_nc   (no overflow at |x| ~ 1e4)
//!   loss_n = Σ_c q_nc · (lse_n - x_nc),   S_n = Σ_c q_nc
//!
//! - class indices y_n with class weights w (default 1), label smoothing ε and an ignored
//!   class: q_nc = (1-ε)·w_{y_n}·[c = y_n] + (ε/C)·w_c, and q_n· = 0 on ignored rows
//!   (PyTorch's `cross_entropy` with `reduction='none'`);
//! - probabilities t_nc: q_nc = w_c · (t_nc(1-ε) + ε/C).
//!
//! Derivative: ∂loss_n/∂x_nc = S_n · softmax_nc - q_nc, so dx = dy_n · (S_n · p_nc - q_nc)
//! with p = e^{x - lse}. It is smooth everywhere (no kinks). The first-order backward is one
//! pass over the rows using the saved lse_n (p for the whole matrix through the vectorized
//! exp kernel, then the coefficients row by row); when the backward is itself recorded
//! (`create_graph`), the same formula is built from Var ops (p from a log-sum-exp whose
//! max shift is a constant), so second derivatives are exact. Saves lse (N values) and the
//! target description; q is treated as a constant (no gradient flows to targets).
//! Plain class indices (no weights, no smoothing, no ignored row) skip the coefficient
//! walk with bitwise-identical results (`class_indices`).

use backprop_tensor::{Float, Rng, Tensor};

use super::logsumexp::{row_logsumexp, softmax_from_lse};
use crate::checks::{GradCase, SecondOrder, inputs};
use crate::mode::is_grad_enabled;
use crate::{Backward, BackwardCtx, Var};

mod class_indices;
mod narrow;

pub(crate) const SECOND_ORDER: SecondOrder = SecondOrder::Supported;

/// What the rows of [`Var::cross_entropy`] are scored against.
#[derive(Debug, Clone, Copy)]
pub enum CrossEntropyTarget<'a, T: Float = f32> {
    /// One class index per row (shape `[N]`); rows whose class equals `ignore_index`
    /// get loss 0 and no gradient.
    Indices {
        /// The class of each row, each `< C` (except an ignored one).
        classes: &'a Tensor<usize>,
        /// A class index whose rows are skipped (PyTorch's `ignore_index`).
        ignore_index: Option<usize>,
    },
    /// A probability distribution per row (shape `[N, C]`, rows usually summing to 1).
    Probs(&'a Tensor<T>),
}

/// The target, owned, as the backward needs it.
enum Target<T> {
    Indices {
        classes: Vec<usize>,
        ignore_index: Option<usize>,
    },
    Probs(Vec<T>),
}

/// The target coefficients q (see the header) of one row, with their sum.
struct Coefficients<'a, T> {
    target: &'a Target<T>,
    /// Class weights w_c (all ones when the caller gave none).
    weight: &'a [T],
    /// Σ_c w_c, for the smoothing part of index targets.
    weight_sum: T,
    /// ε.
    smoothing: T,
    c: usize,
}

impl<T: Float> Coefficients<'_, T> {
    /// Calls `f(class, q_nc)` for every nonzero-able coefficient of row `n` and returns S_n.
    #[inline]
    fn row(&self, n: usize, mut f: impl FnMut(usize, T)) -> T {
        let eps_c = self.smoothing / T::from_usize(self.c);
        match self.target {
            Target::Indices {
                classes,
                ignore_index,
            } => {
                let y = classes[n];
                if Some(y) == *ignore_index {
                    return T::zero();
                }
                let hard = (T::one() - self.smoothing) * self.weight[y];
                if eps_c != T::zero() {
                    for (c, &w) in self.weight.iter().enumerate() {
                        f(c, eps_c * w);
                    }
                }
                f(y, hard);
                hard + eps_c * self.weight_sum
            }
            Target::Probs(t) => {
                let row = &t[n * self.c..(n + 1) * self.c];
                let mut s = T::zero();
                for (c, (&tc, &w)) in row.iter().zip(self.weight).enumerate() {
                    let q = w * (tc * (T::one() - self.smoothing) + eps_c);
                    f(c, q);
                    s += q;
                }
                s
            }
        }
    }

    /// The dense [N, C] coefficient matrix and the row sums [N, 1] (for the recorded backward).
    fn dense(&self, n_rows: usize) -> (Tensor<T>, Tensor<T>) {
        let mut q = vec![T::zero(); n_rows * self.c];
        let mut s = Vec::with_capacity(n_rows);
        for n in 0..n_rows {
            let row = &mut q[n * self.c..(n + 1) * self.c];
            s.push(self.row(n, |c, v| row[c] += v));
        }
        (
            Tensor::from_vec(q, &[n_rows, self.c]).expect("n_rows * c values"),
            Tensor::from_vec(s, &[n_rows, 1]).expect("n_rows values"),
        )
    }
}

impl<T: Float> Var<T> {
    /// Cross-entropy of each row of the logits `self` (`[N, C]`) against `target`, from
    /// logits (log-softmax and negative log-likelihood fused, stable for any logit size):
    /// returns the `[N]` unreduced losses `Σ_c q_nc (logsumexp(x_n) - x_nc)`, where
    /// `q_nc = (1-ε)·w_{y_n}·[c = y_n] + ε/C·w_c` for class indices `y` and
    /// `q_nc = w_c·(t_nc(1-ε) + ε/C)` for probabilities `t` (PyTorch's
    /// `F.cross_entropy(..., reduction='none')`). `weight` is the per-class weight `w`
    /// (`[C]`, default all ones) and `label_smoothing` is ε in `[0, 1]`.
    ///
    /// `backprop-nn`'s `CrossEntropyLoss` adds the reductions.
    ///
    /// # Panics
    ///
    /// If the logits are not 2-D, the target's shape does not match, a class index is
    /// `>= C` (and not ignored), `weight` is not `[C]`, or `label_smoothing` is outside
    /// `[0, 1]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::{CrossEntropyTarget, Var};
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::from_vec(vec![0.0f64, 0.0, 1e4, 0.0], &[2, 2]).unwrap());
    /// let y = Tensor::from_vec(vec![1usize, 0], &[2]).unwrap();
    /// let target = CrossEntropyTarget::Indices { classes: &y, ignore_index: None };
    /// let loss = x.cross_entropy(target, None, 0.0);
    /// assert!((loss.data().to_vec()[0] - 2f64.ln()).abs() < 1e-12);
    /// assert_eq!(loss.data().to_vec()[1], 0.0);
    /// loss.sum().backward();
    /// assert!(x.grad().unwrap().all_finite());
    /// ```
    #[track_caller]
    pub fn cross_entropy(
        &self,
        target: CrossEntropyTarget<'_, T>,
        weight: Option<&Tensor<T>>,
        label_smoothing: T,
    ) -> Var<T> {
        let x = self.data();
        let shape = x.shape();
        assert!(
            shape.len() == 2,
            "cross_entropy: logits must be [N, C], got shape {shape:?}"
        );
        let (n_rows, c) = (shape[0], shape[1]);
        assert!(
            label_smoothing >= T::zero() && label_smoothing <= T::one(),
            "cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
        );
        let weight: Option<Vec<T>> = weight.map(|w| {
            assert!(
                w.shape() == [c],
                "cross_entropy: weight must have shape [{c}] (one per class), got {:?}",
                w.shape()
            );
            w.to_vec()
        });
        // The class-index fast path (`class_indices`) is decided with the targets.
        let mut plain = weight.is_none() && label_smoothing == T::zero();
        let target = match target {
            CrossEntropyTarget::Indices {
                classes,
                ignore_index,
            } => {
                assert!(
                    classes.shape() == [n_rows],
                    "cross_entropy: logits {shape:?} need class indices of shape [{n_rows}], got {:?}",
                    classes.shape()
                );
                let classes = classes.to_vec();
                // One branch-free pass over the targets; the panic looks for the culprit.
                let (bad, any_ignored) = match ignore_index {
                    // Without an ignored class, the largest target decides.
                    None => (class_indices::any_out_of_range(&classes, c), false),
                    Some(ignored) => {
                        let (mut bad, mut any_ignored) = (false, false);
                        for &y in &classes {
                            let skip = y == ignored;
                            bad |= (y >= c) & !skip;
                            any_ignored |= skip;
                        }
                        (bad, any_ignored)
                    }
                };
                if bad {
                    let (n, y) = classes
                        .iter()
                        .enumerate()
                        .find(|&(_, &y)| y >= c && Some(y) != ignore_index)
                        .expect("an out-of-range target was seen");
                    panic!("cross_entropy: target {y} of row {n} is out of range for {c} classes");
                }
                plain &= !any_ignored;
                Target::Indices {
                    classes,
                    ignore_index,
                }
            }
            CrossEntropyTarget::Probs(t) => {
                assert!(
                    t.shape() == shape,
                    "cross_entropy: logits {shape:?} need probability targets of the same shape, got {:?}",
                    t.shape()
                );
                plain = false;
                Target::Probs(t.to_vec())
            }
        };
        // The fast path never reads the weights, so it skips building the ones.
        let weight = match weight {
            Some(w) => w,
            None if plain => Vec::new(),
            None => vec![T::one(); c],
        };
        let weight_sum = weight.iter().copied().sum();
        let x = Contiguous::new(&x);
        let xs = x.slice();
        let (lse, loss) = match &target {
            Target::Indices { classes, .. } if plain => narrow::forward(xs, classes, c)
                .unwrap_or_else(|| {
                    let lse = row_logsumexp(xs, n_rows, c);
                    let loss = class_indices::losses(xs, &lse, classes, c);
                    (lse, loss)
                }),
            _ => {
                let coef = Coefficients {
                    target: &target,
                    weight: &weight,
                    weight_sum,
                    smoothing: label_smoothing,
                    c,
                };
                let lse = row_logsumexp(xs, n_rows, c);
                let loss = (0..n_rows)
                    .map(|n| {
                        let (row, l) = (&xs[n * c..(n + 1) * c], lse[n]);
                        // Σ q (lse - x) term by term: no cancellation between two large sums.
                        let mut acc = T::zero();
                        coef.row(n, |cls, q| acc += q * (l - row[cls]));
                        acc
                    })
                    .collect();
                (lse, loss)
            }
        };
        let out = Tensor::from_vec(loss, &[n_rows]).expect("n_rows values");
        let backward = CrossEntropyBackward {
            target,
            weight,
            weight_sum,
            smoothing: label_smoothing,
            plain,
            lse,
        };
        Var::from_unary_op("cross_entropy", out, self, backward)
    }
}

/// A tensor's elements as a row-major slice: borrowed when the storage already is one
/// (the usual case), copied otherwise.
enum Contiguous<'a, T> {
    Borrowed(&'a [T]),
    Owned(Tensor<T>),
}

impl<'a, T: Float> Contiguous<'a, T> {
    fn new(t: &'a Tensor<T>) -> Self {
        match t.as_slice() {
            Some(s) => Contiguous::Borrowed(s),
            None => Contiguous::Owned(t.to_contiguous()),
        }
    }

    fn slice(&self) -> &[T] {
        match self {
            Contiguous::Borrowed(s) => s,
            Contiguous::Owned(t) => t.as_slice().expect("standard layout after to_contiguous"),
        }
    }
}

struct CrossEntropyBackward<T> {
    target: Target<T>,
    /// Class weights; empty on the fast path, where they are all ones.
    weight: Vec<T>,
    weight_sum: T,
    smoothing: T,
    /// Class indices, no weights, no smoothing, no ignored row: see `class_indices`.
    plain: bool,
    lse: Vec<T>,
}

impl<T: Float> CrossEntropyBackward<T> {
    /// The target coefficients; `ones` holds the unit weights of the fast path, which
    /// does not keep them.
    fn coefficients<'a>(&'a self, c: usize, ones: &'a mut Vec<T>) -> Coefficients<'a, T> {
        let (weight, weight_sum) = if self.plain {
            *ones = vec![T::one(); c];
            (ones.as_slice(), ones.iter().copied().sum())
        } else {
            (self.weight.as_slice(), self.weight_sum)
        };
        Coefficients {
            target: &self.target,
            weight,
            weight_sum,
            smoothing: self.smoothing,
            c,
        }
    }
}

impl<T: Float> Backward<T> for CrossEntropyBackward<T> {
    fn backward(&self, ctx: &BackwardCtx<'_, T>, g: &Var<T>) -> Vec<Option<Var<T>>> {
        let x = ctx.input(0);
        let shape = ctx.input_shape(0);
        let (n_rows, c) = (shape[0], shape[1]);
        if is_grad_enabled() {
            // Recorded backward (create_graph): the same formula from differentiable ops.
            let (q, s) = self.coefficients(c, &mut Vec::new()).dense(n_rows);
            let m = Var::new(x.data().max(&[1], true).map(|v| {
                if v.is_finite() { v } else { T::zero() }
            }));
            let lse = x.sub(&m).exp().sum_axes(&[1], true).log().add(&m);
            let p = x.sub(&lse).exp();
            let dx = p
                .mul(&Var::new(s))
                .sub(&Var::new(q))
                .mul(&g.reshape(&[n_rows, 1]));
            return vec![Some(dx)];
        }
        let dx = self.gradient(&x.data(), &g.data());
        vec![Some(Var::new(dx))]
    }

    fn backward_fast_into(
        &self,
        ctx: &BackwardCtx<'_, T>,
        g: Tensor<T>,
        out: &mut Vec<Option<Tensor<T>>>,
    ) {
        out.push(Some(self.gradient(&ctx.input(0).data(), &g)));
    }
}

impl<T: Float> CrossEntropyBackward<T> {
    /// dx_nc = dy_n · (S_n · e^{x_nc - lse_n} - q_nc) on plain tensors.
    fn gradient(&self, x: &Tensor<T>, g: &Tensor<T>) -> Tensor<T> {
        let shape = x.shape();
        let (n_rows, c) = (shape[0], shape[1]);
        let (x, g) = (Contiguous::new(x), Contiguous::new(g));
        let (xs, gs) = (x.slice(), g.slice());
        if let (true, Target::Indices { classes, .. }) = (self.plain, &self.target) {
            let dx = class_indices::gradient(xs, &self.lse, classes, gs, c);
            return Tensor::from_vec(dx, shape).expect("same shape as the logits");
        }
        let mut ones = Vec::new();
        let coef = self.coefficients(c, &mut ones);
        // p = e^{x - lse} for the whole matrix in one vectorized pass.
        let p = softmax_from_lse(xs, &self.lse, c);
        let mut dx = vec![T::zero(); n_rows * c];
        if c > 0 {
            for (n, (d, pr)) in dx.chunks_exact_mut(c).zip(p.chunks_exact(c)).enumerate() {
                let gn = gs[n];
                let s = coef.row(n, |cls, q| d[cls] -= q * gn);
                if s != T::zero() {
                    let k = s * gn;
                    for (dv, &pv) in d.iter_mut().zip(pr) {
                        *dv += k * pv;
                    }
                }
            }
        }
        Tensor::from_vec(dx, shape).expect("same shape as the logits")
    }
}

fn idx(classes: &Tensor<usize>, ignore_index: Option<usize>) -> CrossEntropyTarget<'_, f64> {
    CrossEntropyTarget::Indices {
        classes,
        ignore_index,
    }
}

pub(crate) fn cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (2 + rng.below(4), 2 + rng.below(4));
    let classes: Vec<usize> = (0..n).map(|_| rng.below(c)).collect();
    let classes = Tensor::from_vec(classes, &[n]).expect("n values");
    let weight = inputs::positive(rng, &[c]);
    let probs = {
        let t = inputs::positive(rng, &[n, c]);
        let s = t.sum(&[1], true);
        t.div(&s)
    };
    // Row 0 ignored: its class becomes the ignored index for the ignore case.
    let ignored = classes.to_vec()[0];
    let (c1, c2, c3, c4) = (
        classes.clone(),
        classes.clone(),
        classes.clone(),
        classes.clone(),
    );
    let (w1, w2, w3) = (weight.clone(), weight.clone(), weight.clone());
    let (p1, p2) = (probs.clone(), probs);
    vec![
        GradCase::new("indices", vec![inputs::normal(rng, &[n, c])], move |v| {
            v[0].cross_entropy(idx(&c1, None), None, 0.0)
        }),
        GradCase::new("weight", vec![inputs::normal(rng, &[n, c])], move |v| {
            v[0].cross_entropy(idx(&c2, None), Some(&w1), 0.0)
        }),
        GradCase::new(
            "ignore_index",
            vec![inputs::normal(rng, &[n, c])],
            move |v| v[0].cross_entropy(idx(&c3, Some(ignored)), None, 0.0),
        ),
        GradCase::new(
            "smoothing + weight",
            vec![inputs::normal(rng, &[n, c])],
            move |v| v[0].cross_entropy(idx(&c4, None), Some(&w2), 0.2),
        ),
        GradCase::new("probs", vec![inputs::normal(rng, &[n, c])], move |v| {
            v[0].cross_entropy(CrossEntropyTarget::Probs(&p1), None, 0.0)
        }),
        GradCase::new(
            "probs + smoothing + weight",
            vec![inputs::normal(rng, &[n, c])],
            move |v| v[0].cross_entropy(CrossEntropyTarget::Probs(&p2), Some(&w3), 0.1),
        ),
    ]
}

#[cfg(test)]
mod tests;
