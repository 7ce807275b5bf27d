//! [`Embedding`]: a lookup table, y[..., :] = weight[indices[...], :].

use backprop_autograd::Var;
use backprop_tensor::{Float, Rng, Tensor};

use crate::{Module, TrainingFlag};

/// A lookup table of `num_embeddings` vectors of size `embedding_dim` (PyTorch's
/// `nn.Embedding`): indices of any shape `[*]` map to rows of the weight, `[*, dim]`.
///
/// The weight (`weight`, `[num_embeddings, embedding_dim]`) is initialised from N(0, 1). With
/// a `padding_idx`, that row starts at zero and never receives a gradient, so it stays
/// whatever it is set to (zero unless loaded otherwise), as in PyTorch.
///
/// Indices are integers, so the lookup is [`forward_indices`](Embedding::forward_indices);
/// the [`Module::forward`] of the trait takes the indices stored as whole numbers in a float
/// tensor, for use inside a [`Sequential`](crate::Sequential).
///
/// # Examples
///
/// ```
/// use backprop_nn::{Embedding, Module};
/// use backprop_tensor::{Rng, Tensor};
///
/// let emb = Embedding::<f64>::new(10, 3, Some(0), &mut Rng::seed_from_u64(0));
/// let idx = Tensor::from_vec(vec![0, 2, 2, 9], &[2, 2]).unwrap();
/// let y = emb.forward_indices(&idx);
/// assert_eq!(y.shape(), [2, 2, 3]);
/// assert_eq!(y.value().to_vec()[..3], [0.0, 0.0, 0.0]); // the padding row
///
/// y.sum().backward();
/// let g = emb.weight.grad().unwrap().to_vec();
/// assert_eq!(g[..3], [0.0, 0.0, 0.0]); // no gradient for padding_idx
/// assert_eq!(g[6..9], [2.0, 2.0, 2.0]); // row 2 was used twice
/// ```
#[derive(Debug, Clone)]
pub struct Embedding<T: Float = f32> {
    /// The table, `[num_embeddings, embedding_dim]`.
    pub weight: Var<T>,
    padding_idx: Option<usize>,
    training: TrainingFlag,
}

impl<T: Float> Embedding<T> {
    /// A table drawn from N(0, 1), with the `padding_idx` row (if any) zeroed.
    ///
    /// # Panics
    ///
    /// If `padding_idx` is not below `num_embeddings`.
    #[track_caller]
    pub fn new(
        num_embeddings: usize,
        embedding_dim: usize,
        padding_idx: Option<usize>,
        rng: &mut Rng,
    ) -> Self {
        if let Some(p) = padding_idx {
            assert!(
                p < num_embeddings,
                "Embedding: padding_idx {p} must be within num_embeddings = {num_embeddings}"
            );
        }
        let mut weight = Tensor::<T>::randn(&[num_embeddings, embedding_dim], rng).to_vec();
        if let Some(p) = padding_idx {
            weight[p * embedding_dim..(p + 1) * embedding_dim].fill(T::zero());
        }
        let weight = Tensor::from_vec(weight, &[num_embeddings, embedding_dim])
            .expect("the table has num_embeddings · embedding_dim values");
        Embedding {
            weight: Var::parameter(weight),
            padding_idx,
            training: TrainingFlag::new(),
        }
    }

    /// The number of rows.
    pub fn num_embeddings(&self) -> usize {
        self.weight.shape()[0]
    }

    /// The size of each row.
    pub fn embedding_dim(&self) -> usize {
        self.weight.shape()[1]
    }

    /// The row that receives no gradient, if any.
    pub fn padding_idx(&self) -> Option<usize> {
        self.padding_idx
    }

