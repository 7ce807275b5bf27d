"""Reference trajectories of PyTorch's L-BFGS (torch.optim.LBFGS).

Writes lbfgs.json next to this file, replayed by tests/pytorch_lbfgs.rs. Run with the PyTorch
of the project's reference venv:

    python crates/optim/tests/data/gen_lbfgs.py

Each case calls opt.step(closure) STEPS times and records, after every call, the returned loss,
the parameters, how many times the closure ran during that call and the optimizer's counters;
after the last call, the scalar part of its state.

The closures compute the loss and set the gradient with explicit elementwise operations on
0-dim tensors of the run's dtype, in a fixed order (no autograd, no reductions), so that a port
computing the same formulas in the same order gets the same bits and the comparison tests the
optimizer alone:
- rosenbrock, x of shape [2]: a = 1 - x0, b = x1 - x0*x0, loss = a*a + 100*(b*b),
  grad = [(-2)*a - (400*x0)*b, 200*b]; with "negate", loss and grad are negated (for maximize).
- least_squares, W of shape [2, 3] and b of shape [2], data X [4, 3] and Y [4, 2]:
  r[k][i] = ((((W[i][0]*X[k][0]) + W[i][1]*X[k][1]) + W[i][2]*X[k][2]) + b[i]) - Y[k][i],
  loss = 0.5 * (r[0][0]^2 + r[0][1]^2 + r[1][0]^2 + ...) summed left to right in k-major order,
  dW[i][j] = r[0][i]*X[0][j] + r[1][i]*X[1][j] + ... (left to right), db[i] = r[0][i] + r[1][i] + ...

Every case runs twice:
- as PyTorch runs by default on this machine (kernels for AVX2, which fuse the multiply-add of
  add(alpha=), and its own square root);
- in a child process with ATEN_CPU_CAPABILITY=default (kernels that fuse nothing) and Tensor.sqrt
  replaced by a correctly rounded square root ("*_ieee" keys).
Dot products go to MKL in both runs. float64 cases run with the default dtype set to float64.
"""

import json
import math
import os
import subprocess
import sys

import torch

STEPS = 5

# X and Y of the least-squares problem: small dyadic numbers, exact in float32.
X = [[1.0, 0.5, -1.25], [0.25, -2.0, 1.5], [-1.0, 0.75, 0.5], [2.0, 1.0, -0.5]]
Y = [[0.5, -1.0], [1.75, 0.25], [-0.5, 2.0], [1.0, -0.75]]
W0 = [[0.5, -0.25, 1.0], [-1.5, 0.75, 0.25]]
B0 = [0.125, -0.5]

# (name, problem, LBFGS options)
CASES = [
    ("rosenbrock_default", "rosenbrock", {}),
    ("least_squares_h5", "least_squares", {"history_size": 5, "max_iter": 10}),
    ("rosenbrock_strong_wolfe", "rosenbrock", {"line_search_fn": "strong_wolfe"}),
    (
        "least_squares_h5_strong_wolfe",
        "least_squares",
        {"history_size": 5, "max_iter": 10, "line_search_fn": "strong_wolfe"},
    ),
    ("rosenbrock_lr_half_tolerance_change", "rosenbrock", {"lr": 0.5, "tolerance_change": 1e-3}),
    (
        "rosenbrock_strong_wolfe_max_eval",
        "rosenbrock",
        {"line_search_fn": "strong_wolfe", "max_iter": 8, "max_eval": 6, "history_size": 2},
    ),
    ("rosenbrock_maximize", "rosenbrock_negated", {"maximize": True, "history_size": 3}),
    (
        "least_squares_tolerance_grad",
        "least_squares",
        {"lr": 0.8, "tolerance_grad": 1e-3, "max_iter": 7},
    ),
]


def rosenbrock(dtype, negate):
    x = torch.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True)

    def loss_and_grad():
        x0, x1 = x[0], x[1]
        a = 1 - x0
        b = x1 - x0 * x0
        loss = a * a + 100 * (b * b)
        g = torch.stack([(-2) * a - (400 * x0) * b, 200 * b])
        if negate:
            return -loss, -g
        return loss, g

    def set_grad():
        loss, g = loss_and_grad()
        x.grad = g
        return loss

    return [x], set_grad


