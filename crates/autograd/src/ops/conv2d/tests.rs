//! conv2d against its definition, and its panics.

use backprop_tensor::{Rng, Tensor};

use super::*;

/// The convolution summed term by term from its definition.
fn conv2d_by_definition(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: &Tensor<f64>,
    opts: Conv2dOptions,
) -> Tensor<f64> {
    let geo = geometry(x.shape(), w.shape(), opts);
    let (xv, wv, bv) = (x.to_vec(), w.to_vec(), b.to_vec());
    let mut y = Vec::new();
    for n in 0..geo.n {
        for o in 0..geo.c_out {
            let g = o / geo.cog();
            for oh in 0..geo.h_out {
                for ow in 0..geo.w_out {
                    let mut acc = bv[o];
                    for c in 0..geo.cig() {
                        for i in 0..geo.kh {
                            for j in 0..geo.kw {
                                let ih = (oh * opts.stride.0 + i * opts.dilation.0) as isize
                                    - opts.padding.0 as isize;
                                let iw = (ow * opts.stride.1 + j * opts.dilation.1) as isize
                                    - opts.padding.1 as isize;
                                if ih < 0 || iw < 0 || ih >= geo.h as isize || iw >= geo.w as isize {
                                    continue;
                                }
                                let ch = g * geo.cig() + c;
                                acc += wv[((o * geo.cig() + c) * geo.kh + i) * geo.kw + j]
                                    * xv[((n * geo.c_in + ch) * geo.h + ih as usize) * geo.w
                                        + iw as usize];
                            }
                        }
                    }
                    y.push(acc);
                }
            }
        }
    }
    Tensor::from_vec(y, &[geo.n, geo.c_out, geo.h_out, geo.w_out]).unwrap()
}

#[test]
fn matches_the_definition() {
    let mut rng = Rng::seed_from_u64(7);
    let d = Conv2dOptions::default();
    for (x, w, opts) in [
        ([2, 3, 5, 6], [4, 3, 3, 2], d),
        ([1, 4, 7, 5], [6, 2, 2, 3], d.stride((2, 3)).padding((1, 2)).groups(2)),
        ([3, 2, 6, 6], [2, 1, 3, 3], d.dilation((2, 1)).padding(2).groups(2)),
        ([1, 1, 2, 2], [1, 1, 4, 4], d.padding(1)),
    ] {
        let xt = Tensor::<f64>::randn(&x, &mut rng);
        let wt = Tensor::<f64>::randn(&w, &mut rng);
        let bt = Tensor::<f64>::randn(&[w[0]], &mut rng);
        let y = Var::new(xt.clone())
            .conv2d(&Var::new(wt.clone()), Some(&Var::new(bt.clone())), opts)
            .value();
        let want = conv2d_by_definition(&xt, &wt, &bt, opts);
        assert_eq!(y.shape(), want.shape(), "{x:?} {w:?} {opts:?}");
        assert!(y.allclose(&want, 1e-13, 1e-13), "{x:?} {w:?} {opts:?}");
    }
}

#[test]
fn input_views_are_read_in_logical_order() {
    let mut rng = Rng::seed_from_u64(8);
    let x = Tensor::<f64>::randn(&[2, 3, 4, 5], &mut rng);
    let w = Var::new(Tensor::<f64>::randn(&[2, 2, 2, 3], &mut rng));
    let xt = x.permute(&[1, 0, 2, 3]);
    let opts = Conv2dOptions::default();
    let from_view = Var::new(xt.clone()).conv2d(&w, None, opts).value();
    let from_copy = Var::new(xt.to_contiguous()).conv2d(&w, None, opts).value();
    assert_eq!(from_view, from_copy);
}

#[test]
#[should_panic(
    expected = "conv2d: input of shape [1, 3, 5, 5] and weight of shape [4, 2, 3, 3]: the input has 3 channels"
)]
fn channel_mismatch_names_the_op_and_shapes() {
    let x = Var::<f32>::new(Tensor::zeros(&[1, 3, 5, 5]));
    let _ = x.conv2d(&Var::new(Tensor::zeros(&[4, 2, 3, 3])), None, Conv2dOptions::default());
}

#[test]
#[should_panic(expected = "conv2d: input of shape [1, 3, 5] and weight of shape [4, 3, 3, 3] do not fit")]
fn wrong_ndim_panics() {
    let x = Var::<f32>::new(Tensor::zeros(&[1, 3, 5]));
    let _ = x.conv2d(&Var::new(Tensor::zeros(&[4, 3, 3, 3])), None, Conv2dOptions::default());
}

