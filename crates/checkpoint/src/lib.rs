//! # backprop-checkpoint
//!
//! Training checkpoints for `backprop`: one file holding everything needed to stop a run and
//! resume it with bit-identical results — the model's parameters, the optimizer's full state
//! (step counts, moment buffers, per-group options), the learning-rate scheduler, epoch and
//! step counters, the random generators of the data loader and of dropout, and any extra
//! serde values.
//!
//! Files are written atomically (temporary file, fsync, rename), carry a magic number, a
//! format version and a CRC-32 of the payload, and loading reports every kind of damage as a
//! [`CheckpointError`] naming the file, never a panic. See `docs/checkpoints.md` for the
//! byte layout, and safetensors (`backprop_nn::save_safetensors`) for weights-only files that
//! PyTorch reads.
//!
//! ```
//! use std::collections::BTreeMap;
//! use backprop_autograd::Var;
//! use backprop_checkpoint::Checkpoint;
//! use backprop_optim::{Optimizer, Sgd, SgdConfig, StepLr};
//! use backprop_tensor::{Rng, Tensor};
//!
//! let w = Var::parameter(Tensor::from_vec(vec![1.0f32, -2.0], &[2]).unwrap());
//! let config = SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() };
//! let mut opt = Sgd::new(vec![w.clone()], config).unwrap();
//! let mut sched = StepLr::new(&mut opt, 10, 0.5).unwrap();
//! w.mul(&w).sum().backward();
//! opt.step();
//!
//! let dir = std::env::temp_dir().join(format!("bp-ckpt-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("run.ckpt");
//! let model = BTreeMap::from([("w".to_string(), w.value())]);
//! Checkpoint::new(model, opt.state_dict())
//!     .with_epoch(1)
//!     .with_step(1)
//!     .with_rng("dropout", Rng::seed_from_u64(7))
//!     .with_scheduler(&sched)
//!     .unwrap()
//!     .save(&path)
//!     .unwrap();
//!
//! let back = Checkpoint::<f32>::load(&path).unwrap();
//! assert_eq!(back.epoch, 1);
//! assert_eq!(back.model["w"], w.value());
//! opt.load_state_dict(back.optimizer.clone()).unwrap();
//! sched = back.scheduler().unwrap();
//! # let _ = sched;
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod atomic;
mod checkpoint;
mod error;
mod format;

pub use checkpoint::Checkpoint;
pub use error::CheckpointError;
pub use format::{FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_PAYLOAD_LEN};
