//! Atomic file replacement: write a temporary file beside the target, flush and fsync it,
//! rename it over the target, then fsync the directory.
//!
//! `rename` within one directory is atomic on POSIX file systems and on NTFS: a reader (or a
//! machine restarting after a crash) sees either the old file or the new one, never a mix.
//! Syncing the data before the rename makes sure the new name never points at blocks that
//! were not written yet; syncing the directory afterwards makes the rename itself durable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent saves within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary path in the directory of `path`: `.<name>.<pid>.<n>.tmp`.
///
/// A process killed mid-write leaves this file behind (it is never mistaken for the
/// checkpoint, which keeps its old content); it is safe to delete.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Replaces the file at `path` by `bytes`, atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_through(path, bytes, |file| Box::new(file))
}

/// [`write_atomic`], with the bytes written through `wrap(file)`: tests pass a writer that
/// fails half-way to simulate a crash.
pub(crate) fn write_atomic_through(
    path: &Path,
    bytes: &[u8],
    wrap: impl for<'f> FnOnce(&'f mut File) -> Box<dyn Write + 'f>,
) -> io::Result<()> {
    let temp = temp_path(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)?;
    let result = write_and_sync(&mut file, bytes, wrap).and_then(|()| {
        drop(file);
        fs::rename(&temp, path)
    });
    if let Err(e) = result {
        // Best effort: the save already failed, and a leftover temporary file is harmless.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(path)
}

/// Writes everything through the wrapper, then flushes it and forces the data to disk.
fn write_and_sync(
    file: &mut File,
    bytes: &[u8],
    wrap: impl for<'f> FnOnce(&'f mut File) -> Box<dyn Write + 'f>,
) -> io::Result<()> {
    let mut writer = wrap(file);
    writer.write_all(bytes)?;
    writer.flush()?;
    drop(writer);
    file.sync_all()
}

/// Makes a completed rename durable by syncing the directory that holds `path` (Unix only:
/// other systems cannot open a directory as a file, and NTFS journals the rename).
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use backprop_autograd::Var;
    use backprop_optim::{Adam, AdamConfig, Optimizer};
    use backprop_tensor::{Rng, Tensor};

    use super::*;
    use crate::Checkpoint;

    /// A writer that accepts `left` bytes, then fails as a full disk or a dying process would.
    struct FailAfter<W> {
        inner: W,
        left: usize,
    }

    impl<W: Write> Write for FailAfter<W> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("injected failure"));
            }
            let n = buf.len().min(self.left);
            let n = self.inner.write(&buf[..n])?;
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            self.inner.flush()
        }
    }

    /// A fresh, empty directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bpckpt-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A checkpoint with Adam state after one step, different for each seed.
    fn sample(seed: u64) -> Checkpoint {
        let mut rng = Rng::seed_from_u64(seed);
        let w = Var::parameter(Tensor::<f32>::randn(&[3, 2], &mut rng));
        let mut opt = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
        w.mul(&w).sum().backward();
        opt.step();
        Checkpoint::new(BTreeMap::from([("w".into(), w.value())]), opt.state_dict())
            .with_epoch(seed)
            .with_rng("dropout", rng)
    }

    #[test]
    fn a_write_failing_half_way_leaves_the_old_checkpoint_and_no_temp_file() {
        let dir = scratch("crash");
        let path = dir.join("run.ckpt");
        let old = sample(1);
        old.save(&path).unwrap();
        let new_bytes = sample(2).to_bytes().unwrap();
        let len = new_bytes.len();
        for fail_at in [0, 1, 8, 23, 24, 25, len / 2, len - 1] {
            let e = write_atomic_through(&path, &new_bytes, |file| {
                Box::new(FailAfter {
                    inner: file,
                    left: fail_at,
                })
            })
            .unwrap_err();
            assert_eq!(e.to_string(), "injected failure");
            assert_eq!(
                Checkpoint::<f32>::load(&path).unwrap(),
                old,
                "fail at {fail_at}"
            );
            assert_eq!(listing(&dir), ["run.ckpt"], "fail at {fail_at}");
        }
        // The same writer with room for every byte succeeds: the failures above were the
        // injected ones, not something else about the wrapper.
        write_atomic_through(&path, &new_bytes, |file| {
            Box::new(FailAfter {
                inner: file,
                left: len,
            })
        })
        .unwrap();
        assert_eq!(Checkpoint::<f32>::load(&path).unwrap(), sample(2));
        assert_eq!(listing(&dir), ["run.ckpt"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_rename_removes_the_temp_file() {
        let dir = scratch("rename");
        // A non-empty directory cannot be replaced by a file.
        let path = dir.join("taken");
        fs::create_dir_all(path.join("inside")).unwrap();
        let e = sample(1).save(&path).unwrap_err();
        assert!(matches!(e, crate::CheckpointError::Io { .. }), "{e}");
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
        assert_eq!(listing(&dir), ["taken"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn saving_replaces_the_previous_checkpoint() {
        let dir = scratch("replace");
        let path = dir.join("run.ckpt");
        sample(1).save(&path).unwrap();
        sample(2).save(&path).unwrap();
        assert_eq!(Checkpoint::<f32>::load(&path).unwrap(), sample(2));
        assert_ne!(sample(1), sample(2));
        assert_eq!(listing(&dir), ["run.ckpt"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temp_files_are_hidden_siblings() {
        let t = temp_path(Path::new("runs/a/last.ckpt"));
        assert_eq!(t.parent(), Some(Path::new("runs/a")));
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".last.ckpt.") && name.ends_with(".tmp"),
            "{name}"
        );
        assert_ne!(t, temp_path(Path::new("runs/a/last.ckpt")));
    }
}
