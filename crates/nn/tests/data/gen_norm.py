"""Generates norm_embedding.json: PyTorch (float64) outputs and gradients of nn.LayerNorm,
nn.BatchNorm1d (training and evaluation steps, running statistics after each step) and
nn.Embedding, for the Rust test tests/norm_fixture.rs.

Run: /work/venv-torch-perf/bin/python crates/nn/tests/data/gen_norm.py
"""
import json
import pathlib

import torch

torch.manual_seed(0)
DT = torch.float64


def t(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def grad_of(x):
    return t(x.grad) if x.grad is not None else None


def layer_norm_cases():
    cases = []
    specs = [
        ([4], [3, 4], 1e-5, True, True),
        ([3, 4], [2, 5, 3, 4], 1e-5, True, True),
        ([5], [5], 1e-3, True, False),
        ([2, 3], [4, 2, 3], 1e-5, False, True),
        ([6], [2, 1, 6], 0.1, True, True),
    ]
    for shape, in_shape, eps, affine, bias in specs:
        ln = torch.nn.LayerNorm(shape, eps=eps, elementwise_affine=affine, bias=bias, dtype=DT)
        with torch.no_grad():
            for p in ln.parameters():
                p.copy_(torch.randn_like(p))
        x = (torch.randn(in_shape, dtype=DT) * 2 + 0.5).requires_grad_()
        y = ln(x)
        cot = torch.randn_like(y)
        y.backward(cot)
        cases.append({
            "normalized_shape": shape, "eps": eps, "elementwise_affine": affine, "bias": bias,
            "weight": t(ln.weight) if ln.weight is not None else None,
            "bias_value": t(ln.bias) if ln.bias is not None else None,
            "input": t(x), "cotangent": t(cot), "output": t(y), "grad_input": grad_of(x),
            "grad_weight": grad_of(ln.weight) if ln.weight is not None else None,
            "grad_bias": grad_of(ln.bias) if ln.bias is not None else None,
        })
    return cases


def batch_norm_cases():
    cases = []
    specs = [
        # num_features, input shapes per step, eps, momentum, affine, track, modes per step
        (3, [[4, 3], [5, 3], [4, 3], [6, 3]], 1e-5, 0.1, True, True, [1, 1, 1, 0]),
        (2, [[3, 2, 4], [2, 2, 5], [3, 2, 4]], 1e-5, None, True, True, [1, 1, 0]),
        (4, [[5, 4], [2, 4], [3, 4]], 1e-3, 0.3, False, True, [1, 1, 0]),
        (2, [[3, 2, 3], [4, 2, 1]], 1e-5, 0.1, True, False, [1, 0]),
    ]
    for c, shapes, eps, momentum, affine, track, modes in specs:
        bn = torch.nn.BatchNorm1d(c, eps=eps, momentum=momentum, affine=affine,
                                  track_running_stats=track, dtype=DT)
        with torch.no_grad():
            for p in bn.parameters():
                p.copy_(torch.randn_like(p))
        init = {k: t(v) for k, v in bn.state_dict().items() if k in ("weight", "bias")}
        steps = []
        for shape, mode in zip(shapes, modes):
            bn.train(bool(mode))
            bn.zero_grad()
            x = (torch.randn(shape, dtype=DT) * 1.5 - 0.3).requires_grad_()
            y = bn(x)
            cot = torch.randn_like(y)
            y.backward(cot)
            state = {k: (t(v.to(DT)) if k == "num_batches_tracked" else t(v))
                     for k, v in bn.state_dict().items()}
            steps.append({
                "train": bool(mode), "input": t(x), "cotangent": t(cot), "output": t(y),
                "grad_input": grad_of(x),
                "grad_weight": grad_of(bn.weight) if affine else None,
                "grad_bias": grad_of(bn.bias) if affine else None,
                "state_dict": state,
            })
        cases.append({
            "num_features": c, "eps": eps, "momentum": momentum, "affine": affine,
            "track_running_stats": track, "init": init, "steps": steps,
        })
    return cases


def embedding_cases():
    cases = []
    specs = [(5, 3, None, [4]), (6, 2, 0, [2, 3]), (4, 4, 2, [3, 2, 2]), (7, 3, 6, [])]
    for n, d, pad, idx_shape in specs:
        emb = torch.nn.Embedding(n, d, padding_idx=pad, dtype=DT)
        with torch.no_grad():
            emb.weight.copy_(torch.randn_like(emb.weight))  # padding row non-zero on purpose
        idx = torch.randint(0, n, idx_shape)
        if pad is not None and idx.numel() > 0:
            idx.view(-1)[0] = pad
        y = emb(idx)
        cot = torch.randn_like(y)
        y.backward(cot)
        cases.append({
            "num_embeddings": n, "embedding_dim": d, "padding_idx": pad,
            "weight": t(emb.weight), "indices": {"shape": list(idx.shape),
                                                  "data": idx.reshape(-1).tolist()},
            "cotangent": t(cot), "output": t(y), "grad_weight": grad_of(emb.weight),
        })
    return cases


out = {
    "torch": torch.__version__,
    "dtype": "float64",
    "layer_norm": layer_norm_cases(),
    "batch_norm": batch_norm_cases(),
    "embedding": embedding_cases(),
}
path = pathlib.Path(__file__).with_name("norm_embedding.json")
path.write_text(json.dumps(out) + "\n")
print("wrote", path)
