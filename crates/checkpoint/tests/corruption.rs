//! Damaged checkpoints: every changed byte is reported as an error, never a panic and never a
//! silently different checkpoint.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use std::collections::BTreeMap;

use backprop_autograd::Var;
use backprop_checkpoint::{Checkpoint, CheckpointError, HEADER_LEN};
use backprop_data::DataLoaderState;
use backprop_optim::{Adam, AdamConfig, Optimizer};
use backprop_tensor::{Rng, Tensor};
use common::{crc32, framed};

/// A small but complete checkpoint: two parameters with Adam moments, a scheduler, a loader
/// generator, a dropout generator and an extra value.
fn small_checkpoint() -> Checkpoint {
    let mut rng = Rng::seed_from_u64(3);
    let w = Var::parameter(Tensor::<f32>::randn(&[3, 2], &mut rng));
    let b = Var::parameter(Tensor::<f32>::randn(&[3], &mut rng));
    let mut opt = Adam::new(vec![w.clone(), b.clone()], AdamConfig::default()).unwrap();
    w.mul(&w).sum().add(&b.sum()).backward();
    opt.step();
    let model = BTreeMap::from([
        ("fc.weight".into(), w.value()),
        ("fc.bias".into(), b.value()),
    ]);
    Checkpoint::new(model, opt.state_dict())
        .with_epoch(4)
        .with_step(17)
        .with_loader(DataLoaderState {
            rng: rng.fork(),
            epoch: 4,
        })
        .with_rng("dropout", rng.fork())
        .with_extra("best_loss", &0.25f64)
        .unwrap()
}

/// One random damage to a copy of `good`.
fn corrupt(good: &[u8], rng: &mut Rng) -> (String, Vec<u8>) {
    let mut bytes = good.to_vec();
    let kind = rng.below(5);
    let what = match kind {
        0 => {
            let bit = rng.below(bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            format!("flip bit {bit}")
        }
        1 => {
            let len = rng.below(bytes.len());
            bytes.truncate(len);
            format!("truncate to {len}")
        }
        2 => {
            let n = 1 + rng.below(64);
            bytes.extend((0..n).map(|_| rng.below(256) as u8));
            format!("append {n} bytes")
        }
        3 => {
            let at = rng.below(bytes.len());
            bytes[at] = rng.below(256) as u8;
            format!("overwrite byte {at}")
        }
        _ => {
            let n = 2 + rng.below(7);
            for _ in 0..n {
                let at = rng.below(bytes.len());
                bytes[at] = rng.below(256) as u8;
            }
            format!("overwrite {n} bytes")
        }
    };
    (what, bytes)
}

#[test]
fn ten_thousand_random_corruptions_are_all_errors() {
    let original = small_checkpoint();
    let good = original.to_bytes().unwrap();
    assert!(
        good.len() < 1024,
        "keep the checkpoint small: {} bytes",
        good.len()
    );
    assert_eq!(Checkpoint::<f32>::from_bytes(&good).unwrap(), original);

    let mut rng = Rng::seed_from_u64(2024);
    let mut unchanged = 0;
    for trial in 0..10_000 {
        let (what, bytes) = corrupt(&good, &mut rng);
        let result = Checkpoint::<f32>::from_bytes(&bytes);
        if bytes == good {
            // An overwrite that wrote the same byte back: the checkpoint must still load.
            unchanged += 1;
            assert_eq!(result.unwrap(), original, "trial {trial}: {what}");
        } else {
            let e = result
                .err()
                .unwrap_or_else(|| panic!("trial {trial}: {what} loaded"));
            assert!(e.to_string().starts_with("<memory>: "), "{e}");
        }
    }
    assert!(
        unchanged < 100,
        "{unchanged} trials left the bytes unchanged"
    );
}

#[test]
fn every_single_bit_flip_and_every_truncation_is_an_error() {
    let good = small_checkpoint().to_bytes().unwrap();
    for bit in 0..good.len() * 8 {
        let mut bytes = good.clone();
        bytes[bit / 8] ^= 1 << (bit % 8);
        let e = Checkpoint::<f32>::from_bytes(&bytes).expect_err(&format!("bit {bit}"));
        // Header damage is named by field; payload damage is caught by the checksum.
        if bit / 8 >= HEADER_LEN {
            assert!(
                matches!(e, CheckpointError::ChecksumMismatch { .. }),
                "bit {bit}: {e}"
            );
        }
    }
    for len in 0..good.len() {
        let e = Checkpoint::<f32>::from_bytes(&good[..len]).expect_err(&format!("len {len}"));
        assert!(
            matches!(e, CheckpointError::Truncated { .. }),
            "len {len}: {e}"
        );
    }
}

#[test]
fn damaged_files_on_disk_are_errors_naming_the_file() {
    let dir = common::scratch("corrupt");
    let path = dir.join("damaged.ckpt");
    let good = small_checkpoint().to_bytes().unwrap();
    let mut rng = Rng::seed_from_u64(5);
    for trial in 0..300 {
        let (what, bytes) = corrupt(&good, &mut rng);
        std::fs::write(&path, &bytes).unwrap();
        let result = Checkpoint::<f32>::load(&path);
        if bytes != good {
            let e = result
                .err()
                .unwrap_or_else(|| panic!("trial {trial}: {what} loaded"));
            assert!(
                e.to_string().starts_with(&path.display().to_string()),
                "{e}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Damage behind a recomputed checksum (a forged or buggy writer) reaches the decoder; it
/// must fail cleanly too, whatever lengths and shapes the damaged payload claims.
#[test]
fn damaged_payloads_with_valid_checksums_never_panic() {
    let good = small_checkpoint().to_bytes().unwrap();
    let payload = &good[HEADER_LEN..];
    let mut rng = Rng::seed_from_u64(11);
    let mut errors = 0;
    for _ in 0..5_000 {
        let (_, damaged) = corrupt(payload, &mut rng);
        if Checkpoint::<f32>::from_bytes(&framed(&damaged)).is_err() {
            errors += 1;
        }
    }
    // Most damage breaks the structure; some only changes a number, which decodes.
    assert!(errors > 2_500, "{errors}");
}

#[test]
fn the_header_checksum_is_crc32_of_the_payload() {
    let good = small_checkpoint().to_bytes().unwrap();
    let stored = u32::from_le_bytes(good[20..24].try_into().unwrap());
    assert_eq!(stored, crc32(&good[HEADER_LEN..]));
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926); // the catalogue's check value
    assert_eq!(framed(&good[HEADER_LEN..]), good);
}
