//! The container: a 24-byte header in front of a bincode payload.
//!
//! ```text
//! offset  size  field
//!      0     8  magic          "BPCKPT\r\n" (42 50 43 4B 50 54 0D 0A)
//!      8     4  version        u32, little-endian (FORMAT_VERSION)
//!     12     8  payload_len    u64, little-endian
//!     20     4  crc32          u32, little-endian: CRC-32 (IEEE) of the payload
//!     24     …  payload        payload_len bytes: bincode 2, standard config
//! ```
//!
//! The magic ends in `\r\n`, as PNG's does, so a file mangled by a text-mode line-ending
//! conversion is reported as "not a checkpoint" rather than as a bad checksum. Every header
//! field checks itself: a changed magic or version is refused by value, a changed length
//! disagrees with the file's size, a changed checksum disagrees with the payload. The
//! payload length is compared with the file's real size before the payload is allocated, so
//! a damaged length field cannot make the reader allocate more than the file holds.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use bincode::config::{Configuration, Limit, LittleEndian, Varint};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::CheckpointError;

/// The first eight bytes of every checkpoint file.
pub const MAGIC: [u8; 8] = *b"BPCKPT\r\n";

/// The format version this library writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// The length of the header in bytes: magic, version, payload length, checksum.
pub const HEADER_LEN: usize = 24;

/// The largest payload the reader accepts (16 GiB), whatever a header claims.
pub const MAX_PAYLOAD_LEN: u64 = 1 << 34;

/// bincode's own limit on the bytes one decode may claim, [`MAX_PAYLOAD_LEN`] where `usize`
/// can hold it.
const DECODE_LIMIT: usize = if MAX_PAYLOAD_LEN > usize::MAX as u64 {
    usize::MAX
} else {
    MAX_PAYLOAD_LEN as usize
};

type Config = Configuration<LittleEndian, Varint, Limit<DECODE_LIMIT>>;

/// The bincode configuration of the payload: bincode's standard (little-endian, variable-
/// length integers) with a size limit.
fn config() -> Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// Encodes a serde value with the payload's configuration.
pub(crate) fn encode<V: Serialize>(
    value: &V,
    path: &Path,
    what: &str,
) -> Result<Vec<u8>, CheckpointError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|source| CheckpointError::Encode {
        path: path.to_path_buf(),
        what: what.to_string(),
        source,
    })
}

/// Decodes a serde value that must fill `bytes` exactly.
pub(crate) fn decode<V: DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
    what: &str,
) -> Result<V, CheckpointError> {
    let error = |source| CheckpointError::Decode {
        path: path.to_path_buf(),
        what: what.to_string(),
        source,
    };
    let (value, used) = bincode::serde::decode_from_slice(bytes, config()).map_err(error)?;
    if used != bytes.len() {
        // The checksum passed, so these bytes were written on purpose: a payload of another
        // type that happens to decode as a prefix.
        return Err(error(bincode::error::DecodeError::OtherString(format!(
            "{} bytes left over after decoding",
            bytes.len() - used
        ))));
    }
    Ok(value)
}

/// Decodes a serde value from the start of `bytes`, ignoring what follows.
pub(crate) fn decode_prefix<V: DeserializeOwned>(
    bytes: &[u8],
    path: &Path,
    what: &str,
) -> Result<V, CheckpointError> {
    bincode::serde::decode_from_slice(bytes, config())
        .map(|(value, _)| value)
        .map_err(|source| CheckpointError::Decode {
            path: path.to_path_buf(),
            what: what.to_string(),
            source,
        })
}

/// The header followed by the payload: the whole file.
pub(crate) fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// What the header says about the payload.
struct Header {
    payload_len: u64,
    crc32: u32,
}

