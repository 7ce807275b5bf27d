//! The AVX kernel against its definition, bit for bit, in both orientations.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, s};

use super::{direct, flip_is_cheaper, has_direct_kernel};
use crate::{Float, Rng};

/// How a matrix is laid out in memory.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Row-major.
    Rows,
    /// Column-major (a transposed view of a row-major array).
    Columns,
    /// Every other row and column of a row-major array twice as large (no unit stride).
    Spread,
    /// A row-major array read backwards along both axes (negative strides).
    Reversed,
    /// Row-major and contiguous, the first rows of an array with one row more: the kernels
    /// write `C` with full-width stores that reach past the end of a row, and must not reach
    /// past the last one.
    Framed,
    /// Row-major rows three elements apart from the end of one to the start of the next:
    /// nothing between them may be written.
    Padded,
}

const LAYOUTS: [Layout; 4] = [
    Layout::Rows,
    Layout::Columns,
    Layout::Spread,
    Layout::Reversed,
];

/// The layouts of `C`: the operands' and two that only matter for the output.
const C_LAYOUTS: [Layout; 6] = [
    Layout::Rows,
    Layout::Columns,
    Layout::Spread,
    Layout::Reversed,
    Layout::Framed,
    Layout::Padded,
];

/// The storage for an `[r, c]` matrix in `layout`, NaN everywhere the matrix does not reach.
fn storage<T: Float>(r: usize, c: usize, layout: Layout) -> Array2<T> {
    match layout {
        Layout::Rows | Layout::Reversed => Array2::from_elem((r, c), T::nan()),
        Layout::Columns => Array2::from_elem((c, r), T::nan()),
        Layout::Spread => Array2::from_elem((2 * r, 2 * c), T::nan()),
        Layout::Framed => Array2::from_elem((r + 1, c), T::nan()),
        Layout::Padded => Array2::from_elem((r, c + 3), T::nan()),
    }
}

fn view<T: Float>(x: &Array2<T>, layout: Layout) -> ArrayView2<'_, T> {
    match layout {
        Layout::Rows => x.view(),
        Layout::Columns => x.t(),
        Layout::Spread => x.slice(s![..;2, ..;2]),
        Layout::Reversed => x.slice(s![..;-1, ..;-1]),
        Layout::Framed => x.slice(s![..-1, ..]),
        Layout::Padded => x.slice(s![.., ..-3]),
    }
}

fn view_mut<T: Float>(x: &mut Array2<T>, layout: Layout) -> ArrayViewMut2<'_, T> {
    match layout {
        Layout::Rows => x.view_mut(),
        Layout::Columns => x.view_mut().reversed_axes(),
        Layout::Spread => x.slice_mut(s![..;2, ..;2]),
        Layout::Reversed => x.slice_mut(s![..;-1, ..;-1]),
        Layout::Framed => x.slice_mut(s![..-1, ..]),
        Layout::Padded => x.slice_mut(s![.., ..-3]),
    }
}

/// An `[r, c]` matrix in `layout` with values in (-2, 2), an eighth of them signed zeros
/// (so that products of both signs of zero reach the sums).
fn random<T: Float>(rng: &mut Rng, r: usize, c: usize, layout: Layout) -> Array2<T> {
    let mut x = storage(r, c, layout);
    for v in view_mut(&mut x, layout).iter_mut() {
        let u = rng.next_f64();
        *v = match rng.below(16) {
            0 => T::zero(),
            1 => -T::zero(),
            _ => T::from(4.0 * u - 2.0).expect("representable"),
        };
    }
    x
}

/// `C[i, j] = fma(A[i, k-1], B[k-1, j], … fma(A[i, 0], B[0, j], 0))`: the chain the
/// kernel must reproduce exactly.
fn ordered_fma_chain<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> Array2<T> {
    let (m, k) = a.dim();
    let n = b.dim().1;
    Array2::from_shape_fn((m, n), |(i, j)| {
        (0..k).fold(T::zero(), |sum, p| a[[i, p]].mul_add(b[[p, j]], sum))
    })
}

