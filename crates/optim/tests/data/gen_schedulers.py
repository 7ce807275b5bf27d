"""Reference learning rates of torch.optim.lr_scheduler for backprop-optim's scheduler tests.

Run with the PyTorch venv:  python gen_schedulers.py > schedulers.json

Every case builds an optimizer over two parameter groups (base rates 0.1 and 0.03; SGD with
momentum 0.9 unless stated), attaches the schedulers, and records after construction and
after each step: every group's lr, the momentum (SGD/RMSprop "momentum", Adam "betas") and
get_last_lr() of the outermost scheduler. All in float64 (Python floats). `errors` lists
options for which PyTorch raises, with the exception it raises.
"""

import json
import math
import warnings

import torch
from torch.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from torch.optim import lr_scheduler as S

warnings.filterwarnings("ignore")

BASE = [0.1, 0.03]


def optimizer(kind="sgd"):
    groups = [
        {"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": BASE[0]},
        {"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": BASE[1]},
    ]
    if kind == "sgd":
        return SGD(groups, lr=0.5, momentum=0.9)
    if kind == "sgd0":
        return SGD(groups, lr=0.5)
    if kind == "adam":
        return Adam(groups, lr=0.5, betas=(0.9, 0.999))
    if kind == "adamw":
        return AdamW(groups, lr=0.5)
    if kind == "rmsprop":
        return RMSprop(groups, lr=0.5)
    if kind == "adagrad":
        return Adagrad(groups, lr=0.5)
    raise ValueError(kind)


def momenta(opt):
    out = []
    for g in opt.param_groups:
        if "betas" in g:
            out.append([g["betas"][0], g["betas"][1]])
        elif "momentum" in g:
            out.append([g["momentum"]])
        else:
            out.append([])
    return out


def record(opt, sched, steps, step=None):
    step = step or (lambda: sched.step())
    lrs, moms, last, subs = [], [], [], []

    def snap():
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(momenta(opt))
        last.append([float(x) for x in sched.get_last_lr()])
        if isinstance(sched, S.SequentialLR):
            subs.append([getattr(s, "last_epoch", None) for s in sched._schedulers])

    snap()
    for _ in range(steps):
        opt.step()
        step()
        snap()
    out = {"lrs": lrs, "momenta": moms, "last_lr": last}
    if subs:
        # last_epoch of each scheduler a SequentialLR holds (None for a ChainedScheduler).
        out["sub_epochs"] = subs
    return out


CASES = {}


def case(name, kind="sgd", steps=30):
    def deco(build):
        opt = optimizer(kind)
        sched = build(opt)
        CASES[name] = {"optimizer": kind, "steps": steps, **record(opt, sched, steps)}
        return build

    return deco


# ---- LambdaLR
@case("lambda_single")
def _(o):
    return S.LambdaLR(o, lambda e: 0.95**e)


@case("lambda_per_group")
def _(o):
    return S.LambdaLR(o, [lambda e: 1.0 / (e + 1), lambda e: 0.5 ** (e // 3)])


# ---- MultiplicativeLR
@case("multiplicative_single")
def _(o):
    return S.MultiplicativeLR(o, lambda e: 0.9)


@case("multiplicative_per_group")
def _(o):
    return S.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1.0 - 0.01 * e])


@case("multiplicative_chained_after_linear")
def _(o):
    S.LinearLR(o, start_factor=0.25, total_iters=4)
    return S.MultiplicativeLR(o, lambda e: 0.97)


# ---- SequentialLR
@case("sequential_linear_cosine")
def _(o):
    a = S.LinearLR(o, start_factor=0.1, total_iters=4)
    b = S.CosineAnnealingLR(o, T_max=10, eta_min=1e-3)
    return S.SequentialLR(o, [a, b], milestones=[5])


@case("sequential_three")
def _(o):
    a = S.ConstantLR(o, factor=0.5, total_iters=3)
    b = S.ExponentialLR(o, gamma=0.9)
    c = S.StepLR(o, step_size=3, gamma=0.5)
    return S.SequentialLR(o, [a, b, c], milestones=[4, 10])


@case("sequential_lambda_multiplicative")
def _(o):
    a = S.LambdaLR(o, lambda e: 1.0 / (e + 1))
    b = S.MultiplicativeLR(o, lambda e: 0.8 if e > 0 else 0.5)
    return S.SequentialLR(o, [a, b], milestones=[3])


@case("sequential_milestone_zero")
def _(o):
    a = S.ConstantLR(o, factor=0.5, total_iters=2)
    b = S.ExponentialLR(o, gamma=0.9)
    return S.SequentialLR(o, [a, b], milestones=[0])


@case("sequential_chained_first")
def _(o):
    a = S.ConstantLR(o, factor=0.5, total_iters=3)
    b = S.ExponentialLR(o, gamma=0.9)
    c = S.ChainedScheduler([a, b], optimizer=o)
    d = S.CosineAnnealingLR(o, T_max=8)
    return S.SequentialLR(o, [c, d], milestones=[6])


@case("sequential_restarts_polynomial_multistep")
def _(o):
    a = S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)
    b = S.PolynomialLR(o, total_iters=6, power=2.0)
    c = S.MultiStepLR(o, milestones=[0, 2, 2, 5], gamma=0.5)
    return S.SequentialLR(o, [a, b, c], milestones=[7, 12])


