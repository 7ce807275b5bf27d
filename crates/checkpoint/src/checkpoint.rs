//! [`Checkpoint`]: everything needed to resume training, and its file I/O.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use backprop_data::DataLoaderState;
use backprop_optim::OptimizerState;
use backprop_tensor::{DType, Float, Rng, Tensor};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{CheckpointError, atomic, format};

/// The name used in errors for a checkpoint that did not come from a file.
const MEMORY: &str = "<memory>";

/// A snapshot of a training run: model parameters, optimizer state, scheduler state,
/// counters, random generators and any extra values, saved to and loaded from one file.
///
/// Take one with [`capture`](Checkpoint::capture) (or [`new`](Checkpoint::new)), add the
/// rest with the `with_*` methods, [`save`](Checkpoint::save) it; later
/// [`load`](Checkpoint::load) it and [`restore`](Checkpoint::restore) the model and
/// optimizer, then read back the scheduler, loader and generators.
///
/// The file format (header, checksum, version) is described in the crate documentation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Checkpoint<T: Float = f32> {
    /// Every parameter of the model by dotted name (`"fc1.weight"`), as
    /// `Module::state_dict` gives them.
    pub model: BTreeMap<String, Tensor<T>>,
    /// The optimizer's state: per-group options and per-parameter step counts and buffers.
    pub optimizer: OptimizerState<T>,
    /// The learning-rate scheduler's state, bincode-encoded (see
    /// [`with_scheduler`](Checkpoint::with_scheduler) and [`scheduler`](Checkpoint::scheduler)).
    pub scheduler: Option<Vec<u8>>,
    /// Epochs completed.
    pub epoch: u64,
    /// Optimizer steps taken.
    pub step: u64,
    /// The data loader's generator and epoch counter.
    pub loader: Option<DataLoaderState>,
    /// Other random generators by name (`"dropout"`, one per dropout layer, ...).
    pub rngs: BTreeMap<String, Rng>,
    /// Any other values by name, bincode-encoded (see [`with_extra`](Checkpoint::with_extra)).
    pub extra: BTreeMap<String, Vec<u8>>,
    /// The file this checkpoint was loaded from, for error messages.
    #[serde(skip)]
    origin: Option<PathBuf>,
}

/// Two checkpoints are equal when they hold the same state, wherever they were loaded from.
impl<T: Float> PartialEq for Checkpoint<T> {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model
            && self.optimizer == other.optimizer
            && self.scheduler == other.scheduler
            && self.epoch == other.epoch
            && self.step == other.step
            && self.loader == other.loader
            && self.rngs == other.rngs
            && self.extra == other.extra
    }
}

impl<T: Float> Checkpoint<T> {
    /// A checkpoint of a model's parameters (`model.state_dict()`) and an optimizer's state
    /// (`optimizer.state_dict()`), at epoch 0, step 0, with nothing else.
    pub fn new(model: BTreeMap<String, Tensor<T>>, optimizer: OptimizerState<T>) -> Self {
        Checkpoint {
            model,
            optimizer,
            scheduler: None,
            epoch: 0,
            step: 0,
            loader: None,
            rngs: BTreeMap::new(),
            extra: BTreeMap::new(),
            origin: None,
        }
    }

    /// Sets the number of epochs completed.
    pub fn with_epoch(mut self, epoch: u64) -> Self {
        self.epoch = epoch;
        self
    }

    /// Sets the number of optimizer steps taken.
    pub fn with_step(mut self, step: u64) -> Self {
        self.step = step;
        self
    }

    /// Saves the data loader's state (`loader.state()`).
    pub fn with_loader(mut self, state: DataLoaderState) -> Self {
        self.loader = Some(state);
        self
    }

    /// Saves a random generator under `name` (e.g. `dropout.rng_state()`).
    pub fn with_rng(mut self, name: impl Into<String>, rng: Rng) -> Self {
        self.rngs.insert(name.into(), rng);
        self
    }

    /// Saves a learning-rate scheduler (any serde type, such as `StepLr`).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Encode`] if bincode cannot encode the value (serde types that need
    /// a self-describing format).
    pub fn with_scheduler<S: Serialize>(mut self, scheduler: &S) -> Result<Self, CheckpointError> {
        self.scheduler = Some(format::encode(scheduler, self.path(), "scheduler state")?);
        Ok(self)
    }

    /// Saves any serde value under `name` (best validation loss, a config, loss history...).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Encode`] if bincode cannot encode the value.
    pub fn with_extra<V: Serialize>(
        mut self,
        name: impl Into<String>,
        value: &V,
    ) -> Result<Self, CheckpointError> {
        let name = name.into();
        let bytes = format::encode(value, self.path(), &format!("extra {name:?}"))?;
        self.extra.insert(name, bytes);
        Ok(self)
    }