fn bits<T: Float>(x: T) -> u64 {
    x.to_f64().expect("f32 or f64").to_bits()
}

/// Runs `[m, k]·[k, n]` in the given layouts and orientation and checks every element of `C`
/// bitwise, and that nothing around `C` in its storage was written.
fn check<T: Float>(rng: &mut Rng, (m, k, n): (usize, usize, usize), layouts: [Layout; 3]) {
    let [la, lb, lc] = layouts;
    let a = random::<T>(rng, m, k, la);
    let b = random::<T>(rng, k, n, lb);
    let want = ordered_fma_chain(view(&a, la), view(&b, lb));
    for flip in [false, true] {
        let mut c = storage::<T>(m, n, lc);
        direct(view(&a, la), view(&b, lb), view_mut(&mut c, lc), flip);
        let got = view(&c, lc);
        for ((i, j), &x) in got.indexed_iter() {
            let y = want[[i, j]];
            assert_eq!(
                bits(x),
                bits(y),
                "{} {m}x{k}x{n} {layouts:?} flip {flip}: C[{i}, {j}] = {x}, chain gives {y}",
                std::any::type_name::<T>()
            );
        }
        let written = c.iter().filter(|x| !x.is_nan()).count();
        assert_eq!(written, m * n, "{m}x{k}x{n} {layouts:?}: wrote outside C");
    }
}

#[test]
fn every_element_is_the_ordered_fma_chain_bitwise() {
    if !has_direct_kernel() {
        return;
    }
    let mut rng = Rng::seed_from_u64(11);
    // W1's products in every layout, including the ones it runs: `x·Wᵀ` (B column-major),
    // `G·W` (both row-major) and `Gᵀ·X` (A column-major).
    let w1 = [
        (120, 4, 8),
        (120, 8, 9),
        (120, 9, 3),
        (120, 3, 9),
        (120, 9, 8),
        (3, 120, 9),
        (9, 120, 8),
        (8, 120, 4),
    ];
    for &shape in &w1 {
        for la in LAYOUTS {
            for lb in LAYOUTS {
                for lc in C_LAYOUTS {
                    check::<f32>(&mut rng, shape, [la, lb, lc]);
                    check::<f64>(&mut rng, shape, [la, lb, lc]);
                }
            }
        }
    }
    // Widths on both sides of half a vector, one and two vectors (4 f64, 8 f32 lanes), row
    // counts on both sides of the register blocks (pairs, 4, 6 and 9 rows), inner extents on
    // both sides of the stationary kernel's limit (10), of the paired kernel's runs of four
    // and two, and long ones, each in every layout.
    for m in [1, 2, 3, 5, 6, 7, 8, 9, 13, 17] {
        for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 25] {
            for k in [1, 2, 3, 5, 9, 10, 11, 64] {
                for la in LAYOUTS {
                    for lb in LAYOUTS {
                        for lc in C_LAYOUTS {
                            check::<f32>(&mut rng, (m, k, n), [la, lb, lc]);
                            check::<f64>(&mut rng, (m, k, n), [la, lb, lc]);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_cost_model_flips_narrow_outputs_only() {
    // W1's weight gradient `Gᵀ·X` (`[8, 120]·[120, 4]`): half the lanes of `C`'s rows are
    // empty, and `G`'s rows are contiguous, so `Cᵀ = Xᵀ·G` is cheaper.
    let g = Array2::<f32>::zeros((120, 8));
    let x = Array2::<f32>::zeros((120, 4));
    let mut c = Array2::<f32>::zeros((8, 4));
    assert!(flip_is_cheaper(&g.t(), &x.view(), &c.view_mut()));
    // W1's first layer `X·Wᵀ` (`[120, 4]·[4, 8]`): one full vector per row of `C`.
    let w = Array2::<f32>::zeros((8, 4));
    let mut y = Array2::<f32>::zeros((120, 8));
    assert!(!flip_is_cheaper(&x.view(), &w.t(), &y.view_mut()));
}
