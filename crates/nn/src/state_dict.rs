//! State dicts: parameter values by PyTorch's dotted names, in memory and as safetensors
//! files that PyTorch's `safetensors.torch.save_file` / `load_file` read and write.
//!
//! A file written here loads in PyTorch with `model.load_state_dict(load_file(path))`, and
//! `save_file(model.state_dict(), path)` from PyTorch loads here, as long as the module
//! trees have the same names (the layer field names and `Sequential` indices).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use backprop_autograd::Var;
use backprop_tensor::{DType, Float, Tensor};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::Module;

/// Why a state dict could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum StateDictError {
    /// A parameter or buffer of the module has no entry in the state dict.
    #[error("missing key `{0}` in the state dict")]
    MissingKey(String),
    /// The state dict has an entry that is neither a parameter nor a buffer of the module
    /// (strict loading).
    #[error("unexpected key `{0}` in the state dict")]
    UnexpectedKey(String),
    /// An entry's shape differs from the parameter's.
    #[error("{key}: expected shape {expected:?}, found {found:?}")]
    ShapeMismatch {
        /// The parameter's or buffer's name.
        key: String,
        /// The parameter's or buffer's shape.
        expected: Vec<usize>,
        /// The shape in the state dict.
        found: Vec<usize>,
    },
    /// A tensor in the file has an element type other than F32 or F64.
    #[error("{path}: tensor `{key}` has dtype {found}, expected F32 or F64")]
    DType {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        key: String,
        /// The dtype found in the file.
        found: String,
    },
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid safetensors (or could not be encoded as such).
    #[error("{path}: not a valid safetensors file: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: safetensors::SafeTensorError,
    },
}

/// Checks `state` against `params` and, only if everything matches, copies the values in.
pub(crate) fn load_into<T: Float>(
    params: &[(String, Var<T>)],
    state: &BTreeMap<String, Tensor<T>>,
    strict: bool,
) -> Result<(), StateDictError> {
    let mut updates = Vec::with_capacity(params.len());
    for (name, p) in params {
        match state.get(name) {
            None if strict => return Err(StateDictError::MissingKey(name.clone())),
            None => {}
            Some(t) => {
                let expected = p.shape();
                if t.shape() != expected.as_slice() {
                    return Err(StateDictError::ShapeMismatch {
                        key: name.clone(),
                        expected,
                        found: t.shape().to_vec(),
                    });
                }
                updates.push((p, t));
            }
        }
    }
    if strict {
        if let Some(key) = state.keys().find(|k| !params.iter().any(|(n, _)| n == *k)) {
            return Err(StateDictError::UnexpectedKey(key.clone()));
        }
    }
    for (p, t) in updates {
        p.set_data(t.clone());
    }
    Ok(())
}

/// Whether `key` names a batch counter (`num_batches_tracked`), the one integer buffer of
/// PyTorch's modules, which [`read_safetensors`] accepts as I64.
fn is_counter(key: &str) -> bool {
    key.rsplit('.').next() == Some("num_batches_tracked")
}

