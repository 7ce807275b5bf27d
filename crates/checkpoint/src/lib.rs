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
//! Save a run, then resume it into a freshly built model and optimizer:
//!
//! ```
//! use backprop_autograd::Var;
//! use backprop_checkpoint::Checkpoint;
//! use backprop_nn::{Linear, Module};
//! use backprop_optim::{Adam, AdamConfig, LrScheduler, Optimizer, StepLr};
//! use backprop_tensor::{Rng, Tensor};
//!
//! let mut rng = Rng::seed_from_u64(0);
//! let x = Var::new(Tensor::<f32>::randn(&[8, 3], &mut rng));
//! let model = Linear::new(3, 1, &mut rng);
//! let mut opt = Adam::new(model.parameters(), AdamConfig { lr: 0.1, ..Default::default() }).unwrap();
//! let mut sched = StepLr::new(&mut opt, 5, 0.5).unwrap();
//! for _ in 0..3 {
//!     opt.zero_grad();
//!     model.forward(&x).square().mean().backward();
//!     opt.step();
//!     sched.step(&mut opt);
//! }
//!
//! let dir = std::env::temp_dir().join(format!("bp-ckpt-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("last.ckpt");
//! Checkpoint::capture(&model, &opt)
//!     .with_epoch(3)
//!     .with_scheduler(&sched)?
//!     .save(&path)?;
//!
//! // Later, maybe in another process: build the same architecture, then restore.
//! let fresh = Linear::new(3, 1, &mut Rng::seed_from_u64(99));
//! let mut fresh_opt = Adam::new(fresh.parameters(), AdamConfig::default()).unwrap();
//! let ckpt = Checkpoint::load(&path)?;
//! ckpt.restore(&fresh, &mut fresh_opt)?;
//! let fresh_sched: StepLr = ckpt.scheduler()?;
//! assert_eq!(fresh.state_dict(), model.state_dict());
//! assert_eq!(fresh_opt.state_dict(), opt.state_dict());
//! assert_eq!(fresh_sched, sched);
//! assert_eq!(ckpt.epoch, 3);
//! std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), backprop_checkpoint::CheckpointError>(())
//! ```

mod atomic;
mod checkpoint;
mod error;
mod format;
mod resume;

pub use checkpoint::Checkpoint;
pub use error::CheckpointError;
pub use format::{FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_PAYLOAD_LEN};
