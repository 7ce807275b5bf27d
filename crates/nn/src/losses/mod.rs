//! Loss functions: a struct per loss with builder options and a `forward`, and the same
//! losses as plain functions in [`functional`](crate::functional).
//!
//! Every loss takes a [`Reduction`] (default [`Reduction::Mean`]), and every loss on logits
//! is written to stay finite — value and gradient — for logits as large as ±1e4 in f32.
//! (`PoissonNLLLoss` on log-rates computes e^x, which overflows past ~88 in f32 as in
//! PyTorch.)

mod bce;
mod cross_entropy;
mod embedding;
mod kl_div;
mod likelihood;
mod margin;
mod multi_margin;
mod nll;
mod regression;

pub use bce::{BCELoss, BCEWithLogitsLoss};
pub use cross_entropy::CrossEntropyLoss;
pub use embedding::{CosineEmbeddingLoss, TripletMarginLoss};
pub use kl_div::KLDivLoss;
pub use likelihood::{GaussianNLLLoss, PoissonNLLLoss};
pub use margin::{HingeEmbeddingLoss, MarginRankingLoss, MultiLabelSoftMarginLoss, SoftMarginLoss};
pub use multi_margin::MultiMarginLoss;
pub use nll::NLLLoss;
pub use regression::{HuberLoss, L1Loss, MSELoss, SmoothL1Loss};

use std::borrow::Cow;

use backprop_autograd::Var;
use backprop_tensor::{Float, Tensor};

/// How per-element losses are combined (PyTorch's `reduction` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// The mean (for class losses with weights, the weighted mean: divided by the sum of
    /// the weights of the targets, as PyTorch).
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// No reduction: one loss per element (or per sample for class losses).
    None,
}

/// Applies a plain (unweighted) reduction.
pub(crate) fn reduce<T: Float>(loss: Var<T>, reduction: Reduction) -> Var<T> {
    match reduction {
        Reduction::Mean => loss.mean(),
        Reduction::Sum => loss.sum(),
        Reduction::None => loss,
    }
}

/// Panics unless an elementwise loss's input and target have the same shape.
#[track_caller]
pub(crate) fn check_same_shape<T: Float>(loss: &str, input: &Var<T>, target: &Var<T>) {
    let (a, b) = (input.shape(), target.shape());
    assert!(
        a == b,
        "{loss}: input of shape {a:?} and target of shape {b:?} differ"
    );
}

/// Panics unless a loss's labels (a constant target such as ±1) have the input's shape.
#[track_caller]
pub(crate) fn check_label_shape<T: Float>(loss: &str, input: &Var<T>, target: &Tensor<T>) {
    let (a, b) = (input.shape(), target.shape());
    assert!(
        a == b,
        "{loss}: input of shape {a:?} and target of shape {b:?} differ"
    );
}

/// The layout of a class loss's input (PyTorch's `cross_entropy`/`nll_loss` shapes): `[N, C]`,
/// one unbatched sample `[C]`, or `[N, C, d1, ..., dk]` with a class distribution at every
/// position. The fused ops work on 2-D rows, so the input is viewed as `[R, C]` rows with
/// the class axis last.
pub(crate) struct ClassLayout {
    /// The input's shape.
    input: Vec<usize>,
    /// The shape of the per-sample losses and of class-index targets: `[N]`, `[]` or
    /// `[N, d1, ..., dk]`.
    pub(crate) samples: Vec<usize>,
    /// R, the number of rows (samples).
    pub(crate) rows: usize,
    /// C, the number of classes.
    pub(crate) classes: usize,
}

impl ClassLayout {
    /// The layout of `input`.
    ///
    /// # Panics
    ///
    /// If `input` is 0-d.
    #[track_caller]
    pub(crate) fn of(loss: &str, input: &[usize]) -> Self {
        let (samples, classes) = match input {
            [] => panic!("{loss}: input must be [C], [N, C] or [N, C, d1, ...], got a 0-d value"),
            [c] => (vec![], *c),
            [n, c, rest @ ..] => {
                let mut samples = vec![*n];
                samples.extend_from_slice(rest);
                (samples, *c)
            }
        };
        ClassLayout {
            input: input.to_vec(),
            rows: samples.iter().product(),
            samples,
            classes,
        }
    }

    /// The axis order that moves the class axis (1) last, for inputs with more than 2 axes.
    fn class_last(&self) -> Vec<usize> {
        let nd = self.input.len();
        let mut axes: Vec<usize> = (0..nd).filter(|&a| a != 1).collect();
        axes.push(1);
        axes
    }

    /// The input as `[R, C]` rows (the same `Var` when it is already `[N, C]`).
    pub(crate) fn rows_of<T: Float>(&self, input: &Var<T>) -> Var<T> {
        match self.input.len() {
            2 => input.clone(),
            1 => input.reshape(&[1, self.classes]),
            _ => input
                .permute(&self.class_last())
                .reshape(&[self.rows, self.classes]),
        }
    }

    /// Probability targets (the input's shape) as `[R, C]` rows.
    ///
    /// # Panics
    ///
    /// If `targets` does not have the input's shape.
    #[track_caller]
    pub(crate) fn prob_rows<'t, T: Float>(
        &self,
        loss: &str,
        targets: &'t Tensor<T>,
    ) -> Cow<'t, Tensor<T>> {
        assert!(
            targets.shape() == self.input.as_slice(),
            "{loss}: input {:?} needs probability targets of the same shape, got {:?}",
            self.input,
            targets.shape()
        );
        match self.input.len() {
            2 => Cow::Borrowed(targets),
            1 => Cow::Owned(targets.reshape(&[1, self.classes])),
            _ => Cow::Owned(
                targets
                    .permute(&self.class_last())
                    .reshape(&[self.rows, self.classes]),
            ),
        }
    }

    /// Class-index targets (shape [`samples`](Self::samples)) as `[R]`.
    ///
    /// # Panics
    ///
    /// If `targets` does not have the samples' shape.
    #[track_caller]
    pub(crate) fn index_rows<'t>(
        &self,
        loss: &str,
        targets: &'t Tensor<usize>,
    ) -> Cow<'t, Tensor<usize>> {
        assert!(
            targets.shape() == self.samples.as_slice(),
            "{loss}: input {:?} needs class-index targets of shape {:?}, got {:?}",
            self.input,
            self.samples,
            targets.shape()
        );
        if self.samples.len() == 1 {
            Cow::Borrowed(targets)
        } else {
            Cow::Owned(targets.reshape(&[self.rows]))
        }
    }

    /// Per-row losses `[R]` in the samples' shape (for [`Reduction::None`]).
    pub(crate) fn unflatten<T: Float>(&self, per_row: Var<T>) -> Var<T> {
        if self.samples.len() == 1 {
            per_row
        } else {
            per_row.reshape(&self.samples)
        }
    }
}
