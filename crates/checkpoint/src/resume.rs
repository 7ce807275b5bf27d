//! Taking a checkpoint of a model and optimizer, and putting it back.

use backprop_nn::Module;
use backprop_optim::Optimizer;
use backprop_tensor::Float;

use crate::{Checkpoint, CheckpointError};

impl<T: Float> Checkpoint<T> {
    /// A checkpoint of `model`'s parameters (by dotted name) and `optimizer`'s full state, at
    /// epoch 0, step 0; add counters, scheduler, loader and generators with the `with_*`
    /// methods.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_checkpoint::Checkpoint;
    /// use backprop_data::DataLoader;
    /// use backprop_nn::{Linear, Module};
    /// use backprop_optim::{Adam, AdamConfig};
    /// use backprop_tensor::{Rng, Tensor};
    ///
    /// let mut rng = Rng::seed_from_u64(0);
    /// let model: Linear = Linear::new(4, 3, &mut rng);
    /// let opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    /// let loader = DataLoader::from_tensors(Tensor::zeros(&[10, 4]), vec![0; 10], 5)
    ///     .unwrap()
    ///     .shuffle(1);
    /// let ckpt = Checkpoint::capture(&model, &opt)
    ///     .with_epoch(3)
    ///     .with_step(6)
    ///     .with_loader(loader.state());
    /// assert_eq!(ckpt.model.keys().collect::<Vec<_>>(), ["bias", "weight"]);
    /// assert_eq!(ckpt.optimizer.optimizer, "Adam");
    /// ```
    pub fn capture<M, O>(model: &M, optimizer: &O) -> Self
    where
        M: Module<T> + ?Sized,
        O: Optimizer<T> + ?Sized,
    {
        Checkpoint::new(model.state_dict(), optimizer.state_dict())
    }

    /// Puts the saved parameters into `model` and the saved state into `optimizer`.
    ///
    /// Everything is checked before anything changes: every parameter of the model must be
    /// saved with its shape and the checkpoint must hold no other parameter, and the
    /// optimizer state must have been saved by the same kind of optimizer over parameters of
    /// the same shapes, in the same groups. On error, model and optimizer are unchanged.
    ///
    /// The scheduler, data loader and generators are restored by the caller
    /// ([`scheduler`](Checkpoint::scheduler), [`loader_state`](Checkpoint::loader_state),
    /// [`rng`](Checkpoint::rng)), since only the caller knows where they live.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::MissingParameter`], [`CheckpointError::UnexpectedParameter`] or
    /// [`CheckpointError::ParameterShape`] (`fc2.weight: expected [9, 8], found [8, 9]`) for
    /// the model, [`CheckpointError::Optimizer`] for the optimizer; each names the file the
    /// checkpoint was loaded from.
    pub fn restore<M, O>(&self, model: &M, optimizer: &mut O) -> Result<(), CheckpointError>
    where
        M: Module<T> + ?Sized,
        O: Optimizer<T> + ?Sized,
    {
        self.check_model(model)?;
        let path = || self.path().to_path_buf();
        let before = optimizer.state_dict();
        // The optimizer checks the whole state before changing anything (its documented
        // contract), so an error here leaves it as it was.
        optimizer
            .load_state_dict(self.optimizer.clone())
            .map_err(|source| CheckpointError::Optimizer {
                path: path(),
                source,
            })?;
        if let Err(source) = model.load_state_dict(&self.model, true) {
            // Unreachable for the modules of backprop-nn, whose checks `check_model` repeats;
            // a custom module may check more. Undo the optimizer so nothing has changed.
            // `before` was taken from this very optimizer, so it loads.
            let _ = optimizer.load_state_dict(before);
            return Err(CheckpointError::Model {
                path: path(),
                source,
            });
        }
        Ok(())
    }

    /// Checks that the saved parameters are exactly the model's, with the model's shapes.
    fn check_model<M: Module<T> + ?Sized>(&self, model: &M) -> Result<(), CheckpointError> {
        let params = model.named_parameters();
        for (name, p) in &params {
            let saved = self
                .model
                .get(name)
                .ok_or_else(|| CheckpointError::MissingParameter {
                    path: self.path().to_path_buf(),
                    name: name.clone(),
                })?;
            let expected = p.shape();
            if saved.shape() != expected.as_slice() {
                return Err(CheckpointError::ParameterShape {
                    path: self.path().to_path_buf(),
                    name: name.clone(),
                    expected,
                    found: saved.shape().to_vec(),
                });
            }
        }
        if let Some(name) = self
            .model
            .keys()
            .find(|k| !params.iter().any(|(n, _)| n == *k))
        {
            return Err(CheckpointError::UnexpectedParameter {
                path: self.path().to_path_buf(),
                name: name.clone(),
            });
        }
        Ok(())
    }
}
