"""Reference trajectories of PyTorch's NAdam, RAdam, Adamax, Adadelta, Rprop and ASGD.

Writes more_optimizers.json next to this file, replayed by tests/pytorch_more_optimizers.rs.
Run with the PyTorch of the project's reference venv:

    python crates/optim/tests/data/gen_more_optimizers.py

Every case runs twice:
- as PyTorch runs by default on this machine: AVX2 kernels, which fuse the multiply-adds of
  lerp, addcmul and add(alpha=), and the square root of its x86-64 builds (MKL's vector math),
  which is not correctly rounded: it is an ulp off IEEE's sqrt for about 1% of float64 and 20%
  of float32 inputs here;
- in a child process with every operation rounded once as IEEE 754 specifies: the kernels of
  ATEN_CPU_CAPABILITY=default, which fuse nothing, and Tensor.sqrt/sqrt_ replaced by a
  correctly rounded square root. An operation-by-operation port must reproduce this run bit
  for bit ("ieee" keys).
float64 cases run with the default dtype set to float64 and float32 cases with PyTorch's
default float32, which is the dtype PyTorch keeps the scalar state in (step, NAdam's
mu_product, ASGD's eta and mu).
"""

import inspect
import json
import math
import os
import random
import subprocess
import sys

import torch

STEPS = 14
OPTIMIZERS = {
    "NAdam": torch.optim.NAdam,
    "RAdam": torch.optim.RAdam,
    "Adamax": torch.optim.Adamax,
    "Adadelta": torch.optim.Adadelta,
    "Rprop": torch.optim.Rprop,
    "ASGD": torch.optim.ASGD,
}