@case("sequential_cyclic_onecycle", steps=26)
def _(o):
    a = S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)
    b = S.OneCycleLR(o, max_lr=[0.2, 0.05], total_steps=14)
    return S.SequentialLR(o, [a, b], milestones=[12])


@case("sequential_chained_after_milestone_zero", steps=8)
def _(o):
    a = S.ExponentialLR(o, gamma=0.5)
    b = S.ExponentialLR(o, gamma=0.9)
    c = S.ChainedScheduler([b], optimizer=o)
    return S.SequentialLR(o, [a, c], milestones=[0])


@case("sequential_nested")
def _(o):
    a = S.LinearLR(o, start_factor=0.5, total_iters=2)
    b = S.ExponentialLR(o, gamma=0.8)
    inner = S.SequentialLR(o, [a, b], milestones=[3])
    c = S.StepLR(o, step_size=2, gamma=0.5)
    return S.SequentialLR(o, [inner, c], milestones=[7])


# ---- ChainedScheduler
@case("chained_constant_exponential")
def _(o):
    a = S.ConstantLR(o, factor=0.1, total_iters=20)
    b = S.ExponentialLR(o, gamma=0.9)
    return S.ChainedScheduler([a, b], optimizer=o)


@case("chained_warmup_cosine_multistep", steps=40)
def _(o):
    a = S.LinearLR(o, start_factor=0.2, total_iters=5)
    b = S.CosineAnnealingLR(o, T_max=15, eta_min=1e-4)
    c = S.MultiStepLR(o, milestones=[10, 25], gamma=0.3)
    return S.ChainedScheduler([a, b, c])


@case("chained_with_sequential")
def _(o):
    a = S.ConstantLR(o, factor=0.5, total_iters=4)
    b = S.PolynomialLR(o, total_iters=8, power=1.5)
    seq = S.SequentialLR(o, [a, b], milestones=[5])
    c = S.MultiplicativeLR(o, lambda e: 0.99)
    return S.ChainedScheduler([seq, c], optimizer=o)


# ---- CyclicLR
@case("cyclic_triangular", steps=45)
def _(o):
    return S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)


@case("cyclic_triangular2_down", steps=45)
def _(o):
    return S.CyclicLR(o, base_lr=[0.01, 0.002], max_lr=[0.1, 0.05], step_size_up=3,
                      step_size_down=7, mode="triangular2", base_momentum=[0.8, 0.85],
                      max_momentum=[0.9, 0.95])


@case("cyclic_exp_range", steps=45)
def _(o):
    return S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.97)


@case("cyclic_custom_cycle", steps=45)
def _(o):
    return S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3,
                      scale_fn=lambda x: 1.0 / (1.0 + x), mode="triangular2")


@case("cyclic_custom_iterations", steps=45)
def _(o):
    return S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4,
                      scale_fn=lambda x: math.exp(-0.05 * x), scale_mode="iterations")


@case("cyclic_adam_betas", kind="adam", steps=20)
def _(o):
    return S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=3, base_momentum=0.85,
                      max_momentum=0.95)


@case("cyclic_rmsprop", kind="rmsprop", steps=20)
def _(o):
    return S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=3)


@case("cyclic_no_momentum_adagrad", kind="adagrad", steps=20)
def _(o):
    return S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=3, step_size_down=0,
                      cycle_momentum=False)


