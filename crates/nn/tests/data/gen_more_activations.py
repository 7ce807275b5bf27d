"""Generates more_activations.json: PyTorch (float64) outputs of nn.CELU, nn.ReLU6,
nn.Softshrink, nn.Hardshrink, nn.Tanhshrink, nn.Threshold, nn.GLU, nn.Softmin, nn.PReLU
and nn.RReLU (evaluation mode) for several option settings, with the gradients of
sum(w * f(x)) with respect to x (and PReLU's weight), for the Rust test
tests/more_activations_fixture.rs.

Inputs, weights and PReLU slopes are exactly representable in float32, so the Rust f32
check sees the same inputs and measures only its own rounding. Inputs stay away from the
kinks (0, 6, +-lambd, the threshold).

Run: python gen_more_activations.py > more_activations.json
"""
import copy
import json

import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)


def f32(t):
    """The float64 tensor rounded through float32."""
    return t.float().double()


XS = f32(torch.tensor([-7.3, -4.1, -3.2, -2.9, -1.7, -1.1, -0.6, -0.45, -0.05, 0.07, 0.4,
                       0.55, 1.25, 2.8, 3.3, 5.5, 6.4, 12.0, 25.0]))


def randn(*shape):
    return f32(2.5 * torch.randn(*shape))


def weights_like(y):
    return f32(0.5 + torch.rand(y.shape))


cases = []


def case(name, module, options, make, x, prelu_weight=None):
    """Records module `module` with `options` (built by `make`) on input `x`."""
    m = make()
    if prelu_weight is not None:
        with torch.no_grad():
            m.weight.copy_(torch.tensor(prelu_weight))
    if module == "RReLU":
        m.eval()
    x = x.clone().requires_grad_(True)
    y = m(x)
    w = weights_like(y)
    (y * w).sum().backward()
    entry = {
        "name": name,
        "module": module,
        "options": options,
        "shape": list(x.shape),
        "x": x.detach().flatten().tolist(),
        "weights": w.flatten().tolist(),
        "y_shape": list(y.shape),
        "y": y.detach().flatten().tolist(),
        "grad": x.grad.flatten().tolist(),
    }
    if prelu_weight is not None:
        entry["prelu_weight"] = m.weight.detach().tolist()
        entry["weight_grad"] = m.weight.grad.tolist()
    # PyTorch's own float32 results on the same (float32-exact) data: where they miss the
    # float64 reference by more than the f32 tolerance (cancellation that PyTorch's
    # formula shares), the Rust f32 check allows twice PyTorch's float32 error.
    m32 = copy.deepcopy(m).float()
    m32.zero_grad()
    x32 = x.detach().float().requires_grad_(True)
    y32 = m32(x32)
    (y32 * w.float()).sum().backward()
    entry["y_f32"] = y32.detach().flatten().tolist()
    entry["grad_f32"] = x32.grad.flatten().tolist()
    if prelu_weight is not None:
        entry["weight_grad_f32"] = m32.weight.grad.tolist()
    cases.append(entry)


nn = torch.nn
for alpha in [1.0, 0.7, 2.5, -1.3]:
    case(f"CELU alpha={alpha}", "CELU", {"alpha": alpha}, lambda: nn.CELU(alpha), XS)
case("ReLU6", "ReLU6", {}, nn.ReLU6, XS)
for lambd in [0.5, 1.2, 0.0]:
    case(f"Softshrink lambd={lambd}", "Softshrink", {"lambd": lambd},
         lambda: nn.Softshrink(lambd), XS)
for lambd in [0.5, 1.2, -0.5]:
    case(f"Hardshrink lambd={lambd}", "Hardshrink", {"lambd": lambd},
         lambda: nn.Hardshrink(lambd), XS)
case("Tanhshrink", "Tanhshrink", {}, nn.Tanhshrink, XS)
for threshold, value in [(0.7, 20.0), (-1.0, -3.5)]:
    case(f"Threshold threshold={threshold} value={value}", "Threshold",
         {"threshold": threshold, "value": value}, lambda: nn.Threshold(threshold, value), XS)
for lower, upper in [(1.0 / 8, 1.0 / 3), (0.05, 0.6)]:
    case(f"RReLU eval lower={lower} upper={upper}", "RReLU", {"lower": lower, "upper": upper},
         lambda: nn.RReLU(lower, upper), XS)
for shape, dim in [((3, 4), -1), ((2, 6, 3), 1), ((4, 2, 2), 0), ((2, 4, 3), -2), ((8,), -1)]:
    case(f"GLU dim={dim} on {list(shape)}", "GLU", {"dim": dim}, lambda: nn.GLU(dim),
         randn(*shape))
for shape, dim in [((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 2), ((2, 3, 4), 1)]:
    case(f"Softmin dim={dim} on {list(shape)}", "Softmin", {"dim": dim},
         lambda: nn.Softmin(dim), randn(*shape))
slopes3 = f32(torch.tensor([0.25, -0.15, 0.6])).tolist()
for shape, slopes in [((4, 3), [0.25]), ((4, 3), slopes3), ((2, 3, 5), slopes3),
                      ((2, 3, 5), [0.3]), ((19,), [0.25])]:
    x = XS if shape == (19,) else randn(*shape)
    case(f"PReLU num_parameters={len(slopes)} on {list(shape)}", "PReLU",
         {"num_parameters": len(slopes)}, lambda: nn.PReLU(len(slopes)), x,
         prelu_weight=slopes)

print(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1))
