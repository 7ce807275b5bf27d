#!/usr/bin/env python3
"""W1-W4 of docs/performance.md in PyTorch and in backprop, in one invocation.

`--only` also takes the convolution and pooling workloads conv3x3, conv5x5, maxpool and
avgpool (one forward + backward each; `--only conv3x3,conv5x5,maxpool,avgpool`).

Runs each workload in PyTorch (CPU, float32, `--threads` threads), then runs
`cargo run --release --example perf_workloads` (the same workloads written with backprop's
autograd ops, same thread count) and prints one table with the ratio backprop / PyTorch per
workload (time ratio: below 1 means backprop is faster). With `--rounds N` it alternates
the two sides N times (PyTorch, backprop, PyTorch, ...) and reports each round's ratios and
the median of each side over the rounds, so that a slow minute of a shared machine does not
fall on one side only. Not part of CI.

Usage: python3 benches/reference/pytorch_reference.py [--threads N] [--budget SECONDS]
       [--rounds N] [--only w2,w3] [--memory]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
IRIS = ROOT / "crates" / "data" / "data" / "iris.csv"


def median_time(fn, budget, batch=1):
    """Median seconds per call of `fn`, over runs of `batch` calls for about `budget` s."""
    warm = time.perf_counter()
    while time.perf_counter() - warm < budget / 5:
        fn()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget or len(times) < 5:
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        times.append((time.perf_counter() - t) / batch)
    return statistics.median(times), len(times) * batch


def mlp(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def iris_120():
    rows = IRIS.read_text().strip().splitlines()[1:121]
    values = [[float(v) for v in r.split(",")] for r in rows]
    x = torch.tensor([v[:4] for v in values], dtype=torch.float32)
    y = torch.tensor([int(v[4]) for v in values], dtype=torch.long)
    return x, y


def w1(budget):
    x, y = iris_120()
    loss_fn = torch.nn.CrossEntropyLoss()

    def run():
        torch.manual_seed(0)
        model = mlp([4, 8, 9, 3])
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(100):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

    return median_time(run, budget)


def w2(budget):
    torch.manual_seed(1)
    model = mlp([784, 512, 512, 10])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(256, 784)
    y = torch.randint(0, 10, (256,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return median_time(step, budget)


def w3(budget):
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    return median_time(lambda: torch.matmul(a, b), budget)


def w4(budget):
    a = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)

    def run():
        c = a + b
        c.backward()

    return median_time(run, budget, batch=1000)


def conv(shape, c_out, k, pad):
    def make(budget):
        x = torch.randn(*shape, requires_grad=True)
        w = torch.randn(c_out, shape[1], k, k, requires_grad=True)
        b = torch.randn(c_out, requires_grad=True)

        def run():
            y = torch.nn.functional.conv2d(x, w, b, padding=pad).sum()
            y.backward()
            x.grad = w.grad = b.grad = None

        return median_time(run, budget)
    return make


def pool(f):
    def make(budget):
        x = torch.randn(16, 32, 32, 32, requires_grad=True)

        def run():
            y = f(x, 2).sum()
            y.backward()
            x.grad = None

        return median_time(run, budget)
    return make


def ours(threads, memory, budget, only):
    cmd = ["cargo", "run", "--release", "--quiet", "--example", "perf_workloads", "--",
           "--threads", str(threads), "--seconds", str(budget), "--only", ",".join(only)]
    if memory:
        cmd.append("--memory")
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {r["workload"]: r for r in rows}


def fmt(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--budget", type=float, default=3.0, help="seconds of timing per workload")
    p.add_argument("--memory", action="store_true", help="also report backprop's W2 RSS")
    p.add_argument("--rounds", type=int, default=1,
                   help="alternate PyTorch and backprop this many times; report medians")
    p.add_argument("--only", default="w1,w2,w3,w4", help="comma-separated workloads")
    args = p.parse_args()
    known = ("w1", "w2", "w3", "w4", "conv3x3", "conv5x5", "maxpool", "avgpool")
    names = [n for n in known if n in args.only.split(",")]
    if not names:
        sys.exit(f"error: --only names none of {','.join(known)}")
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, float32", file=sys.stderr)

    fns = {"w1": w1, "w2": w2, "w3": w3, "w4": w4,
           "conv3x3": conv((16, 16, 32, 32), 32, 3, 1), "conv5x5": conv((64, 1, 28, 28), 8, 5, 0),
           "maxpool": pool(torch.nn.functional.max_pool2d),
           "avgpool": pool(torch.nn.functional.avg_pool2d)}
    rounds_torch, rounds_mine = [], []
    memory = None
    for r in range(max(args.rounds, 1)):
        rounds_torch.append({name: fns[name](args.budget)[0] for name in names})
        got = ours(args.threads, args.memory and r == 0, args.budget, names)
        memory = memory or got.get("w2_memory")
        rounds_mine.append({name: got[name]["median_s"] for name in names})
        if args.rounds > 1:
            ratios = "  ".join(f"{n} {rounds_mine[-1][n] / rounds_torch[-1][n]:.3f}" for n in names)
            print(f"round {r + 1}: backprop/PyTorch  {ratios}", file=sys.stderr)
    torch_times = {n: statistics.median(t[n] for t in rounds_torch) for n in names}
    mine = {n: {"median_s": statistics.median(m[n] for m in rounds_mine)} for n in names}
    if memory:
        mine["w2_memory"] = memory

    what = {
        "w1": "Iris MLP 4-8-9-3, 100 Adam epochs",
        "w2": "MLP 784-512-512-10, batch 256, one Adam step",
        "w3": "sgemm 1024³",
        "w4": "1-element add + backward",
        "conv3x3": "conv 3x3 [16,16,32,32] to 32, fwd+bwd",
        "conv5x5": "conv 5x5 [64,1,28,28] to 8, fwd+bwd",
        "maxpool": "max pool 2x2 [16,32,32,32], fwd+bwd",
        "avgpool": "avg pool 2x2 [16,32,32,32], fwd+bwd",
    }
    if args.rounds > 1:
        print(f"medians over {args.rounds} rounds")
    print(f"{'workload':<46} {'PyTorch':>10} {'backprop':>10} {'backprop/PyTorch':>17}")
    for name in names:
        t, b = torch_times[name], mine[name]["median_s"]
        print(f"{name + ' ' + what[name]:<46} {fmt(t):>10} {fmt(b):>10} {b / t:>17.3f}")
    print()
    if "w2" in names:
        print(f"W2: PyTorch {1 / torch_times['w2']:.1f} steps/s, "
              f"backprop {1 / mine['w2']['median_s']:.1f} steps/s")
    if "w3" in names:
        print(f"W3: PyTorch {2 * 1024**3 / torch_times['w3'] / 1e9:.1f} GFLOP/s, "
              f"backprop {2 * 1024**3 / mine['w3']['median_s'] / 1e9:.1f} GFLOP/s")
    if "w2_memory" in mine:
        m = mine["w2_memory"]
        print(f"W2 memory (backprop): RSS {m['rss_kb_after_10'] / 1024:.1f} MiB after 10 steps, "
              f"{m['rss_kb_after_1000'] / 1024:.1f} MiB after 1000, peak {m['peak_rss_kb'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