@case("cyclic_after_constant", steps=20)
def _(o):
    S.ConstantLR(o, factor=0.5, total_iters=3)
    return S.CyclicLR(o, base_lr=0.02, max_lr=0.1, step_size_up=3, cycle_momentum=False)


# ---- OneCycleLR
@case("onecycle_cos", steps=20)
def _(o):
    return S.OneCycleLR(o, max_lr=0.5, total_steps=20)


@case("onecycle_linear_three_phase", steps=25)
def _(o):
    return S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=25, pct_start=0.4,
                        anneal_strategy="linear", three_phase=True, div_factor=10.0,
                        final_div_factor=100.0)


@case("onecycle_cos_three_phase_epochs", steps=30)
def _(o):
    return S.OneCycleLR(o, max_lr=0.5, epochs=6, steps_per_epoch=5, three_phase=True,
                        base_momentum=[0.8, 0.85], max_momentum=[0.9, 0.99])


@case("onecycle_adamw_betas", kind="adamw", steps=15)
def _(o):
    return S.OneCycleLR(o, max_lr=0.01, total_steps=15, pct_start=0.2)


@case("onecycle_no_momentum_adagrad", kind="adagrad", steps=12)
def _(o):
    return S.OneCycleLR(o, max_lr=0.3, total_steps=12, cycle_momentum=False)


@case("onecycle_pct_zero", steps=10)
def _(o):
    return S.OneCycleLR(o, max_lr=0.3, total_steps=10, pct_start=0.0)


@case("onecycle_then_exponential", steps=12)
def _(o):
    a = S.OneCycleLR(o, max_lr=0.3, total_steps=12, cycle_momentum=False)
    b = S.ExponentialLR(o, gamma=0.9)
    return S.ChainedScheduler([a, b], optimizer=o)


# ---- CosineAnnealingWarmRestarts
@case("warm_restarts_t0_5")
def _(o):
    return S.CosineAnnealingWarmRestarts(o, T_0=5)


@case("warm_restarts_mult2_eta", steps=40)
def _(o):
    return S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3)


@case("warm_restarts_mult3_chained_after_linear", steps=30)
def _(o):
    S.LinearLR(o, start_factor=0.5, total_iters=3)
    return S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=3, eta_min=1e-4)


# step(epoch) with fractional epochs, then plain steps
EPOCHS = [0.5, 1.25, 2.0, 2.75, 3.0, 7.5, 9.0, 20.125, 21.0, 44.9, 45.0, 100.0, 1.5, 0.0, 13.0]


def _fractional(t0, tmult, eta):
    o = optimizer("sgd")
    s = S.CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=tmult, eta_min=eta)
    it = iter(EPOCHS)
    n = len(EPOCHS)
    count = [0]

    def step():
        if count[0] < n:
            s.step(next(it))
        else:
            s.step()
        count[0] += 1

    return {"optimizer": "sgd", "steps": n + 5, "epochs": EPOCHS,
            **record(o, s, n + 5, step)}


CASES["warm_restarts_fractional_mult1"] = _fractional(4, 1, 0.0)
CASES["warm_restarts_fractional_mult2"] = _fractional(3, 2, 1e-3)
CASES["warm_restarts_fractional_mult3"] = _fractional(2, 3, 0.0)


# ---- jump_to (deprecated step(epoch), the closed forms) on the chainable schedulers
def _jumps(build):
    o = optimizer("sgd")
    s = build(o)
    epochs = [3, 0, 7, 12, 5, 5, 20]
    lrs = []
    for e in epochs:
        s.step(e)
        lrs.append([g["lr"] for g in o.param_groups])
    return {"optimizer": "sgd", "epochs": epochs, "lrs": lrs}


JUMPS = {
    "step": _jumps(lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
    "multistep": _jumps(lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5)),
    "constant": _jumps(lambda o: S.ConstantLR(o, factor=0.25, total_iters=5)),
    "linear": _jumps(lambda o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=8)),
    "exponential": _jumps(lambda o: S.ExponentialLR(o, gamma=0.9)),
    "cosine": _jumps(lambda o: S.CosineAnnealingLR(o, T_max=9, eta_min=1e-3)),
    "polynomial": _jumps(lambda o: S.PolynomialLR(o, total_iters=10, power=1.7)),
    "lambda": _jumps(lambda o: S.LambdaLR(o, lambda e: 0.9**e)),
    "multiplicative": _jumps(lambda o: S.MultiplicativeLR(o, lambda e: 0.9)),
    "cyclic": _jumps(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    "onecycle": _jumps(lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=20)),
}


