"""Generates more_losses.json: PyTorch (float64) values and gradients of MarginRankingLoss,
HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss,
CosineEmbeddingLoss, TripletMarginLoss, PoissonNLLLoss and GaussianNLLLoss, for the Rust test
tests/more_losses_fixture.rs.

Every case holds the differentiable inputs ("inputs"), the constant labels ("labels", float)
or class indices ("classes"), the options, the loss value and the gradient with respect to
each differentiable input: of the loss itself for "mean" and "sum", of sum(cotangent * loss)
for "none". Every number is a float32 value (the inputs are rounded to float32 before the
float64 computation), so the float32 test sees the same inputs. Inputs are drawn again until
no hinge sits within 1e-3 of its kink, where the two libraries may pick different
subgradients.

Run: python gen_more_losses.py > more_losses.json
"""
import json
import math

import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20240611)
KINK = 1e-3


def f32(t):
    return t.float().double()


def randn(*shape, scale=1.0):
    return f32(torch.randn(tuple(shape), generator=gen) * scale)


def uniform(lo, hi, *shape):
    return f32(lo + (hi - lo) * torch.rand(tuple(shape), generator=gen))


def signs(*shape):
    return torch.randint(0, 2, shape, generator=gen).double() * 2 - 1


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def away(z):
    """Whether no element of z is within KINK of 0."""
    return bool((z.abs() > KINK).all())


cases = []


def add(loss, reduction, inputs, fn, labels=None, classes=None, weight=None, **options):
    xs = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(xs)
    case = {"loss": loss, "reduction": reduction, "options": options,
            "inputs": {k: enc(v) for k, v in inputs.items()}}
    if labels is not None:
        case["labels"] = {k: enc(v) for k, v in labels.items()}
    if classes is not None:
        case["classes"] = enc(classes)
    if weight is not None:
        case["weight"] = enc(weight)
    if reduction == "none":
        cot = uniform(0.5, 1.5, *out.shape)
        case["cotangent"] = enc(cot)
        (out * cot).sum().backward()
    else:
        out.backward()
    case["value"] = enc(out)
    case["grads"] = {k: enc(v.grad) for k, v in xs.items()}
    cases.append(case)


F = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]

# MarginRankingLoss: max(0, -y(x1 - x2) + margin).
for shape, margin, reductions in [((6,), 0.0, REDUCTIONS), ((3, 4), 0.5, ["none", "mean"])]:
    while True:
        x1, x2, y = randn(*shape), randn(*shape), signs(*shape)
        if away(-y * (x1 - x2) + margin):
            break
    for r in reductions:
        add("MarginRankingLoss", r, {"input1": x1, "input2": x2},
            lambda v, y=y, m=margin, r=r: F.margin_ranking_loss(v["input1"], v["input2"], y, margin=m, reduction=r),
            labels={"target": y}, margin=margin)

# HingeEmbeddingLoss: x where y = 1, max(0, margin - x) where y = -1, both for other labels.
for shape, margin, labels, reductions in [
    ((4, 3), 1.0, [1.0, -1.0], REDUCTIONS),
    ((7,), 0.5, [1.0, -1.0, 0.0], ["none", "sum"]),
]:
    while True:
        x = randn(*shape)
        y = torch.tensor(labels)[torch.randint(0, len(labels), shape, generator=gen)]
        if away(margin - x):
            break
    for r in reductions:
        add("HingeEmbeddingLoss", r, {"input": x},
            lambda v, y=y, m=margin, r=r: F.hinge_embedding_loss(v["input"], y, margin=m, reduction=r),
            labels={"target": y}, margin=margin)

# SoftMarginLoss: log(1 + exp(-y x)), with logits as large as PyTorch keeps finite.
x = randn(3, 5, scale=3.0)
x[0, 0], x[1, 1], x[2, 2] = 30.0, -40.0, 15.5
y = signs(3, 5)
for r in REDUCTIONS:
    add("SoftMarginLoss", r, {"input": x},
        lambda v, r=r: F.soft_margin_loss(v["input"], y, reduction=r), labels={"target": y})

# MultiLabelSoftMarginLoss: mean over the classes (last axis), then the reduction.
for shape, weight_shape, reductions in [
    ((4, 5), None, REDUCTIONS),
    ((4, 5), (5,), ["none", "mean"]),
    ((3, 2, 4), (2, 4), ["none", "sum"]),
    ((6,), (6,), ["none"]),
]:
    x = randn(*shape, scale=2.0)
    y = torch.randint(0, 2, shape, generator=gen).double()
    w = uniform(0.2, 2.0, *weight_shape) if weight_shape else None
    for r in reductions:
        add("MultiLabelSoftMarginLoss", r, {"input": x},
            lambda v, y=y, w=w, r=r: F.multilabel_soft_margin_loss(v["input"], y, weight=w, reduction=r),
            labels={"target": y}, weight=w)

# MultiMarginLoss: (1/C) sum over c != y of w_y max(0, margin - x_y + x_c)^p.
for n, c, p, margin, weighted, reductions in [
    (5, 4, 1, 1.0, False, REDUCTIONS),
    (5, 4, 2, 1.0, False, ["none", "mean"]),
    (6, 3, 1, 0.75, True, ["none", "sum"]),
    (4, 5, 2, 0.5, True, ["mean"]),
    (None, 5, 2, 1.0, True, ["none"]),
]:
    shape = (n, c) if n else (c,)
    while True:
        x = randn(*shape)
        t = torch.randint(0, c, (n,) if n else (), generator=gen)
        x2, t2 = torch.atleast_2d(x), torch.atleast_1d(t)
        z = margin - x2.gather(1, t2[:, None]) + x2
        if away(z):
            break
    w = uniform(0.2, 2.0, c) if weighted else None
    for r in reductions:
        add("MultiMarginLoss", r, {"input": x},
            lambda v, t=t, p=p, m=margin, w=w, r=r: F.multi_margin_loss(v["input"], t, p=p, margin=m, weight=w, reduction=r),
            classes=t, weight=w, p=p, margin=margin)