/// Checks the header in `head` (the first up to [`HEADER_LEN`] bytes of a file of
/// `total_len` bytes) and returns the payload's length and checksum.
fn parse_header(head: &[u8], total_len: u64, path: &Path) -> Result<Header, CheckpointError> {
    let path_buf = || path.to_path_buf();
    if head.len() < MAGIC.len() {
        // A prefix of the magic is a checkpoint cut short; anything else is another file.
        return Err(if MAGIC.starts_with(head) {
            CheckpointError::Truncated {
                path: path_buf(),
                expected: HEADER_LEN as u64,
                found: total_len,
            }
        } else {
            CheckpointError::NotACheckpoint { path: path_buf() }
        });
    }
    if head[..MAGIC.len()] != MAGIC {
        return Err(CheckpointError::NotACheckpoint { path: path_buf() });
    }
    if head.len() < HEADER_LEN {
        return Err(CheckpointError::Truncated {
            path: path_buf(),
            expected: HEADER_LEN as u64,
            found: total_len,
        });
    }
    let version = u32::from_le_bytes(field(head, 8));
    let payload_len = u64::from_le_bytes(field(head, 12));
    let crc32 = u32::from_le_bytes(field(head, 20));
    if version > FORMAT_VERSION {
        return Err(CheckpointError::NewerVersion {
            path: path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version != FORMAT_VERSION {
        return Err(CheckpointError::UnsupportedVersion {
            path: path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if payload_len > MAX_PAYLOAD_LEN {
        return Err(CheckpointError::TooLarge {
            path: path_buf(),
            len: payload_len,
            limit: MAX_PAYLOAD_LEN,
        });
    }
    let expected = HEADER_LEN as u64 + payload_len;
    if total_len < expected {
        return Err(CheckpointError::Truncated {
            path: path_buf(),
            expected,
            found: total_len,
        });
    }
    if total_len > expected {
        return Err(CheckpointError::TrailingBytes {
            path: path_buf(),
            expected,
            extra: total_len - expected,
        });
    }
    Ok(Header { payload_len, crc32 })
}

/// The `N` bytes of the header at offset `at`; the caller has checked that the header is
/// complete.
fn field<const N: usize>(head: &[u8], at: usize) -> [u8; N] {
    let mut bytes = [0; N];
    bytes.copy_from_slice(&head[at..at + N]);
    bytes
}

/// Checks the payload against the checksum from the header.
fn check_crc(payload: &[u8], header: &Header, path: &Path) -> Result<(), CheckpointError> {
    let found = crc32fast::hash(payload);
    if found == header.crc32 {
        Ok(())
    } else {
        Err(CheckpointError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: header.crc32,
            found,
        })
    }
}

/// The payload of a whole checkpoint held in memory, after checking the header and checksum.
pub(crate) fn unframe<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a [u8], CheckpointError> {
    let head = &bytes[..bytes.len().min(HEADER_LEN)];
    let header = parse_header(head, bytes.len() as u64, path)?;
    let payload = &bytes[HEADER_LEN..];
    check_crc(payload, &header, path)?;
    Ok(payload)
}

/// Reads and checks the payload of the checkpoint file at `path`.
///
/// The header is read first and its length checked against the file's size, so the
/// payload buffer is never larger than the file.
pub(crate) fn read_payload(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    let io_error = |source: io::Error| {
        if source.kind() == io::ErrorKind::NotFound {
            CheckpointError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            CheckpointError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let mut file = File::open(path).map_err(io_error)?;
    let total_len = file.metadata().map_err(io_error)?.len();
    let mut head = Vec::with_capacity(HEADER_LEN);
    (&mut file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    let header = parse_header(&head, total_len, path)?;
    // `parse_header` checked the length against the file's size and against
    // MAX_PAYLOAD_LEN, so this allocation is bounded by what is really on disk.
    let len = usize::try_from(header.payload_len).map_err(|_| CheckpointError::TooLarge {
        path: path.to_path_buf(),
        len: header.payload_len,
        limit: usize::MAX as u64,
    })?;
    let mut payload = vec![0u8; len];
    file.read_exact(&mut payload).map_err(|source| {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            // The file shrank between `metadata` and the read.
            CheckpointError::Truncated {
                path: path.to_path_buf(),
                expected: HEADER_LEN as u64 + header.payload_len,
                found: total_len,
            }
        } else {
            io_error(source)
        }
    })?;
    check_crc(&payload, &header, path)?;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> &'static Path {
        Path::new("<memory>")
    }

    #[test]
    fn header_layout_is_as_documented() {
        let framed = frame(b"abc");
        assert_eq!(&framed[..8], b"BPCKPT\r\n");
        assert_eq!(&framed[8..12], &[1, 0, 0, 0]);
        assert_eq!(&framed[12..20], &[3, 0, 0, 0, 0, 0, 0, 0]);
        // CRC-32/ISO-HDLC check value of "abc", from the CRC catalogue.
        assert_eq!(&framed[20..24], &0x352441c2u32.to_le_bytes());
        assert_eq!(&framed[24..], b"abc");
        assert_eq!(unframe(&framed, memory()).unwrap(), b"abc");
    }

    #[test]
    fn each_header_field_is_checked() {
        let good = frame(b"payload");
        let with = |at: usize, byte: u8| {
            let mut b = good.clone();
            b[at] = byte;
            unframe(&b, memory()).unwrap_err()
        };
        assert!(matches!(
            with(0, b'X'),
            CheckpointError::NotACheckpoint { .. }
        ));
        assert!(matches!(
            with(8, 2),
            CheckpointError::NewerVersion {
                found: 2,
                supported: 1,
                ..
            }
        ));
        assert!(matches!(
            with(8, 0),
            CheckpointError::UnsupportedVersion { found: 0, .. }
        ));
        assert!(matches!(with(12, 8), CheckpointError::Truncated { .. }));
        assert!(matches!(
            with(12, 6),
            CheckpointError::TrailingBytes { extra: 1, .. }
        ));
        assert!(matches!(with(19, 0x80), CheckpointError::TooLarge { .. }));
        assert!(matches!(
            with(20, 0),
            CheckpointError::ChecksumMismatch { .. }
        ));
        assert!(matches!(
            with(24, b'P'),
            CheckpointError::ChecksumMismatch { .. }
        ));
    }

    #[test]
    fn short_files_are_truncated_or_foreign() {
        let good = frame(b"payload");
        for n in 0..HEADER_LEN {
            let e = unframe(&good[..n], memory()).unwrap_err();
            assert!(matches!(e, CheckpointError::Truncated { .. }), "{n}: {e}");
        }
        let e = unframe(b"PK\x03", memory()).unwrap_err();
        assert!(matches!(e, CheckpointError::NotACheckpoint { .. }), "{e}");
    }

    #[test]
    fn decode_rejects_leftover_bytes() {
        let bytes = encode(&(1u8, 2u8), memory(), "pair").unwrap();
        let e = decode::<u8>(&bytes, memory(), "payload").unwrap_err();
        assert!(e.to_string().contains("1 bytes left over"), "{e}");
        assert_eq!(
            decode::<(u8, u8)>(&bytes, memory(), "pair").unwrap(),
            (1, 2)
        );
    }
}
