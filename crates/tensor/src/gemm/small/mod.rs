//! The kernel for small products, where the `gemm` crate's fixed cost per call (choosing block
//! sizes, packing into its aligned buffers, dispatching micro-kernels: about 1 µs) is larger
//! than the arithmetic itself. W1's products (`[120, 4] · [4, 8]`, `[9, 120] · [120, 8]`, …)
//! take a few thousand multiply-adds each.
//!
//! Each block of `C` is `Σ_p A[rows, p] ⊗ B[p, cols]`, accumulated in registers (one
//! independent sum per element, so the multiply-adds pipeline) and written once. Every
//! `C[i, j]` is the sum over `p` in increasing order, on one thread, so results do not depend
//! on the thread count.
//!
//! On x86-64 CPUs with AVX2 and FMA (detected at run time, as the release build targets plain
//! x86-64) that loop is written with intrinsics in [`avx`] (LLVM does not vectorize
//! accumulators that stay in registers), as three kernels: a stationary one for inner extents
//! up to 10 (W1's forward products and input gradients), which loads `B` once and streams the
//! rows of `A` past it; its paired variant for outputs at most half a vector wide (W1's last
//! layer, `n = 3`), where two rows of `C` share a vector; and a block one for longer inner
//! extents (the weight gradients). `A[i, p]` is broadcast straight from `A`, `B`'s row
//! segments are vector loads, and `C` is written in place whatever its strides. Vectors run
//! along the rows of `C`, so a narrow `C` wastes lanes: when the cost model
//! [`flip_is_cheaper`] says so, the kernel solves `Cᵀ = Bᵀ·Aᵀ` instead (W1's weight gradient
//! `[8, 120] · [120, 4]` becomes `[4, 120] · [120, 8]`, half the multiply-adds). Each element
//! is the same chain of fused multiply-adds either way, since `fma(x, y, s) = fma(y, x, s)`
//! exactly. The block kernel needs `B` with contiguous rows; otherwise (`x·Wᵀ`, where it is
//! the small weight) the stationary kernels gather `B`'s rows in place, and the block kernel
//! copies `B` first, to the stack when it is small.
//!
//! Elsewhere the portable path in [`portable`] runs.

#[cfg(target_arch = "x86_64")]
use std::{any::TypeId, mem::MaybeUninit};

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::Float;

#[cfg(target_arch = "x86_64")]
mod avx;
mod portable;
#[cfg(all(test, target_arch = "x86_64"))]
mod tests;

pub(super) use portable::packed;

/// Capacity, in elements, of the stack buffer a `B` without contiguous rows is copied to
/// (W1's weights hold at most 72); a larger one goes to the heap.
#[cfg(target_arch = "x86_64")]
const STACK_B: usize = 1024;

/// Whether [`small_into`] runs the AVX2 + FMA kernel here (for f32 and f64), which stores
/// every element of `C` without reading it.
pub(super) fn has_direct_kernel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Writes `a · b` into `c` (overwriting it); shapes as in [`super::matmul_into`], `k > 0`.
pub(super) fn small_into<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
) {
    #[cfg(target_arch = "x86_64")]
    if (TypeId::of::<T>() == TypeId::of::<f32>() || TypeId::of::<T>() == TypeId::of::<f64>())
        && has_direct_kernel()
    {
        let flip = flip_is_cheaper(&a, &b, &c);
        direct(a, b, c, flip);
        return;
    }
    packed(a, b, c);
}

/// One product for the AVX kernels: `C = A·B` with `A` `[m, k]` at `a` (strides `ars`,
/// `acs`), `B` `[k, n]` at `b` (strides `brs`, `bcs`) and `C` `[m, n]` at `c` (strides
/// `crs`, `ccs`); strides in elements, possibly negative. `bcs` is 1 except for the
/// stationary kernel, which gathers the columns of a `B` whose rows are not contiguous
/// ([`gathers_b`]).
#[cfg(target_arch = "x86_64")]
struct Product<T> {
    m: usize,
    n: usize,
    k: usize,
    a: *const T,
    ars: isize,
    acs: isize,
    b: *const T,
    brs: isize,
    bcs: isize,
    c: *mut T,
    crs: isize,
    ccs: isize,
    /// How many elements from `c` a full-width vector store may write when the kernel
    /// computes the rows in increasing order in one pass over the columns: `m·n` when `C`
    /// is one row-major block (`crs = n`, `ccs = 1`), else 0. The lanes such a store writes
    /// past the end of a row land on later rows, which the kernel writes afterwards, so a
    /// masked store (several times slower on Intel cores, and never forwarded to the next
    /// op's loads) is needed only where a store would reach past the end of `C`.
    spill_end: usize,
}