# CosineEmbeddingLoss: 1 - cos where y = 1, max(0, cos - margin) where y = -1.
for shape, margin, labels, reductions in [
    ((5, 3), 0.0, [1.0, -1.0], REDUCTIONS),
    ((6, 4), 0.25, [1.0, -1.0, 0.0], ["none", "mean"]),
    ((4,), 0.0, [-1.0], ["none"]),
]:
    while True:
        x1, x2 = randn(*shape), randn(*shape)
        if len(shape) == 2:
            x1[0] = f32(x1[0] * 1e-7)  # tiny: PyTorch's epsilon matters
        y = torch.tensor(labels)[torch.randint(0, len(labels), shape[:-1], generator=gen)]
        if away(F.cosine_embedding_loss(x1, x2, -torch.ones(shape[:-1]), margin=-10.0) - 10.0 - margin):
            break
    for r in reductions:
        add("CosineEmbeddingLoss", r, {"input1": x1, "input2": x2},
            lambda v, y=y, m=margin, r=r: F.cosine_embedding_loss(v["input1"], v["input2"], y, margin=m, reduction=r),
            labels={"target": y}, margin=margin)

# TripletMarginLoss: max(0, margin + d(a, p) - d(a, n)), d = ||x - y + eps||_p.
for shape, margin, p, eps, swap, reductions in [
    ((5, 4), 1.0, 2.0, 1e-6, False, REDUCTIONS),
    ((5, 4), 0.5, 1.0, 1e-6, False, ["none"]),
    ((6, 3), 1.0, 3.0, 1e-6, True, ["none", "mean"]),
    ((5, 4), 2.0, 2.0, 0.0, True, ["sum"]),
    ((4, 5), 1.5, math.inf, 1e-6, False, ["none"]),
    ((4,), 1.0, 2.0, 1e-6, False, ["none"]),
]:
    while True:
        a, pos, neg = randn(*shape), randn(*shape), randn(*shape)
        d = lambda x, y: torch.pairwise_distance(x, y, p=p, eps=eps)
        dp, dn, ds = d(a, pos), d(a, neg), d(pos, neg)
        dneg = torch.minimum(dn, ds) if swap else dn
        if away(margin + dp - dneg) and (not swap or away(dn - ds)):
            break
    for r in reductions:
        add("TripletMarginLoss", r, {"anchor": a, "positive": pos, "negative": neg},
            lambda v, m=margin, p=p, eps=eps, swap=swap, r=r: F.triplet_margin_loss(
                v["anchor"], v["positive"], v["negative"], margin=m, p=p, eps=eps, swap=swap, reduction=r),
            margin=margin, p="inf" if p == math.inf else p, eps=eps, swap=swap)

# PoissonNLLLoss, gradients with respect to the input and the target.
counts = f32(torch.tensor([[0.0, 1.0, 2.0], [5.0, 0.5, 3.0], [0.0, 7.0, 1.5], [4.0, 2.5, 0.25]]))
positive_counts = counts.clamp(min=0.125)  # full=True: PyTorch's target gradient is NaN at 0
for log_input, full, eps, target, reductions in [
    (True, False, 1e-8, counts, REDUCTIONS),
    (True, True, 1e-8, positive_counts, ["none", "mean"]),
    (False, False, 1e-8, counts, ["none", "sum"]),
    (False, True, 0.5, positive_counts, ["none", "mean"]),
]:
    x = randn(4, 3) if log_input else uniform(0.1, 3.0, 4, 3)
    for r in reductions:
        add("PoissonNLLLoss", r, {"input": x, "target": target},
            lambda v, li=log_input, full=full, eps=eps, r=r: F.poisson_nll_loss(
                v["input"], v["target"], log_input=li, full=full, eps=eps, reduction=r),
            log_input=log_input, full=full, eps=eps)

# GaussianNLLLoss, gradients with respect to the input, the target and the variance; eps
# 0.25 clamps some variances (the gradient then passes as if unclamped).
for shape, var_shape, full, eps, reductions in [
    ((4, 3), (4, 3), False, 1e-6, REDUCTIONS),
    ((4, 3), (4,), True, 1e-6, ["none", "mean"]),
    ((4, 3), (4, 1), False, 0.25, ["none", "sum"]),
    ((4, 3), (1, 3), False, 1e-6, ["mean"]),
    ((2, 3, 2), (2, 1, 2), True, 0.25, ["none"]),
    ((5,), (5,), False, 0.25, ["none"]),
]:
    x, t = randn(*shape), randn(*shape)
    var = uniform(0.05, 2.0, *var_shape)
    for r in reductions:
        add("GaussianNLLLoss", r, {"input": x, "target": t, "var": var},
            lambda v, full=full, eps=eps, r=r: F.gaussian_nll_loss(
                v["input"], v["target"], v["var"], full=full, eps=eps, reduction=r),
            full=full, eps=eps)

print(json.dumps({"torch": torch.__version__, "cases": cases}, indent=None, separators=(",", ":")))
