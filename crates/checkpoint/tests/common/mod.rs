//! Shared by the behaviour tests: the Iris model with dropout, scratch directories, CRC-32.

#![allow(dead_code, clippy::unwrap_used)] // Not every test file uses every helper.

use std::path::PathBuf;

use backprop_autograd::Var;
use backprop_nn::{Dropout, Linear, Module};
use backprop_tensor::{Float, Rng};

/// The PyTorch tutorial's Iris MLP (4 → 8 → 9 → 3 by default), with dropout after the first
/// hidden layer: `out(relu(fc2(drop(relu(fc1(x))))))`.
pub struct Net<T: Float = f32> {
    pub fc1: Linear<T>,
    pub drop: Dropout<T>,
    pub fc2: Linear<T>,
    pub out: Linear<T>,
}

impl<T: Float> Net<T> {
    /// Layers of the given sizes, initialised from `seed`, dropout probability `p`.
    pub fn new(sizes: [usize; 4], p: f64, seed: u64) -> Self {
        let mut rng = Rng::seed_from_u64(seed);
        Net {
            fc1: Linear::new(sizes[0], sizes[1], &mut rng),
            drop: Dropout::new(p, &mut rng),
            fc2: Linear::new(sizes[1], sizes[2], &mut rng),
            out: Linear::new(sizes[2], sizes[3], &mut rng),
        }
    }

    /// The Iris model.
    pub fn iris(seed: u64) -> Self {
        Self::new([4, 8, 9, 3], 0.2, seed)
    }
}

impl<T: Float> Module<T> for Net<T> {
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let h = self.drop.forward(&self.fc1.forward(x).relu());
        self.out.forward(&self.fc2.forward(&h).relu())
    }

    fn children(&self) -> Vec<(&str, &dyn Module<T>)> {
        vec![
            ("fc1", &self.fc1),
            ("drop", &self.drop),
            ("fc2", &self.fc2),
            ("out", &self.out),
        ]
    }
}

/// A fresh, empty directory for one test (under the system's temp directory).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// CRC-32 (IEEE, reflected, polynomial 0xEDB88320), bit by bit: an implementation
/// independent of the library's, to check and to forge checksums.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A checkpoint file around `payload`, with a correct header.
pub fn framed(payload: &[u8]) -> Vec<u8> {
    let mut file = b"BPCKPT\r\n".to_vec();
    file.extend_from_slice(&1u32.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(&crc32(payload).to_le_bytes());
    file.extend_from_slice(payload);
    file
}