fn st_dtype(d: DType) -> Dtype {
    match d {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

/// Writes a state dict as a safetensors file, atomically: the bytes go to a temporary file
/// in the same directory, which is then renamed over `path`, so a crash never leaves a
/// half-written file under the final name.
///
/// # Errors
///
/// [`StateDictError::Io`] if the file cannot be written, [`StateDictError::Format`] if
/// encoding fails.
pub fn write_safetensors<T: Float>(
    state: &BTreeMap<String, Tensor<T>>,
    path: impl AsRef<Path>,
) -> Result<(), StateDictError> {
    let path = path.as_ref();
    let buffers: Vec<(&String, Vec<usize>, Vec<u8>)> = state
        .iter()
        .map(|(k, t)| {
            let data = t.to_contiguous().to_vec();
            (k, t.shape().to_vec(), T::to_le_bytes_vec(&data))
        })
        .collect();
    let format_err = |source| StateDictError::Format {
        path: path.to_path_buf(),
        source,
    };
    let views = buffers
        .iter()
        .map(|(k, shape, bytes)| {
            TensorView::new(st_dtype(T::DTYPE), shape.clone(), bytes).map(|v| (k.as_str(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(format_err)?;
    let bytes = safetensors::serialize(views, None).map_err(format_err)?;

    let io_err = |source| StateDictError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: do not leave the temporary file behind.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io_err)
}

/// Reads every tensor of a safetensors file, converting F32 and F64 to `T` (and the I64 batch
/// counters of PyTorch's BatchNorm layers).
///
/// # Errors
///
/// [`StateDictError::Io`] if the file cannot be read, [`StateDictError::Format`] if it is
/// not safetensors, [`StateDictError::DType`] for a tensor that is not F32 or F64 (except a
/// `num_batches_tracked` counter, which PyTorch writes as I64 and which is read as a float).
pub fn read_safetensors<T: Float>(
    path: impl AsRef<Path>,
) -> Result<BTreeMap<String, Tensor<T>>, StateDictError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| StateDictError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let st = SafeTensors::deserialize(&bytes).map_err(|source| StateDictError::Format {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        let values: Option<Vec<T>> = match view.dtype() {
            Dtype::F32 => f32::from_le_bytes_slice(view.data())
                .map(|v| v.into_iter().map(|x| T::from_f64(f64::from(x))).collect()),
            Dtype::F64 => f64::from_le_bytes_slice(view.data())
                .map(|v| v.into_iter().map(T::from_f64).collect()),
            // PyTorch stores BatchNorm's batch counter as int64; this crate keeps buffers in
            // the module's float type.
            Dtype::I64 if is_counter(&name) => Some(
                view.data()
                    .chunks_exact(8)
                    .map(|b| {
                        let mut le = [0u8; 8];
                        le.copy_from_slice(b);
                        T::from_f64(i64::from_le_bytes(le) as f64)
                    })
                    .collect(),
            ),
            other => {
                return Err(StateDictError::DType {
                    path: path.to_path_buf(),
                    key: name,
                    found: other.to_string(),
                });
            }
        };
        // The safetensors parser has already checked each tensor's byte length against
        // its shape and dtype, so these conversions cannot fail on a file it accepted.
        let tensor = values
            .and_then(|v| Tensor::from_vec(v, view.shape()).ok())
            .ok_or_else(|| StateDictError::Format {
                path: path.to_path_buf(),
                source: safetensors::SafeTensorError::TensorInvalidInfo,
            })?;
        out.insert(name, tensor);
    }
    Ok(out)
}

/// Saves a module's parameters to a safetensors file with PyTorch's key names and the
/// module's dtype (F32 or F64); see [`write_safetensors`].
///
/// # Errors
///
/// As [`write_safetensors`].
///
/// # Examples
///
/// ```
/// use backprop_nn::{load_safetensors, save_safetensors, Linear, Module};
/// use backprop_tensor::Rng;
/// let mut rng = Rng::seed_from_u64(0);
/// let a = Linear::<f32>::new(3, 2, &mut rng);
/// let b = Linear::<f32>::new(3, 2, &mut rng);
/// let path = std::env::temp_dir().join(format!("doc-linear-{}.safetensors", std::process::id()));
/// save_safetensors(&a, &path).unwrap();
/// load_safetensors(&b, &path).unwrap();
/// assert_eq!(a.weight.value(), b.weight.value());
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_safetensors<T: Float, M: Module<T> + ?Sized>(
    module: &M,
    path: impl AsRef<Path>,
) -> Result<(), StateDictError> {
    write_safetensors(&module.state_dict(), path)
}

/// Loads a safetensors file into a module's parameters, strictly: every parameter must be
/// present with its shape and no other key may be; nothing changes on error.
///
/// # Errors
///
/// As [`read_safetensors`], then the first [`StateDictError::MissingKey`],
/// [`StateDictError::ShapeMismatch`] or [`StateDictError::UnexpectedKey`] by name.
pub fn load_safetensors<T: Float, M: Module<T> + ?Sized>(
    module: &M,
    path: impl AsRef<Path>,
) -> Result<(), StateDictError> {
    let state = read_safetensors::<T>(path)?;
    module.load_state_dict(&state, true)
}
