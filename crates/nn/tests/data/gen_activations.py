"""Generates activations.json: PyTorch (float64) outputs and input gradients of nn.Mish,
nn.Hardswish, nn.Hardsigmoid, nn.Softsign, nn.LogSigmoid and nn.SELU on inputs away from
their kinks, for the Rust test tests/activations_fixture.rs.

Run: python gen_activations.py > activations.json
"""
import json, torch
torch.set_default_dtype(torch.float64)
xs = [-7.3, -4.1, -3.2, -2.9, -1.7, -0.6, -0.05, 0.07, 0.4, 1.3, 2.8, 3.3, 5.5, 12.0, 25.0]
mods = {
    "Mish": torch.nn.Mish(), "Hardswish": torch.nn.Hardswish(), "Hardsigmoid": torch.nn.Hardsigmoid(),
    "Softsign": torch.nn.Softsign(), "LogSigmoid": torch.nn.LogSigmoid(), "SELU": torch.nn.SELU(),
}
out = {"x": xs, "weights": [0.5 + 0.1 * i for i in range(len(xs))], "cases": {}}
for name, m in mods.items():
    x = torch.tensor(xs, requires_grad=True)
    y = m(x)
    (y * torch.tensor(out["weights"])).sum().backward()
    out["cases"][name] = {"y": y.tolist(), "grad": x.grad.tolist()}
print(json.dumps(out, indent=1))