    /// The rows at `indices`, `[*indices.shape(), embedding_dim]`.
    ///
    /// # Panics
    ///
    /// If an index is not below `num_embeddings`.
    #[track_caller]
    pub fn forward_indices(&self, indices: &Tensor<usize>) -> Var<T> {
        let flat = indices.to_contiguous().to_vec();
        let (n, dim) = (self.num_embeddings(), self.embedding_dim());
        if let Some(&bad) = flat.iter().find(|&&i| i >= n) {
            panic!(
                "Embedding: index {bad} out of range for num_embeddings = {n} (indices of shape {:?})",
                indices.shape()
            );
        }
        let rows = self.weight.index_select(0, &flat);
        // Rows looked up at padding_idx come from a detached copy of the table, so their
        // gradient never reaches the weight.
        let rows = match self.padding_idx {
            Some(p) if flat.contains(&p) => {
                let keep: Vec<bool> = flat.iter().map(|&i| i != p).collect();
                let keep =
                    Tensor::from_vec(keep, &[flat.len(), 1]).expect("one flag per looked-up row");
                let frozen = self.weight.detach().index_select(0, &flat);
                Var::where_cond(&keep, &rows, &frozen)
            }
            _ => rows,
        };
        let mut shape = indices.shape().to_vec();
        shape.push(dim);
        rows.reshape(&shape)
    }
}

impl<T: Float> Module<T> for Embedding<T> {
    /// [`forward_indices`](Embedding::forward_indices) of `x`'s values, which must be whole
    /// numbers in `[0, num_embeddings)`. No gradient flows to `x`.
    ///
    /// # Panics
    ///
    /// If a value of `x` is not such an index.
    #[track_caller]
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let n = self.num_embeddings();
        let indices: Vec<usize> = x
            .data()
            .to_contiguous()
            .to_vec()
            .into_iter()
            .map(|v| {
                let f = v.as_f64();
                assert!(
                    f >= 0.0 && f.fract() == 0.0 && f < n as f64,
                    "Embedding: input value {f} is not an index in [0, {n})"
                );
                f as usize
            })
            .collect();
        let indices = Tensor::from_vec(indices, &x.shape()).expect("one index per input value");
        self.forward_indices(&indices)
    }

    fn local_parameters(&self) -> Vec<(&str, Var<T>)> {
        vec![("weight", self.weight.clone())]
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn is_training(&self) -> bool {
        self.training.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_is_standard_normal_with_a_zero_padding_row() {
        let emb = Embedding::<f64>::new(400, 10, Some(7), &mut Rng::seed_from_u64(1));
        let w = emb.weight.value();
        let row7 = w.to_vec()[70..80].to_vec();
        assert!(row7.iter().all(|&v| v == 0.0));
        // 3990 N(0, 1) draws: mean within ~0.05, standard deviation within ~3%.
        let mean = w.mean(&[0, 1], false).item();
        let std = w.var(&[0, 1], 0, false).item().sqrt();
        assert!(
            mean.abs() < 0.05 && (std - 1.0).abs() < 0.03,
            "{mean} {std}"
        );
    }

    #[test]
    fn float_forward_matches_index_forward() {
        let emb = Embedding::<f32>::new(5, 2, None, &mut Rng::seed_from_u64(2));
        let x = Var::new(Tensor::from_vec(vec![4.0f32, 0.0, 1.0], &[3]).unwrap());
        let idx = Tensor::from_vec(vec![4, 0, 1], &[3]).unwrap();
        assert_eq!(emb.forward(&x).value(), emb.forward_indices(&idx).value());
    }

    #[test]
    #[should_panic(
        expected = "Embedding: index 5 out of range for num_embeddings = 5 (indices of shape [2])"
    )]
    fn out_of_range_index_panics() {
        let emb = Embedding::<f32>::new(5, 2, None, &mut Rng::seed_from_u64(0));
        let _ = emb.forward_indices(&Tensor::from_vec(vec![1, 5], &[2]).unwrap());
    }

    #[test]
    #[should_panic(expected = "Embedding: input value 1.5 is not an index in [0, 5)")]
    fn fractional_float_index_panics() {
        let emb = Embedding::<f32>::new(5, 2, None, &mut Rng::seed_from_u64(0));
        let _ = emb.forward(&Var::new(Tensor::from_vec(vec![1.5f32], &[1]).unwrap()));
    }

    #[test]
    #[should_panic(expected = "Embedding: padding_idx 3 must be within num_embeddings = 3")]
    fn padding_idx_out_of_range_panics() {
        let _ = Embedding::<f32>::new(3, 2, Some(3), &mut Rng::seed_from_u64(0));
    }
}