# Each case: the optimizer, one options dict per group ({} is all of PyTorch's defaults) and
# optional learning-rate changes [step, group, lr] made before that step.
CASES = [
    ("NAdam", [{}, {}], []),
    (
        "NAdam",
        [
            {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
            {"lr": 0.03, "weight_decay": 0.2, "decoupled_weight_decay": True, "momentum_decay": 0.05},
        ],
        [],
    ),
    (
        "NAdam",
        [
            {"lr": 0.05, "betas": [0.3, 0.6], "eps": 1e-3, "decoupled_weight_decay": True},
            {
                "lr": 0.02,
                "betas": [0.95, 0.9],
                "weight_decay": 0.05,
                "decoupled_weight_decay": True,
                "maximize": True,
                "momentum_decay": 0.0,
            },
        ],
        [[6, 0, 0.2], [9, 1, 0.001]],
    ),
    ("RAdam", [{}, {"betas": [0.9, 0.9]}], []),
    (
        "RAdam",
        [
            {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
            {"lr": 0.03, "weight_decay": 0.2, "decoupled_weight_decay": True},
        ],
        [],
    ),
    (
        "RAdam",
        [
            {"lr": 0.05, "betas": [0.3, 0.99], "eps": 1e-3},
            {
                "lr": 0.02,
                "betas": [0.8, 0.5],
                "weight_decay": 0.05,
                "decoupled_weight_decay": True,
                "maximize": True,
            },
        ],
        [[7, 0, 0.01]],
    ),
    ("Adamax", [{}, {}], []),
    (
        "Adamax",
        [
            {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
            {"lr": 0.1, "betas": [0.3, 0.5], "eps": 1e-2},
        ],
        [],
    ),
    (
        "Adamax",
        [
            {"lr": 0.02, "betas": [0.95, 0.9], "weight_decay": 0.3},
            {"lr": 0.01, "maximize": True},
        ],
        [[5, 1, 0.3]],
    ),
    ("Adadelta", [{}, {}], []),
    (
        "Adadelta",
        [
            {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1, "maximize": True},
            {"rho": 0.0, "eps": 1e-3},
        ],
        [],
    ),
    (
        "Adadelta",
        [
            {"lr": 2.0, "rho": 1.0},
            {"rho": 0.95, "eps": 1e-8, "weight_decay": 0.2},
        ],
        [[4, 0, 0.7]],
    ),
    ("Rprop", [{}, {}], []),
    (
        "Rprop",
        [
            {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-3, 0.1], "maximize": True},
            {"lr": 0.2, "etas": [0.7, 2.0], "step_sizes": [0.01, 1.0]},
        ],
        [],
    ),
    (
        "Rprop",
        [
            {"lr": 0.5, "step_sizes": [0.05, 0.3]},
            {"lr": 1e-3, "etas": [0.1, 3.0]},
        ],
        # Rprop takes lr only as the initial step size: a later change does nothing.
        [[3, 0, 0.01], [3, 1, 5.0]],
    ),
    ("ASGD", [{}, {}], []),
    (
        "ASGD",
        [
            {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 3, "weight_decay": 0.1},
            {"lr": 0.1, "lambd": 0.01, "t0": 0, "maximize": True},
        ],
        [],
    ),
    (
        "ASGD",
        [
            {"lr": 0.02, "lambd": 1.0, "alpha": 1.5, "t0": 5.5},
            {"lr": 0.3, "weight_decay": 0.05, "t0": 8},
        ],
        [[6, 0, 0.1], [10, 1, 0.05]],
    ),
    # Steps as large as the parameters, so that each rounding of an update shows in them.
    (
        "NAdam",
        [
            {"lr": 0.5, "betas": [0.5, 0.8]},
            {"lr": 0.3, "weight_decay": 0.5, "decoupled_weight_decay": True, "momentum_decay": 0.1},
        ],
        [],
    ),
    (
        "RAdam",
        [
            {"lr": 0.5, "betas": [0.5, 0.8]},
            {"lr": 0.8, "betas": [0.9, 0.9], "weight_decay": 0.3},
        ],
        [],
    ),
    (
        "Adamax",
        [
            {"lr": 0.5},
            {"lr": 0.3, "betas": [0.5, 0.7], "weight_decay": 0.5},
        ],
        [],
    ),
    (
        "Adadelta",
        [
            {"lr": 50.0},
            {"lr": 20.0, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.5},
        ],
        [],
    ),
    (
        "Rprop",
        [
            {"lr": 0.5, "etas": [0.2, 1.9], "step_sizes": [1e-4, 2.0]},
            {"lr": 0.3, "maximize": True},
        ],
        [],
    ),
    # In float32, 1e-50 rounds to 0 (so a flipped sign's factor becomes 1 and no gradient is
    # zeroed) and both etas of the second group round to 1 (so every gradient is zeroed).
    (
        "Rprop",
        [
            {"lr": 0.1, "etas": [1e-50, 1.2]},
            {"lr": 0.1, "etas": [0.99999999, 1.00000001]},
        ],
        [],
    ),
    (
        "ASGD",
        [
            {"lr": 0.4, "lambd": 0.5, "t0": 2},
            {"lr": 0.3, "weight_decay": 0.3, "alpha": 0.9, "t0": 1},
        ],
        [],
    ),
]

SHAPES = [[2, 3], [4]]


def problem(seed, dtype):
    """Shapes, starting values, targets and noise of one case, exactly representable in
    dtype (so Rust builds the same numbers from the JSON)."""
    rng = random.Random(seed)

    def vals(n, lo, hi):
        return torch.tensor([rng.uniform(lo, hi) for _ in range(n)], dtype=torch.float64).to(dtype)

    params = []
    for i, shape in enumerate(SHAPES):
        n = 1
        for d in shape:
            n *= d
        has_grad = [rng.random() < 0.8 for _ in range(STEPS)]
        # The second parameter gets its first gradient late, so its state starts late.
        if i == 1:
            has_grad[0] = has_grad[1] = False
        has_grad[2] = True
        params.append(
            {
                "shape": shape,
                "init": vals(n, -1.0, 1.0),
                "a": vals(n, 0.2, 2.5),
                "c": vals(n, -1.5, 1.5),
                "noise": [vals(n, -0.6, 0.6) for _ in range(STEPS)],
                "has_grad": has_grad,
            }
        )
    return params


def state_of(state):
    out = {}
    for k, v in state.items():
        out[k] = v.item() if v.dim() == 0 else v.flatten().tolist()
    return out


def run(name, options, lr_changes, params, dtype):
    torch.set_default_dtype(dtype)
    ps = [p["init"].clone().reshape(p["shape"]).requires_grad_(True) for p in params]
    groups = []
    for p, o in zip(ps, options):
        o = {k: tuple(v) if isinstance(v, list) else v for k, v in o.items()}
        groups.append({"params": [p], **o, "foreach": False})
    opt = OPTIMIZERS[name](groups)
    trajectory = []
    for step in range(STEPS):
        for s, g, lr in lr_changes:
            if s == step:
                opt.param_groups[g]["lr"] = lr
        opt.zero_grad()
        with torch.no_grad():
            for p, spec in zip(ps, params):
                if spec["has_grad"][step]:
                    a, c = spec["a"].reshape(spec["shape"]), spec["c"].reshape(spec["shape"])
                    noise = spec["noise"][step].reshape(spec["shape"])
                    p.grad = a * (p - c) + noise
        opt.step()
        trajectory.append([p.detach().flatten().tolist() for p in ps])
    return trajectory, [state_of(opt.state[p]) for p in ps]


def run_all():
    """Every case in both dtypes, as (trajectory, final state) pairs."""
    out = []
    for ci, (name, options, lr_changes) in enumerate(CASES):
        for dtype in (torch.float64, torch.float32):
            out.append(run(name, options, lr_changes, problem(ci, dtype), dtype))
    return out


def use_ieee_sqrt():
    """Replaces Tensor.sqrt and Tensor.sqrt_ (the forms the optimizers call) by a correctly
    rounded square root: math.sqrt in double, rounded once to float32 for float32 tensors
    (exact, as double has more than twice float32's precision)."""
    calls = [0]

    def sqrt(self):
        calls[0] += 1
        values = [math.sqrt(x) if x >= 0 else math.nan for x in self.flatten().tolist()]
        return torch.tensor(values, dtype=self.dtype).reshape(self.shape)

    def sqrt_(self):
        return self.copy_(sqrt(self))

    torch.Tensor.sqrt = sqrt
    torch.Tensor.sqrt_ = sqrt_
    return calls


def main():
    if os.environ.get("GEN_CHILD"):
        calls = use_ieee_sqrt()
        results = run_all()
        assert calls[0] > 0, "the optimizers no longer call Tensor.sqrt"
        json.dump(results, sys.stdout)
        return
    env = dict(os.environ, GEN_CHILD="1", ATEN_CPU_CAPABILITY="default")
    child = subprocess.run([sys.executable, __file__], env=env, capture_output=True, check=True)
    ieee = json.loads(child.stdout)
    simd = run_all()
    cases = []
    k = 0
    for ci, (name, options, lr_changes) in enumerate(CASES):
        for dtype in (torch.float64, torch.float32):
            params = problem(ci, dtype)
            for p in params:
                p["init"] = p["init"].tolist()
                p["a"] = p["a"].tolist()
                p["c"] = p["c"].tolist()
                p["noise"] = [n.tolist() for n in p["noise"]]
            cases.append(
                {
                    "optimizer": name,
                    "dtype": str(dtype).removeprefix("torch."),
                    "options": options,
                    "lr_changes": lr_changes,
                    "params": params,
                    "trajectory": simd[k][0],
                    "state": simd[k][1],
                    "trajectory_ieee": ieee[k][0],
                    "state_ieee": ieee[k][1],
                }
            )
            k += 1
    torch.set_default_dtype(torch.float64)
    fixture = {
        "generated_by": f"torch {torch.__version__}, single-tensor implementations (foreach=False), CPU; "
        f"trajectory/state: kernels for {torch.backends.cpu.get_cpu_capability()}; "
        "*_ieee: ATEN_CPU_CAPABILITY=default and a correctly rounded Tensor.sqrt",
        "problem": "param i of group i (options[i], PyTorch's defaults for options not listed); "
        "before step t, lr_changes [t, group, lr] set that group's lr; at step t, if has_grad[t]: "
        "grad = a*(p - c) + noise[t] (elementwise in dtype, p the current value), else no gradient "
        "(zero_grad sets None); trajectory[t][i] is param i after step t; state[i] is param i's "
        "optimizer state after the last step (tensors flattened)",
        "cases": cases,
    }
    # The constructors' defaults, as their signatures state them.
    skip = {"self", "params", "foreach", "capturable", "differentiable"}
    fixture["defaults"] = {
        name: {
            k: list(p.default) if isinstance(p.default, tuple) else p.default
            for k, p in inspect.signature(cls.__init__).parameters.items()
            if k not in skip
        }
        for name, cls in OPTIMIZERS.items()
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "more_optimizers.json")
    with open(path, "w") as f:
        json.dump(fixture, f)
        f.write("\n")


if __name__ == "__main__":
    main()