def least_squares(dtype):
    w = torch.tensor(W0, dtype=dtype, requires_grad=True)
    b = torch.tensor(B0, dtype=dtype, requires_grad=True)
    xs = torch.tensor(X, dtype=dtype)
    ys = torch.tensor(Y, dtype=dtype)

    def set_grad():
        r = [[None, None] for _ in X]
        for k in range(len(X)):
            for i in range(2):
                s = w[i, 0] * xs[k, 0]
                s = s + w[i, 1] * xs[k, 1]
                s = s + w[i, 2] * xs[k, 2]
                r[k][i] = (s + b[i]) - ys[k, i]
        total = r[0][0] * r[0][0]
        for k in range(len(X)):
            for i in range(2):
                if k or i:
                    total = total + r[k][i] * r[k][i]
        loss = 0.5 * total
        dw = torch.zeros(2, 3, dtype=dtype)
        db = torch.zeros(2, dtype=dtype)
        for i in range(2):
            for j in range(3):
                acc = r[0][i] * xs[0, j]
                for k in range(1, len(X)):
                    acc = acc + r[k][i] * xs[k, j]
                dw[i, j] = acc
            acc = r[0][i]
            for k in range(1, len(X)):
                acc = acc + r[k][i]
            db[i] = acc
        w.grad = dw
        b.grad = db
        return loss

    return [w, b], set_grad


def scalar(v):
    if v is None:
        return None
    return v.item() if isinstance(v, torch.Tensor) else float(v)


def run(problem, options, dtype):
    torch.set_default_dtype(dtype)
    if problem == "least_squares":
        params, set_grad = least_squares(dtype)
    else:
        params, set_grad = rosenbrock(dtype, problem == "rosenbrock_negated")
    opt = torch.optim.LBFGS(params, **options)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        with torch.no_grad():
            return set_grad()

    steps = []
    for _ in range(STEPS):
        calls[0] = 0
        loss = opt.step(closure)
        state = opt.state[params[0]]
        steps.append(
            {
                "loss": loss.item(),
                "params": [p.detach().flatten().tolist() for p in params],
                "closure_calls": calls[0],
                "func_evals": state["func_evals"],
                "n_iter": state["n_iter"],
            }
        )
    state = opt.state[params[0]]
    final = {
        "t": scalar(state.get("t")),
        "t_is_tensor": isinstance(state.get("t"), torch.Tensor),
        "H_diag": scalar(state.get("H_diag")),
        "prev_loss": scalar(state.get("prev_loss")),
        "history": len(state.get("old_dirs") or []),
        "ro": [r.item() for r in state.get("ro") or []],
        "d": state["d"].tolist() if state.get("d") is not None else None,
    }
    return {"steps": steps, "state": final}


def run_all():
    out = []
    for _, problem, options in CASES:
        for dtype in (torch.float64, torch.float32):
            out.append(run(problem, options, dtype))
    return out


def use_ieee_sqrt():
    """Replaces Tensor.sqrt (which _cubic_interpolate calls) by a correctly rounded square root:
    math.sqrt in double, rounded once to float32 for float32 tensors."""
    calls = [0]

    def sqrt(self):
        calls[0] += 1
        values = [math.sqrt(x) if x >= 0 else math.nan for x in self.flatten().tolist()]
        return torch.tensor(values, dtype=self.dtype).reshape(self.shape)

    torch.Tensor.sqrt = sqrt
    return calls


def main():
    if os.environ.get("GEN_CHILD"):
        calls = use_ieee_sqrt()
        results = run_all()
        assert calls[0] > 0, "the line search no longer calls Tensor.sqrt"
        json.dump(results, sys.stdout)
        return
    env = dict(os.environ, GEN_CHILD="1", ATEN_CPU_CAPABILITY="default")
    child = subprocess.run([sys.executable, __file__], env=env, capture_output=True, check=True)
    ieee = json.loads(child.stdout)
    simd = run_all()
    cases = []
    k = 0
    for name, problem, options in CASES:
        for dtype in ("float64", "float32"):
            cases.append(
                {
                    "name": name,
                    "problem": problem,
                    "dtype": dtype,
                    "options": options,
                    "steps": simd[k]["steps"],
                    "state": simd[k]["state"],
                    "steps_ieee": ieee[k]["steps"],
                    "state_ieee": ieee[k]["state"],
                }
            )
            k += 1
    torch.set_default_dtype(torch.float64)
    fixture = {
        "generated_by": f"torch {torch.__version__}, torch.optim.LBFGS, CPU; steps/state: kernels for "
        f"{torch.backends.cpu.get_cpu_capability()}; *_ieee: ATEN_CPU_CAPABILITY=default and a "
        "correctly rounded Tensor.sqrt",
        "problem": "see gen_lbfgs.py: rosenbrock from (-1.5, 2.0); least_squares with W [2, 3], b [2]",
        "least_squares": {"X": X, "Y": Y, "W0": W0, "b0": B0},
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lbfgs.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
        f.write("\n")


if __name__ == "__main__":
    main()