#[cfg(target_arch = "x86_64")]
impl<T> Product<T> {
    /// The same product with the pointers cast to `U` (the caller checks `U` is `T`).
    fn cast<U>(&self) -> Product<U> {
        Product {
            m: self.m,
            n: self.n,
            k: self.k,
            a: self.a.cast(),
            ars: self.ars,
            acs: self.acs,
            b: self.b.cast(),
            brs: self.brs,
            bcs: self.bcs,
            c: self.c.cast(),
            crs: self.crs,
            ccs: self.ccs,
            spill_end: self.spill_end,
        }
    }
}

/// The AVX2 + FMA path for f32 and f64: `C = A·B`, or `Cᵀ = Bᵀ·Aᵀ` when `flip` is set.
#[cfg(target_arch = "x86_64")]
fn direct<T: Float>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: ArrayViewMut2<'_, T>,
    flip: bool,
) {
    if flip {
        direct(
            b.reversed_axes(),
            a.reversed_axes(),
            c.reversed_axes(),
            false,
        );
        return;
    }
    let (m, k) = a.dim();
    let n = b.dim().1;
    // A stride along an axis of length 1 is never used: call it 1 for the kernels' choices.
    let acs = if k == 1 { 1 } else { a.strides()[1] };
    let ccs = if unit_columns(&c) { 1 } else { c.strides()[1] };
    let mut stack = [MaybeUninit::<T>::uninit(); STACK_B];
    let mut heap = Vec::new();
    let (b_ptr, brs, bcs) = if unit_columns(&b) {
        (b.as_ptr(), b.strides()[0], 1)
    } else if gathers_b(&b, acs, ccs) {
        (b.as_ptr(), b.strides()[0], b.strides()[1])
    } else {
        let buffer = if k * n <= STACK_B {
            &mut stack[..k * n]
        } else {
            heap.resize(k * n, MaybeUninit::uninit());
            &mut heap[..]
        };
        copy_rows(b, buffer);
        (buffer.as_ptr().cast::<T>(), n as isize, 1)
    };
    let mut c = c;
    let product = Product {
        m,
        n,
        k,
        a: a.as_ptr(),
        ars: a.strides()[0],
        acs,
        b: b_ptr,
        brs,
        bcs,
        c: c.as_mut_ptr(),
        crs: c.strides()[0],
        ccs,
        spill_end: if ccs == 1 && c.strides()[0] == n as isize {
            m * n
        } else {
            0
        },
    };
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: `T` is `f32`, so the casts keep the pointers' meaning. `a` and `c` come
        // from live views of shapes [m, k] and [m, n] with their strides; `b` from a live
        // view of [k, n] with unit column stride, or from the row-major copy above that lives
        // to the end of this function, or with column stride `bcs` that `gathers_b` checked;
        // `c` is borrowed mutably, so it aliases neither. The
        // caller (`small_into`) checked that the CPU has AVX2 and FMA.
        unsafe { avx::kernel_f32(&product.cast()) }
    } else {
        // SAFETY: as above; `small_into` only calls this for `f32` or `f64`.
        unsafe { avx::kernel_f64(&product.cast()) }
    }
}

/// Whether consecutive elements of each row are adjacent (or there is one column).
#[cfg(target_arch = "x86_64")]
fn unit_columns<S: ndarray::RawData>(x: &ndarray::ArrayBase<S, ndarray::Ix2>) -> bool {
    x.strides()[1] == 1 || x.dim().1 <= 1
}

/// Whether the stationary kernel reads `b` (without contiguous rows) in place, gathering
/// each row segment with one instruction (`x·Wᵀ`: `B`'s columns are `W`'s rows), instead
/// of a copy of `b` first: when it runs at all (`A`'s column stride `acs`, `C`'s `ccs`), and
/// every offset it gathers fits the gathers' 32-bit indices.
#[cfg(target_arch = "x86_64")]
fn gathers_b<T: Float>(b: &ArrayView2<'_, T>, acs: isize, ccs: isize) -> bool {
    let (k, n) = b.dim();
    avx::stationary_fits(k, acs, ccs) && gather_offsets_fit(b.strides()[1], n)
}

/// Whether the offsets `±bcs·n` fit the gathers' 32-bit indices.
#[cfg(target_arch = "x86_64")]
fn gather_offsets_fit(bcs: isize, n: usize) -> bool {
    bcs.unsigned_abs()
        .checked_mul(n)
        .is_some_and(|span| span <= i32::MAX as usize)
}