# ---- options PyTorch rejects
def raises(name, build, kind="sgd"):
    try:
        o = optimizer(kind)
        s = build(o)
        return None
    except Exception as e:  # noqa: BLE001
        return {"name": name, "exception": type(e).__name__, "message": str(e)}


def onecycle_overstep(o):
    s = S.OneCycleLR(o, max_lr=0.5, total_steps=5)
    for _ in range(6):
        s.step()
    return s


def onecycle_pct_one_last_step(o):
    s = S.OneCycleLR(o, max_lr=0.5, total_steps=5, pct_start=1.0)
    for _ in range(5):
        s.step()
    return s


def sequential_chained_at_milestone(o):
    a = S.ExponentialLR(o, gamma=0.9)
    b = S.ConstantLR(o, factor=0.5)
    c = S.ChainedScheduler([b], optimizer=o)
    s = S.SequentialLR(o, [a, c], milestones=[2])
    for _ in range(2):
        s.step()
    return s


def warm_restarts_negative_epoch(o):
    s = S.CosineAnnealingWarmRestarts(o, T_0=2)
    s.step(-1.0)
    return s


ERRORS = [
    raises("lambda_wrong_count", lambda o: S.LambdaLR(o, [lambda e: 1.0])),
    raises("multiplicative_wrong_count", lambda o: S.MultiplicativeLR(o, [lambda e: 1.0] * 3)),
    raises("sequential_empty", lambda o: S.SequentialLR(o, [], milestones=[])),
    raises("sequential_wrong_milestones",
           lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.9), S.StepLR(o, 2)], milestones=[1, 2])),
    raises("sequential_other_optimizer",
           lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.9),
                                        S.ExponentialLR(SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 0.9)],
                                    milestones=[1])),
    raises("sequential_chained_at_milestone", sequential_chained_at_milestone),
    raises("chained_empty", lambda o: S.ChainedScheduler([], optimizer=o)),
    raises("chained_other_optimizer",
           lambda o: S.ChainedScheduler([S.ExponentialLR(o, 0.9),
                                         S.ExponentialLR(SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 0.9)],
                                        optimizer=o)),
    raises("cyclic_base_lr_count", lambda o: S.CyclicLR(o, base_lr=[0.1, 0.2, 0.3], max_lr=1.0)),
    raises("cyclic_max_lr_count", lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=[1.0])),
    raises("cyclic_step_size_up_zero", lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=0)),
    raises("cyclic_adagrad_momentum", lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0), "adagrad"),
    raises("cyclic_momentum_count",
           lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, base_momentum=[0.8, 0.8, 0.8])),
    raises("onecycle_no_steps", lambda o: S.OneCycleLR(o, max_lr=1.0)),
    raises("onecycle_total_steps_zero", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=0)),
    raises("onecycle_epochs_zero", lambda o: S.OneCycleLR(o, max_lr=1.0, epochs=0, steps_per_epoch=3)),
    raises("onecycle_steps_per_epoch_zero",
           lambda o: S.OneCycleLR(o, max_lr=1.0, epochs=3, steps_per_epoch=0)),
    raises("onecycle_pct_start_above_one",
           lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5)),
    raises("onecycle_pct_start_negative",
           lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=-0.1)),
    raises("onecycle_max_lr_count", lambda o: S.OneCycleLR(o, max_lr=[1.0], total_steps=10)),
    raises("onecycle_adagrad_momentum", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10), "adagrad"),
    raises("onecycle_first_phase_empty",
           lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.1)),
    raises("onecycle_overstep", onecycle_overstep),
    raises("onecycle_pct_one_last_step", onecycle_pct_one_last_step),
    raises("warm_restarts_t0_zero", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0)),
    raises("warm_restarts_tmult_zero", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0)),
    raises("warm_restarts_negative_epoch", warm_restarts_negative_epoch),
]
assert all(e is not None for e in ERRORS), [e for e in ERRORS]

print(json.dumps({
    "torch_version": torch.__version__,
    "generator": "crates/optim/tests/data/gen_schedulers.py",
    "base_lrs": BASE,
    "cases": CASES,
    "jumps": JUMPS,
    "errors": ERRORS,
}, indent=1))