#[test]
#[should_panic(expected = "are not both divisible by groups = 2")]
fn channels_not_divisible_by_groups_panic() {
    let x = Var::<f32>::new(Tensor::zeros(&[1, 4, 5, 5]));
    let opts = Conv2dOptions::default().groups(2);
    let _ = x.conv2d(&Var::new(Tensor::zeros(&[3, 2, 3, 3])), None, opts);
}

#[test]
#[should_panic(expected = "the kernel spans 5 along the width (dilation 2), more than the padded input's 4")]
fn kernel_larger_than_padded_input_panics() {
    let x = Var::<f32>::new(Tensor::zeros(&[1, 1, 6, 2]));
    let opts = Conv2dOptions::default().padding((0, 1)).dilation(2);
    let _ = x.conv2d(&Var::new(Tensor::zeros(&[1, 1, 3, 3])), None, opts);
}

#[test]
#[should_panic(expected = "conv2d: stride (0, 1) and dilation (1, 1) must be positive")]
fn zero_stride_panics() {
    let x = Var::<f32>::new(Tensor::zeros(&[1, 1, 3, 3]));
    let opts = Conv2dOptions::default().stride((0, 1));
    let _ = x.conv2d(&Var::new(Tensor::zeros(&[1, 1, 1, 1])), None, opts);
}

#[test]
#[should_panic(expected = "conv2d: bias of shape [3] does not fit weight of shape [2, 1, 1, 1]")]
fn wrong_bias_panics() {
    let x = Var::<f32>::new(Tensor::zeros(&[1, 1, 3, 3]));
    let w = Var::new(Tensor::zeros(&[2, 1, 1, 1]));
    let _ = x.conv2d(&w, Some(&Var::new(Tensor::zeros(&[3]))), Conv2dOptions::default());
}

#[test]
#[should_panic(expected = "conv1d: input of shape [2, 3] and weight of shape [1, 3, 2] do not fit")]
fn conv1d_wrong_ndim_panics() {
    let x = Var::<f32>::new(Tensor::zeros(&[2, 3]));
    let _ = x.conv1d(&Var::new(Tensor::zeros(&[1, 3, 2])), None, Conv1dOptions::default());
}

#[test]
fn a_batch_split_over_threads_matches_sample_by_sample() {
    // A batch large enough to be split over the kernel threads (5 · 6 · 18 · 256 multiply-
    // adds), with groups and padding:
    // every sample convolved alone gives the same output and input gradient, and the weight
    // gradient is the per-sample ones summed in sample order, exactly.
    let mut rng = Rng::seed_from_u64(11);
    let (n, c_in, c_out) = (5, 4, 6);
    let x = Tensor::<f32>::randn(&[n, c_in, 16, 16], &mut rng);
    let w = Var::parameter(Tensor::<f32>::randn(&[c_out, c_in / 2, 3, 3], &mut rng));
    let b = Var::parameter(Tensor::<f32>::randn(&[c_out], &mut rng));
    let opts = Conv2dOptions::default().padding(1).groups(2);
    let xv = Var::parameter(x.clone());
    let y = xv.conv2d(&w, Some(&b), opts);
    let up = Tensor::<f32>::randn(&y.shape(), &mut rng);
    y.mul(&Var::new(up.clone())).sum().backward();
    let (ys, dx, dw) = (y.value().to_vec(), xv.grad().unwrap().to_vec(), w.grad().unwrap());
    let mut dw_sum = vec![0f32; dw.numel()];
    let (per_x, per_y) = (x.numel() / n, ys.len() / n);
    for s in 0..n {
        w.zero_grad();
        let xs = Var::parameter(x.narrow(0, s, 1).to_contiguous());
        let ysv = xs.conv2d(&w, Some(&b), opts);
        let ups = up.narrow(0, s, 1).to_contiguous();
        ysv.mul(&Var::new(ups)).sum().backward();
        assert_eq!(ysv.value().to_vec(), ys[s * per_y..][..per_y], "sample {s}: output");
        assert_eq!(xs.grad().unwrap().to_vec(), dx[s * per_x..][..per_x], "sample {s}: dx");
        for (d, g) in dw_sum.iter_mut().zip(w.grad().unwrap().to_vec()) {
            *d += g;
        }
    }
    assert_eq!(dw.to_vec(), dw_sum);
}
