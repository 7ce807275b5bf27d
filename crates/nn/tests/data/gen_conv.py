"""Generates conv.json: PyTorch (float64) outputs of nn.Conv2d and nn.Conv1d with given
weights, and the gradients of sum(w * y) with respect to the input, the weight and the bias,
for the Rust test tests/conv_fixture.rs, and the scale (sum of absolute terms) of each. Every input is rounded to float32 first, so the
float64 reference is also the exact-input reference of the float32 test.

Run: python gen_conv.py > conv.json
"""
import json, torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32).double()


# name, conv kind, input shape, out channels, kernel, stride, padding, dilation, groups, bias
CASES = [
    ("3x3", 2, [2, 3, 6, 5], 4, (3, 3), 1, 0, 1, 1, True),
    ("stride 2", 2, [1, 2, 7, 6], 3, (3, 3), 2, 0, 1, 1, True),
    ("padding (1, 2)", 2, [1, 2, 4, 5], 2, (3, 3), 1, (1, 2), 1, 1, True),
    ("dilation 2", 2, [1, 2, 7, 7], 2, (3, 3), 1, 0, 2, 1, True),
    ("groups 2", 2, [2, 4, 5, 5], 6, (3, 3), 1, 0, 1, 2, True),
    ("depthwise", 2, [1, 3, 5, 5], 3, (3, 3), 1, 1, 1, 3, True),
    ("no bias", 2, [1, 3, 5, 5], 2, (3, 3), 1, 0, 1, 1, False),
    ("1x1 kernel", 2, [2, 4, 3, 3], 5, (1, 1), 1, 0, 1, 1, True),
    ("non-square", 2, [1, 2, 5, 9], 3, (2, 4), (1, 2), 0, 1, 1, True),
    ("all options", 2, [2, 4, 9, 8], 6, (3, 2), (2, 1), (1, 2), (2, 3), 2, True),
    ("conv1d", 1, [2, 3, 10], 4, 3, 1, 0, 1, 1, True),
    ("conv1d all options", 1, [2, 4, 11], 6, 3, 2, 2, 2, 2, True),
    ("conv1d no bias", 1, [1, 2, 8], 3, 4, 3, 1, 1, 1, False),
]


def pair(v, kind):
    if kind == 1:
        return [v]
    return list(v) if isinstance(v, tuple) else [v, v]


out = []
for name, kind, xshape, cout, k, s, p, d, g, bias in CASES:
    cls = torch.nn.Conv2d if kind == 2 else torch.nn.Conv1d
    m = cls(xshape[1], cout, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
    with torch.no_grad():
        m.weight.copy_(randn(*m.weight.shape))
        if bias:
            m.bias.copy_(randn(cout))
    x = randn(*xshape).requires_grad_(True)
    y = m(x)
    w = randn(*y.shape)
    (w * y).sum().backward()
    # The scale of every sum: the same values and gradients computed from the absolute
    # values of x, the weight, the bias and w (Σ|terms| of each output and gradient). The
    # Rust f32 check allows a rounding error of a few float32 units of it.
    xa = x.detach().abs().requires_grad_(True)
    wa = m.weight.detach().abs().requires_grad_(True)
    ba = m.bias.detach().abs().requires_grad_(True) if bias else None
    conv = torch.nn.functional.conv2d if kind == 2 else torch.nn.functional.conv1d
    ya = conv(xa, wa, ba, stride=s, padding=p, dilation=d, groups=g)
    (w.abs() * ya).sum().backward()
    case = {
        "name": name,
        "kind": kind,
        "in_channels": xshape[1],
        "out_channels": cout,
        "kernel_size": pair(k, kind),
        "stride": pair(s, kind),
        "padding": pair(p, kind),
        "dilation": pair(d, kind),
        "groups": g,
        "x_shape": xshape,
        "x": x.flatten().tolist(),
        "weight_shape": list(m.weight.shape),
        "weight": m.weight.flatten().tolist(),
        "bias": m.bias.tolist() if bias else None,
        "y_shape": list(y.shape),
        "y": y.flatten().tolist(),
        "w": w.flatten().tolist(),
        "grad_x": x.grad.flatten().tolist(),
        "grad_weight": m.weight.grad.flatten().tolist(),
        "grad_bias": m.bias.grad.tolist() if bias else None,
        "y_scale": ya.detach().flatten().tolist(),
        "grad_x_scale": xa.grad.flatten().tolist(),
        "grad_weight_scale": wa.grad.flatten().tolist(),
        "grad_bias_scale": ba.grad.tolist() if bias else None,
    }
    out.append(case)
print(json.dumps({"torch": torch.__version__, "cases": out}))
