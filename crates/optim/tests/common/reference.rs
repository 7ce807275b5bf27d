//! Plain-math reference trajectories from the documented update rules, written in the
//! textbook form (not the implementation's operation order) for the fixed `P0`/`GRADS`.

use super::{GRADS, P0};

/// The trajectory of plain-math SGD (torch.optim.SGD docs).
pub fn sgd_reference(
    lr: f64,
    mu: f64,
    tau: f64,
    wd: f64,
    nesterov: bool,
    maximize: bool,
) -> Vec<Vec<f64>> {
    let mut p = P0.to_vec();
    let mut b: Option<Vec<f64>> = None;
    let mut out = vec![];
    for g in GRADS {
        let mut g: Vec<f64> = (0..3)
            .map(|i| (if maximize { -g[i] } else { g[i] }) + wd * p[i])
            .collect();
        if mu != 0.0 {
            let nb: Vec<f64> = match &b {
                None => g.clone(),
                Some(b) => (0..3).map(|i| mu * b[i] + (1.0 - tau) * g[i]).collect(),
            };
            g = if nesterov {
                (0..3).map(|i| g[i] + mu * nb[i]).collect()
            } else {
                nb.clone()
            };
            b = Some(nb);
        }
        for i in 0..3 {
            p[i] -= lr * g[i];
        }
        out.push(p.clone());
    }
    out
}

/// Plain-math Adam/AdamW (torch.optim.Adam / AdamW docs): bias-corrected moments.
#[allow(clippy::too_many_arguments)]
pub fn adam_reference(
    lr: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    wd: f64,
    decoupled: bool,
    amsgrad: bool,
    maximize: bool,
) -> Vec<Vec<f64>> {
    let mut p = P0.to_vec();
    let (mut m, mut v, mut vmax) = (vec![0.0; 3], vec![0.0; 3], vec![0.0f64; 3]);
    let mut out = vec![];
    for (t, g) in GRADS.iter().enumerate() {
        let t = (t + 1) as i32;
        for i in 0..3 {
            let mut g = if maximize { -g[i] } else { g[i] };
            if decoupled {
                p[i] *= 1.0 - lr * wd;
            } else {
                g += wd * p[i];
            }
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let m_hat = m[i] / (1.0 - b1.powi(t));
            vmax[i] = vmax[i].max(v[i]);
            let v_used = if amsgrad { vmax[i] } else { v[i] };
            let v_hat = v_used / (1.0 - b2.powi(t));
            p[i] -= lr * m_hat / (v_hat.sqrt() + eps);
        }
        out.push(p.clone());
    }
    out
}
