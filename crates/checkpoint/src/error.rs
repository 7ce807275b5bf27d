//! [`CheckpointError`]: everything that can go wrong saving, loading or restoring a checkpoint.

use std::path::PathBuf;

use backprop_nn::StateDictError;
use backprop_optim::OptimError;
use backprop_tensor::DType;

/// An error from [`Checkpoint`](crate::Checkpoint): every variant names the file (or
/// `<memory>` for [`from_bytes`](crate::Checkpoint::from_bytes)) and says what was wrong.
///
/// Loading never panics on a damaged file: each way a file can be damaged or foreign maps to
/// one of these variants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file does not exist.
    #[error("{path}: no such checkpoint file")]
    NotFound {
        /// The file asked for.
        path: PathBuf,
    },
    /// Reading, writing, syncing or renaming failed.
    #[error("{path}: {source}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file does not start with the checkpoint magic bytes.
    #[error(
        "{path}: not a backprop checkpoint (the file does not start with the magic bytes \"BPCKPT\\r\\n\")"
    )]
    NotACheckpoint {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer version of this library, in a format it cannot read.
    #[error(
        "{path}: checkpoint format version {found} is newer than the version {supported} this library reads; upgrade backprop"
    )]
    NewerVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this library writes and reads.
        supported: u32,
    },
    /// The format version is older than any this library reads (version 0 never existed).
    #[error(
        "{path}: checkpoint format version {found} is not supported (this library reads version {supported})"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this library writes and reads.
        supported: u32,
    },
    /// The file ends before the header or the payload the header announces.
    #[error("{path}: truncated: expected {expected} bytes, the file has {found}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The file length the header announces (or the header's length, when even the
        /// header is cut short).
        expected: u64,
        /// The actual length.
        found: u64,
    },
    /// The file is longer than the header announces.
    #[error("{path}: {extra} unexpected bytes after the {expected}-byte checkpoint")]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// The file length the header announces.
        expected: u64,
        /// How many bytes follow it.
        extra: u64,
    },
    /// The header announces a payload larger than [`MAX_PAYLOAD_LEN`](crate::MAX_PAYLOAD_LEN).
    #[error("{path}: the header announces a payload of {len} bytes, above the limit of {limit}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The announced payload length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The payload's CRC-32 differs from the one in the header: the file is corrupted.
    #[error(
        "{path}: checksum mismatch (header {expected:#010x}, payload {found:#010x}): the file is corrupted"
    )]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// The checksum stored in the header.
        expected: u32,
        /// The checksum of the payload as read.
        found: u32,
    },
    /// The payload passed the checksum but is not a valid checkpoint of this element type
    /// (e.g. an `f64` checkpoint loaded as `f32`).
    #[error("{path}: cannot decode the {what}: {source}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What was being decoded (`"payload"`, `"scheduler state"`, `"extra \"name\""`).
        what: String,
        /// bincode's description.
        source: bincode::error::DecodeError,
    },
    /// The checkpoint holds tensors of another element type than the one asked for.
    #[error(
        "{path}: the checkpoint holds {found} tensors, it was loaded as Checkpoint<{expected}>"
    )]
    DType {
        /// The file.
        path: PathBuf,
        /// The element type of the saved tensors.
        found: DType,
        /// The element type asked for.
        expected: DType,
    },
    /// A value could not be encoded (a serde type that bincode does not support).
    #[error("{path}: cannot encode the {what}: {source}")]
    Encode {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What was being encoded.
        what: String,
        /// bincode's description.
        source: bincode::error::EncodeError,
    },
    /// A part the caller asked for was not saved in the checkpoint.
    #[error("{path}: the checkpoint holds no {what}")]
    Missing {
        /// The file.
        path: PathBuf,
        /// The part (`"scheduler state"`, `"RNG \"dropout\""`, ...).
        what: String,
    },
    /// A parameter of the model has no saved value.
    #[error("{path}: parameter `{name}` of the model is missing from the checkpoint")]
    MissingParameter {
        /// The file.
        path: PathBuf,
        /// The parameter's dotted name.
        name: String,
    },
    /// The checkpoint holds a parameter the model does not have.
    #[error("{path}: the checkpoint holds parameter `{name}`, which the model does not have")]
    UnexpectedParameter {
        /// The file.
        path: PathBuf,
        /// The parameter's dotted name.
        name: String,
    },
    /// A saved parameter's shape differs from the model's.
    #[error("{path}: {name}: expected {expected:?}, found {found:?}")]
    ParameterShape {
        /// The file.
        path: PathBuf,
        /// The parameter's dotted name.
        name: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The saved shape.
        found: Vec<usize>,
    },
    /// The saved optimizer state does not fit the optimizer (another kind of optimizer, other
    /// groups, other parameters).
    #[error("{path}: the saved optimizer state does not fit the optimizer: {source}")]
    Optimizer {
        /// The file.
        path: PathBuf,
        /// The optimizer's description of the mismatch.
        source: OptimError,
    },
    /// The model refused the saved parameters after they were checked (a module whose
    /// `load_state_dict` adds its own checks); the optimizer was put back as it was.
    #[error("{path}: the model refused the saved parameters: {source}")]
    Model {
        /// The file.
        path: PathBuf,
        /// The model's error.
        source: StateDictError,
    },
}