    /// The saved scheduler, decoded as `S` (the type that was saved: the payload is not
    /// self-describing, so another type may fail to decode or decode as garbage).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Missing`] when no scheduler was saved, [`CheckpointError::Decode`]
    /// when the bytes are not an `S`.
    pub fn scheduler<S: DeserializeOwned>(&self) -> Result<S, CheckpointError> {
        let bytes = self
            .scheduler
            .as_ref()
            .ok_or_else(|| self.missing("scheduler state"))?;
        format::decode(bytes, self.path(), "scheduler state")
    }

    /// The extra value saved under `name`, decoded as `V` (the type that was saved).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Missing`] when there is no such value, [`CheckpointError::Decode`]
    /// when the bytes are not a `V`.
    pub fn extra<V: DeserializeOwned>(&self, name: &str) -> Result<V, CheckpointError> {
        let what = format!("extra {name:?}");
        let bytes = self.extra.get(name).ok_or_else(|| self.missing(&what))?;
        format::decode(bytes, self.path(), &what)
    }

    /// The random generator saved under `name`.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Missing`] when there is none.
    pub fn rng(&self, name: &str) -> Result<Rng, CheckpointError> {
        self.rngs
            .get(name)
            .cloned()
            .ok_or_else(|| self.missing(&format!("RNG {name:?}")))
    }

    /// The saved data loader state.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Missing`] when none was saved.
    pub fn loader_state(&self) -> Result<DataLoaderState, CheckpointError> {
        self.loader
            .clone()
            .ok_or_else(|| self.missing("data loader state"))
    }

    /// Writes the checkpoint to `path` atomically: to a temporary file in the same
    /// directory, flushed and synced to disk, then renamed over `path` (and the directory
    /// synced on Unix). If the process dies or the disk fills up half-way, the file at
    /// `path` keeps its previous content.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Io`] naming `path` when writing, syncing or renaming fails;
    /// [`CheckpointError::Encode`] if a value cannot be encoded.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = self.to_bytes_named(path)?;
        atomic::write_atomic(path, &bytes).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a checkpoint written by [`save`](Checkpoint::save).
    ///
    /// # Errors
    ///
    /// A [`CheckpointError`] naming `path` when the file is missing or unreadable, is not a
    /// checkpoint, has a newer format version, is truncated or has trailing bytes, fails its
    /// checksum, or holds a payload that does not decode as a checkpoint of `T`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref();
        let payload = format::read_payload(path)?;
        let mut checkpoint = Self::decode_payload(&payload, path)?;
        checkpoint.origin = Some(path.to_path_buf());
        Ok(checkpoint)
    }

    /// The bytes [`save`](Checkpoint::save) writes: header and payload.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Encode`] if a value cannot be encoded.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        self.to_bytes_named(Path::new(MEMORY))
    }

    /// Decodes the bytes of a checkpoint file held in memory; errors name `<memory>`.
    ///
    /// # Errors
    ///
    /// As [`load`](Checkpoint::load), except for I/O.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let path = Path::new(MEMORY);
        Self::decode_payload(format::unframe(bytes, path)?, path)
    }

    /// The file this checkpoint was loaded from (`<memory>` for one captured or decoded
    /// from bytes), as errors name it.
    pub fn path(&self) -> &Path {
        self.origin.as_deref().unwrap_or(Path::new(MEMORY))
    }

    /// The payload is the element type's tag followed by the checkpoint, so that loading an
    /// `f64` checkpoint as `f32` is reported as such rather than as a garbled payload.
    fn to_bytes_named(&self, path: &Path) -> Result<Vec<u8>, CheckpointError> {
        let payload = format::encode(&(T::DTYPE, self), path, "payload")?;
        Ok(format::frame(&payload))
    }

    fn decode_payload(payload: &[u8], path: &Path) -> Result<Self, CheckpointError> {
        // bincode writes a tuple as its fields one after the other, so the tag is a prefix.
        let dtype = format::decode_prefix::<DType>(payload, path, "payload")?;
        if dtype != T::DTYPE {
            return Err(CheckpointError::DType {
                path: path.to_path_buf(),
                found: dtype,
                expected: T::DTYPE,
            });
        }
        let (_, checkpoint): (DType, Self) = format::decode(payload, path, "payload")?;
        Ok(checkpoint)
    }

    fn missing(&self, what: &str) -> CheckpointError {
        CheckpointError::Missing {
            path: self.path().to_path_buf(),
            what: what.to_string(),
        }
    }
}