/// Writes `b` row-major into `buffer` (`b.len()` elements).
#[cfg(target_arch = "x86_64")]
fn copy_rows<T: Float>(b: ArrayView2<'_, T>, buffer: &mut [MaybeUninit<T>]) {
    let (k, n) = b.dim();
    // `B` is typically `Wᵀ` for a row-major `W`: row `p` of `B` is every `k`-th element of
    // `W` from `p`.
    if let Some(w) = b.t().to_slice() {
        for (p, dst) in buffer.chunks_exact_mut(n).enumerate() {
            for (d, &x) in dst.iter_mut().zip(w[p..].iter().step_by(k)) {
                d.write(x);
            }
        }
        return;
    }
    for (j, column) in b.columns().into_iter().enumerate() {
        for (dst, &x) in buffer[j..].iter_mut().step_by(n).zip(column) {
            dst.write(x);
        }
    }
}

/// Whether the kernel does less work on `Cᵀ = Bᵀ·Aᵀ` than on `C = A·B`, by [`cost`].
///
/// Not when the rows of `C` fill whole vectors, are contiguous, and `B` needs no copy: then
/// `C = A·B` runs the fewest multiply-adds with no copy, and the two estimates are skipped
/// (they cost a tenth of W1's smallest products).
#[cfg(target_arch = "x86_64")]
fn flip_is_cheaper<T: Float>(
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    c: &ArrayViewMut2<'_, T>,
) -> bool {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (a_s, b_s, c_s) = (a.strides(), b.strides(), c.strides());
    if n % (32 / size_of::<T>()) == 0
        && c_s[1] == 1
        && (b_s[1] == 1 || gathers_b(b, a_s[1], c_s[1]))
    {
        return false;
    }
    // The flipped problem's `A` is `Bᵀ`, whose column stride is `B`'s row stride, its `B` is
    // `Aᵀ` (row stride `A`'s column stride, column stride `A`'s row stride); likewise `C`.
    let normal = cost::<T>([m, k, n], a_s[1], b_s[1], c_s[1]);
    let flipped = cost::<T>([n, k, m], b_s[0], a_s[0], c_s[0]);
    flipped < normal
}

/// About how many instructions the AVX kernels run for `[m, k]·[k, n]` in `T`, when `A`'s column stride is `acs`, `B`'s `bcs` and `C`'s `ccs`.
///
/// The stationary kernel: per vector of columns and row, `k` broadcasts and multiply-adds, a
/// store and some loop overhead (about half that per row when two rows share a vector). The block kernel: at each `p`, per register block a load of
/// `B` per vector and some loop overhead, per row a broadcast and a multiply-add per vector,
/// plus a fixed cost per block; element-wise stores when `C`'s rows are not contiguous.
/// Either way a copy of `B` first when its rows are not contiguous, unless the stationary
/// kernel gathers them ([`gathers_b`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn cost<T>([m, k, n]: [usize; 3], acs: isize, bcs: isize, ccs: isize) -> usize {
    let lanes = 32 / size_of::<T>();
    let vectors = n.div_ceil(lanes);
    let unit_bcs = bcs == 1 || n <= 1;
    let unit_ccs = ccs == 1 || n == 1;
    if avx::stationary_fits(k, acs, if unit_ccs { 1 } else { ccs }) {
        // The stationary kernel gathers the rows of such a `B` in place, at no extra cost.
        let copy_b = if unit_bcs || gather_offsets_fit(bcs, n) {
            0
        } else {
            3 * k * n
        };
        if 2 * n <= lanes {
            // The paired kernel: per pair of rows, `k` in-lane broadcasts and multiply-adds,
            // a load per run of `lanes / 2`, three stores and the loop.
            return m * (5 * k + 24) / 4 + 3 * k + copy_b;
        }
        return vectors * (m * (2 * k + 3) + 3 * k) + copy_b;
    }
    let copy_b = if unit_bcs { 0 } else { 3 * k * n };
    // All rows against one group of `nv` vectors of columns, in blocks of up to `rows`.
    let group = |nv: usize, rows: usize| {
        let blocks = m.div_ceil(rows);
        k * (blocks * (nv + 3) + m * (1 + nv)) + blocks * 80 + m * nv
    };
    let blocks = vectors / 2 * group(2, avx::ROWS_WIDE) + vectors % 2 * group(1, avx::ROWS_NARROW);
    let scatter_c = if unit_ccs { 0 } else { 2 * m * n };
    blocks + copy_b + scatter_c
}
