"""Generates pool.json: PyTorch (float64) outputs of nn.MaxPool2d, nn.AvgPool2d,
nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.MaxPool1d and nn.AvgPool1d, and the gradient
of sum(w * y) with respect to the input, for the Rust test tests/pool_fixture.rs.

Inputs are a random permutation of -n/2..n/2 scaled by 0.25: no ties, so every window has
one maximum, and every value is exact in float32, so window sums are exact in both
precisions and the float32 check compares rounding of the division only, not of the inputs
(an average of inputs rounded to float32 can cancel to a value far smaller than its terms);
w is 0.5 + 0.25 * (i % 7).

Run: /work/venv-torch-perf/bin/python gen_pool.py > pool.json
"""
import json
import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20261128)

# (layer, constructor kwargs, input shape): overlapping windows, padding, dilation,
# ceil_mode where it adds a window (and where PyTorch's rule drops one), count_include_pad
# off, divisor_override, 3-d inputs, adaptive sizes that do not divide the input.
CASES = [
    ("MaxPool2d", {"kernel_size": 2}, [2, 3, 4, 4]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 1}, [1, 2, 5, 5]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [2, 2, 7, 6]),
    ("MaxPool2d", {"kernel_size": [2, 3], "dilation": [2, 1]}, [1, 2, 7, 7]),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, [1, 2, 6, 6]),
    ("MaxPool2d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, [1, 1, 5, 4]),
    ("MaxPool2d", {"kernel_size": [3, 2], "stride": [2, 1], "padding": 1, "dilation": 2,
                   "ceil_mode": True}, [3, 6, 5]),
    ("AvgPool2d", {"kernel_size": 2}, [2, 3, 4, 4]),
    ("AvgPool2d", {"kernel_size": 3, "stride": 1}, [1, 2, 5, 5]),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [2, 2, 7, 6]),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
     [2, 2, 7, 6]),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [1, 2, 6, 6]),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                   "count_include_pad": False}, [1, 2, 6, 6]),
    ("AvgPool2d", {"kernel_size": 2, "ceil_mode": True}, [1, 1, 5, 5]),
    ("AvgPool2d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, [1, 1, 5, 4]),
    ("AvgPool2d", {"kernel_size": [2, 3], "stride": 1, "padding": 1, "divisor_override": 3},
     [1, 2, 5, 6]),
    ("AvgPool2d", {"kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0]}, [3, 5, 6]),
    ("AdaptiveAvgPool2d", {"output_size": [3, 4]}, [2, 3, 7, 9]),
    ("AdaptiveAvgPool2d", {"output_size": [3, 2]}, [1, 2, 5, 5]),
    ("AdaptiveAvgPool2d", {"output_size": [7, 9]}, [2, 5, 6]),
    ("AdaptiveAvgPool2d", {"output_size": 1}, [2, 3, 4, 5]),
    ("AdaptiveMaxPool2d", {"output_size": [3, 4]}, [2, 3, 7, 9]),
    ("AdaptiveMaxPool2d", {"output_size": [3, 2]}, [1, 2, 5, 5]),
    ("AdaptiveMaxPool2d", {"output_size": [7, 9]}, [2, 5, 6]),
    ("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2,
                   "ceil_mode": True}, [2, 3, 11]),
    ("MaxPool1d", {"kernel_size": 2}, [3, 7]),
    ("AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                   "count_include_pad": False}, [2, 3, 10]),
    ("AvgPool1d", {"kernel_size": 4, "stride": 1, "padding": 2}, [3, 7]),
]

out = {"torch": torch.__version__, "cases": []}
for layer, kwargs, shape in CASES:
    n = 1
    for d in shape:
        n *= d
    x = ((torch.randperm(n, generator=gen) - n // 2).to(torch.float64) * 0.25).reshape(shape)
    x.requires_grad_(True)
    y = getattr(torch.nn, layer)(**kwargs)(x)
    w = torch.tensor([0.5 + 0.25 * (i % 7) for i in range(y.numel())]).reshape(y.shape)
    (w * y).sum().backward()
    out["cases"].append({
        "layer": layer,
        "kwargs": kwargs,
        "shape": shape,
        "x": x.detach().flatten().tolist(),
        "y_shape": list(y.shape),
        "y": y.detach().flatten().tolist(),
        "grad": x.grad.flatten().tolist(),
    })
print(json.dumps(out))
