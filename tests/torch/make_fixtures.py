#!/usr/bin/env python3
"""Writes the PyTorch cross-check fixtures that tests/torch/torch_crosscheck_test.cpp reads.

Usage: make_fixtures.py --out FILE.json

Every case draws its inputs from a seeded torch.Generator as float32 values (so nabla's float32 and float64
runs see exactly the same numbers), then computes the expected outputs and gradients with PyTorch in float64.
Each case is a function returning {name: tensor or number}; the file is {"cases": {case: {name: value}}} with
tensors as {"shape": [...], "data": [...]} (row-major, float64, which JSON round-trips exactly).

If PyTorch cannot be imported, the file holds {"error": "..."} instead and the script still exits 0, so that
ctest runs the gtest binary and every cross-check FAILS with that message (a missing dependency must not look
like a pass or a skip). Any other problem makes the script fail, and ctest then does not run the cross-checks.
"""
import argparse
import json
import os
import sys
import zlib

import attention_cases  # LayerNormalization and MultiHeadAttention (its own file: parallel work)

torch = None  # imported in main(), so that a missing PyTorch is reported through the fixture file
F = None

# Cases for what nabla has today: Dense, Dropout, softmax, losses, optimizers.
CORE_CASES = []
# Conv2D and BatchNorm are being written in parallel; their generators go in this separate list (and their
# C++ checks in their own *_test.cpp file in tests/torch/) so the two pieces of work do not collide.
CONV_BN_CASES = []
# SimpleRNN, LSTM and GRU (tests/torch/recurrent_crosscheck_test.cpp).
RNN_CASES = []


def case(registry):
    def add(fn):
        registry.append(fn)
        return fn
    return add


def T(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": t.flatten().tolist()}


def rnd(g, *shape, lo=-1.0, hi=1.0):
    """Uniform float32 values in [lo, hi), widened to float64 (exactly representable in float32)."""
    return (torch.rand(*shape, generator=g, dtype=torch.float32) * (hi - lo) + lo).to(torch.float64)


def randn(g, *shape, scale=1.0):
    return (torch.randn(*shape, generator=g, dtype=torch.float32) * scale).to(torch.float64)


def grad_of(fn, *inputs, gy=None):
    """Value of fn(*inputs) and its gradients wrt every input (for upstream gradient gy, or 1 for a scalar)."""
    xs = [x.clone().requires_grad_(True) for x in inputs]
    y = fn(*xs)
    y.backward(gy if gy is not None else torch.ones_like(y))
    return (y.detach(), *[x.grad for x in xs])


# ---------------------------------------------------------------------------------------------------------------
# Dense, Dropout, softmax


@case(CORE_CASES)
def dense(g):
    x, w, b = rnd(g, 8, 20), rnd(g, 20, 12, lo=-0.5, hi=0.5), rnd(g, 12, lo=-0.2, hi=0.2)
    gy = randn(g, 8, 12)
    pre = x @ w + b
    # relu's derivative at 0 is a convention; keep pre-activations clear of it so the check is about arithmetic.
    assert pre.abs().min() > 1e-4, "pick another seed: a pre-activation is too close to 0"
    out = {"x": x, "w": w, "b": b, "gy": gy}
    for act, f in (("linear", lambda v: v), ("relu", torch.relu)):
        y, dx, dw, db = grad_of(lambda x, w, b: f(x @ w + b), x, w, b, gy=gy)
        out.update({f"{act}_y": y, f"{act}_dx": dx, f"{act}_dw": dw, f"{act}_db": db})
    # Dense on a rank-3 input acts on the last axis (Keras semantics; torch.nn.Linear does the same).
    x3 = rnd(g, 2, 3, 20)
    gy3 = randn(g, 2, 3, 12)
    lin = torch.nn.Linear(20, 12).double()
    with torch.no_grad():
        lin.weight.copy_(w.t())
        lin.bias.copy_(b)
    x3r = x3.clone().requires_grad_(True)
    y3 = lin(x3r)
    y3.backward(gy3)
    out.update({"x3": x3, "gy3": gy3, "rank3_y": y3, "rank3_dx": x3r.grad, "rank3_dw": lin.weight.grad.t(),
                "rank3_db": lin.bias.grad})
    return out


@case(CORE_CASES)
def dropout_eval(g):
    x, gy = rnd(g, 6, 7), randn(g, 6, 7)
    layer = torch.nn.Dropout(p=0.4).eval()
    y, dx = grad_of(layer, x, gy=gy)
    return {"rate": 0.4, "x": x, "gy": gy, "y": y, "dx": dx}


@case(CORE_CASES)
def softmax(g):
    x = rnd(g, 6, 10, lo=-4, hi=4)
    x[5] += 300.0  # a row far from 0: a naive exp overflows in float32
    gy = randn(g, 6, 10)
    y, dx = grad_of(lambda v: torch.softmax(v, -1), x, gy=gy)
    ly, ldx = grad_of(lambda v: torch.log_softmax(v, -1), x, gy=gy)
    return {"x": x, "gy": gy, "softmax_y": y, "softmax_dx": dx, "log_softmax_y": ly, "log_softmax_dx": ldx}


# ---------------------------------------------------------------------------------------------------------------
# Losses, with Keras's semantics: per-sample loss (mean over non-batch axes), then sum(w_i l_i) / N.

KERAS_EPS = 1e-7  # Keras's backend epsilon, used to clip probabilities


@case(CORE_CASES)
def sparse_categorical_crossentropy(g):
    n, c = 8, 5
    logits = rnd(g, n, c, lo=-3, hi=3)
    labels = torch.randint(0, c, (n,), generator=g)
    sw = rnd(g, n, lo=0, hi=2)
    loss, dlogits = grad_of(lambda z: F.cross_entropy(z, labels), logits)
    wloss, wdlogits = grad_of(lambda z: (F.cross_entropy(z, labels, reduction="none") * sw).sum() / n, logits)
    # Probabilities that are a leaf (no logits behind them): Keras 3 renormalises each row to sum 1, clips and
    # takes -log p[label] (torch's nll_loss has no such step; Keras's definition wins, so it is written out here).
    # Row 0's label gets a probability below the clip so that the clipped branch is exercised.
    probs = torch.softmax(rnd(g, n, c, lo=-2, hi=2), -1).to(torch.float32).to(torch.float64)
    probs[0, labels[0]] = 1e-9

    def from_probs(p):
        q = (p / p.sum(-1, keepdim=True)).clamp(KERAS_EPS, 1 - KERAS_EPS)
        return -torch.log(q).gather(1, labels[:, None]).squeeze(1).mean()

    ploss, dprobs = grad_of(from_probs, probs)
    return {"logits": logits, "labels": labels.double(), "sample_weight": sw, "loss": loss, "dlogits": dlogits,
            "weighted_loss": wloss, "weighted_dlogits": wdlogits, "probs": probs, "probs_loss": ploss,
            "dprobs": dprobs}


@case(CORE_CASES)
def categorical_crossentropy(g):
    n, c = 8, 5
    logits = rnd(g, n, c, lo=-3, hi=3)
    targets = rnd(g, n, c, lo=0, hi=1)
    targets = (targets / targets.sum(-1, keepdim=True)).to(torch.float32).to(torch.float64)
    loss, dlogits = grad_of(lambda z: -(targets * torch.log_softmax(z, -1)).sum(-1).mean(), logits)
    # Unnormalised probabilities: Keras divides by the row sum, clips, then takes -sum(y log p).
    probs = (torch.softmax(rnd(g, n, c, lo=-2, hi=2), -1) * rnd(g, n, 1, lo=0.8, hi=1.2)).to(torch.float32)
    probs = probs.to(torch.float64)

    def from_probs(p):
        q = (p / p.sum(-1, keepdim=True)).clamp(KERAS_EPS, 1 - KERAS_EPS)
        return -(targets * torch.log(q)).sum(-1).mean()

    ploss, dprobs = grad_of(from_probs, probs)
    return {"logits": logits, "targets": targets, "loss": loss, "dlogits": dlogits,
            "probs": probs, "probs_loss": ploss, "dprobs": dprobs}


@case(CORE_CASES)
def binary_crossentropy(g):
    n, k = 8, 3
    logits = rnd(g, n, k, lo=-4, hi=4)
    targets = rnd(g, n, k, lo=0, hi=1)
    targets[:4] = targets[:4].round()  # hard 0/1 labels and soft targets
    loss, dlogits = grad_of(lambda z: F.binary_cross_entropy_with_logits(z, targets), logits)
    probs = torch.sigmoid(rnd(g, n, k, lo=-3, hi=3)).to(torch.float32).to(torch.float64)

    # Keras 3's formula on probabilities (keras.ops.binary_crossentropy): clip to [eps, 1-eps], then
    # -(y log p + (1 - y) log(1 - p)). torch's F.binary_cross_entropy clamps the logs at -100 instead of clipping
    # p, so Keras's formula (which nabla follows) is written out here.
    def from_probs(p):
        q = p.clamp(KERAS_EPS, 1 - KERAS_EPS)
        return -(targets * torch.log(q) + (1 - targets) * torch.log(1 - q)).mean(-1).mean()

    ploss, dprobs = grad_of(from_probs, probs)
    return {"logits": logits, "targets": targets, "loss": loss, "dlogits": dlogits, "probs": probs,
            "probs_loss": ploss, "dprobs": dprobs}


@case(CORE_CASES)
def regression_losses(g):
    n, k = 8, 3
    y_true = rnd(g, n, k, lo=-2, hi=2)
    y_pred = y_true + rnd(g, n, k, lo=-2.5, hi=2.5)
    err = (y_pred - y_true).abs()
    # |error| at exactly 0 or delta would test a convention, not arithmetic; both branches must be exercised.
    assert err.min() > 1e-3 and ((err - 1.0).abs().min() > 1e-3) and ((err - 0.5).abs().min() > 1e-3)
    assert (err < 0.5).any() and (err > 1.0).any()
    out = {"y_true": y_true, "y_pred": y_pred}
    for name, f in (("mse", F.mse_loss), ("mae", F.l1_loss),
                    ("huber", lambda p, t: F.huber_loss(p, t, delta=1.0)),
                    ("huber_half", lambda p, t: F.huber_loss(p, t, delta=0.5))):
        loss, dpred = grad_of(lambda p: f(p, y_true), y_pred)
        out.update({f"{name}_loss": loss, f"{name}_dpred": dpred})
    return out


# ---------------------------------------------------------------------------------------------------------------
# Optimizers: a parameter and a fixed sequence of gradients; the expected parameter after every step.

STEPS = 6


def trajectory(p0, grads, step):
    """Applies step(p, g, t) for t = 1..len(grads); returns the parameters after each step, stacked."""
    p, out = p0.clone(), []
    for t, gr in enumerate(grads, start=1):
        p = step(p, gr, t)
        out.append(p.clone())
    return torch.stack(out)


def torch_optim_trajectory(p0, grads, make):
    p = p0.clone().requires_grad_(True)
    opt = make([p])
    out = []
    for gr in grads:
        p.grad = gr.clone()
        opt.step()
        out.append(p.detach().clone())
    return torch.stack(out)


def check_same(a, b, what, tol=1e-12):
    err = (a - b).abs().max().item()
    if not err <= tol * max(1.0, b.abs().max().item()):
        raise AssertionError(f"{what}: max difference {err}")


def keras_sgd(lr, momentum, nesterov):
    """Keras: v = momentum v - lr g; p += v (nesterov: p += momentum v - lr g)."""
    state = {}

    def step(p, gr, t):
        if momentum == 0:
            return p - lr * gr
        v = momentum * state.get("v", torch.zeros_like(p)) - lr * gr
        state["v"] = v
        return p + (momentum * v - lr * gr if nesterov else v)
    return step


@case(CORE_CASES)
def sgd(g):
    p0 = rnd(g, 6, 5)
    grads = randn(g, STEPS, 6, 5)
    out = {"p0": p0, "grads": grads}
    for name, lr, mom, nest in (("plain", 0.1, 0.0, False), ("momentum", 0.05, 0.9, False),
                                ("nesterov", 0.05, 0.9, True)):
        # torch keeps buf = mom buf + g and does p -= lr buf (nesterov: p -= lr (g + mom buf)). With a constant
        # lr, Keras's velocity is v = -lr buf, so the two are the same update; check that rather than assume it,
        # then store torch.optim's trajectory (the implementation independent of nabla).
        ref = torch_optim_trajectory(p0, grads, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mom, nesterov=nest))
        check_same(trajectory(p0, grads, keras_sgd(lr, mom, nest)), ref, f"SGD {name}: Keras formula vs torch.optim")
        out.update({f"{name}_lr": lr, f"{name}_momentum": mom, f"{name}_nesterov": float(nest),
                    f"{name}_trajectory": ref})
    return out


def keras_adam(lr, b1, b2, eps, amsgrad=False, weight_decay=0.0):
    """Keras's Adam, written out with torch ops: epsilon is added to sqrt(v) outside the bias correction,
    p -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps); AdamW first does p -= lr wd p; amsgrad uses max(v)."""
    state = {}

    def step(p, gr, t):
        p = p - lr * weight_decay * p
        m = b1 * state.get("m", torch.zeros_like(p)) + (1 - b1) * gr
        v = b2 * state.get("v", torch.zeros_like(p)) + (1 - b2) * gr * gr
        state["m"], state["v"] = m, v
        if amsgrad:
            v = torch.maximum(state.get("vmax", torch.zeros_like(p)), v)
            state["vmax"] = v
        alpha = lr * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t)
        return p - alpha * m / (v.sqrt() + eps)
    return step


@case(CORE_CASES)
def adam(g):
    p0 = rnd(g, 6, 5)
    # Gradients shrinking over the steps make amsgrad's running max differ from v.
    decay = torch.tensor([2.0 ** -i for i in range(STEPS)], dtype=torch.float64)[:, None, None]
    grads = randn(g, STEPS, 6, 5) * decay
    small = randn(g, STEPS, 6, 5, scale=1e-3)  # gradients ~ eps, where eps's placement decides the step
    out = {"p0": p0, "grads": grads, "small_grads": small}
    configs = {  # name: (lr, b1, b2, eps, amsgrad, weight_decay, gradients)
        "default": (1e-3, 0.9, 0.999, 1e-7, False, 0.0, "grads"),
        "large_lr": (0.1, 0.8, 0.99, 1e-7, False, 0.0, "grads"),
        "large_eps": (1e-2, 0.9, 0.999, 1e-3, False, 0.0, "small_grads"),
        "amsgrad": (0.05, 0.9, 0.999, 1e-7, True, 0.0, "grads"),
        "adamw": (0.05, 0.9, 0.999, 1e-7, False, 0.1, "grads"),
    }
    for name, (lr, b1, b2, eps, ams, wd, gname) in configs.items():
        gs = out[gname]
        ref = trajectory(p0, gs, keras_adam(lr, b1, b2, eps, ams, wd))
        # Validate the hand-written formula against torch.optim: with eps = 0 the two parameterisations coincide
        # (torch adds eps to sqrt(v)/sqrt(1-b2^t), i.e. its eps is Keras's eps / sqrt(1-b2^t), which changes with
        # t, so no constant torch eps reproduces Keras's for eps > 0).
        make = (lambda ps: torch.optim.AdamW(ps, lr=lr, betas=(b1, b2), eps=0.0, weight_decay=wd)) if wd else (
            lambda ps: torch.optim.Adam(ps, lr=lr, betas=(b1, b2), eps=0.0, amsgrad=ams))
        check_same(trajectory(p0, gs, keras_adam(lr, b1, b2, 0.0, ams, wd)), torch_optim_trajectory(p0, gs, make),
                   f"Adam {name}: Keras formula (eps=0) vs torch.optim")
        out.update({f"{name}_lr": lr, f"{name}_beta_1": b1, f"{name}_beta_2": b2, f"{name}_epsilon": eps,
                    f"{name}_amsgrad": float(ams), f"{name}_weight_decay": wd, f"{name}_grads": gname,
                    f"{name}_trajectory": ref})
    # The large_eps case must tell the two epsilon placements apart, or it would not catch torch's form.
    torch_form = torch_optim_trajectory(p0, small, lambda ps: torch.optim.Adam(ps, lr=1e-2, eps=1e-3))
    sep = (torch_form - out["large_eps_trajectory"]).abs().max().item()
    assert sep > 1e-3, f"large_eps does not separate Keras's and torch's epsilon ({sep})"
    out["large_eps_torch_form_trajectory"] = torch_form
    return out


# ---------------------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------------------
# Conv2D and BatchNormalization (nabla is NHWC / HWIO like Keras; torch is NCHW / OIHW, so the fixtures are
# stored in nabla's layouts and permuted for torch)


@case(CONV_BN_CASES)
def conv2d(g):
    out = {}
    x = rnd(g, 2, 7, 6, 3)                      # NHWC
    w = rnd(g, 3, 3, 3, 4, lo=-0.5, hi=0.5)     # HWIO
    b = rnd(g, 4, lo=-0.2, hi=0.2)
    out.update({"x": x, "w": w, "b": b})
    # (name, stride, torch padding (top/bottom, left/right) that matches Keras's, dilation)
    # Keras "same" with stride 2 on 7x6 and k=3: pad_total = max((ceil(7/2)-1)*2 + 3 - 7, 0) = 2 -> 1/1;
    # for width 6: (3-1)*2 + 3 - 6 = 1 -> 0 before, 1 after (the extra goes bottom/right).
    configs = (("valid", 1, (0, 0, 0, 0), 1), ("same", 1, (1, 1, 1, 1), 1), ("same_s2", 2, (1, 1, 0, 1), 1),
               ("valid_d2", 1, (0, 0, 0, 0), 2))
    for name, stride, (pt, pb, pl, pr), dil in configs:
        def f(x, w, b):
            xt = F.pad(x.permute(0, 3, 1, 2), (pl, pr, pt, pb))
            y = F.conv2d(xt, w.permute(3, 2, 0, 1), b, stride=stride, dilation=dil)
            return y.permute(0, 2, 3, 1)
        y = f(x, w, b)
        gy = randn(g, *y.shape)
        y, dx, dw, db = grad_of(f, x, w, b, gy=gy)
        out.update({f"{name}_gy": gy, f"{name}_y": y, f"{name}_dx": dx, f"{name}_dw": dw, f"{name}_db": db})
    return out


@case(CONV_BN_CASES)
def batch_norm(g):
    x = rnd(g, 4, 3, 3, 5, lo=-2, hi=2)   # NHWC, 5 channels
    gamma, beta = rnd(g, 5, lo=0.5, hi=1.5), rnd(g, 5, lo=-0.5, hi=0.5)
    mm, mv = rnd(g, 5, lo=-0.1, hi=0.1), rnd(g, 5, lo=0.5, hi=1.5)
    gy = randn(g, 4, 3, 3, 5)
    momentum, eps = 0.99, 1e-3

    def train(x, gamma, beta):
        y = F.batch_norm(x.permute(0, 3, 1, 2), None, None, gamma, beta, training=True, eps=eps)
        return y.permute(0, 2, 3, 1)
    y, dx, dgamma, dbeta = grad_of(train, x, gamma, beta, gy=gy)
    # Keras moves the moving statistics with the biased batch variance (torch's running_var uses the unbiased
    # one, so compute Keras's update directly).
    bm, bv = x.mean(dim=(0, 1, 2)), x.var(dim=(0, 1, 2), unbiased=False)
    out = {"x": x, "gamma": gamma, "beta": beta, "moving_mean": mm, "moving_variance": mv, "gy": gy,
           "momentum": momentum, "epsilon": eps, "train_y": y, "train_dx": dx, "train_dgamma": dgamma,
           "train_dbeta": dbeta, "new_moving_mean": mm * momentum + bm * (1 - momentum),
           "new_moving_variance": mv * momentum + bv * (1 - momentum)}

    def infer(x, gamma, beta):
        y = F.batch_norm(x.permute(0, 3, 1, 2), mm, mv, gamma, beta, training=False, eps=eps)
        return y.permute(0, 2, 3, 1)
    y, dx, dgamma, dbeta = grad_of(infer, x, gamma, beta, gy=gy)
    out.update({"infer_y": y, "infer_dx": dx, "infer_dgamma": dgamma, "infer_dbeta": dbeta})
    return out


# ---------------------------------------------------------------------------------------------------------------
# SimpleRNN, LSTM, GRU: torch.nn.RNN/LSTM/GRU on weights written in Keras's layout (kernel [F, G*H] =
# weight_ih^T, recurrent_kernel = weight_hh^T). LSTM: Keras's gates i, f, c, o are PyTorch's i, f, g, o, one bias
# b_ih + b_hh. GRU (reset_after): Keras's z, r, h are PyTorch's rows [H:2H], [0:H], [2H:3H]; bias [2, 3H] is
# (b_ih, b_hh). go_backwards: PyTorch on the time-reversed input (Keras returns the outputs in processing order).


def keras_rows(kind, t, H):
    """PyTorch's gate rows (or entries) reordered into Keras's gate order."""
    if kind == "gru":
        return torch.cat([t[H:2 * H], t[:H], t[2 * H:]])
    return t


def recurrent_case(g, kind, go_backwards=False):
    N, T, F, H = 3, 5, 4, 6
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    x, h0, c0 = rnd(g, N, T, F), rnd(g, N, H, lo=-0.5, hi=0.5), rnd(g, N, H, lo=-0.5, hi=0.5)
    w_ih, w_hh = rnd(g, G * H, F, lo=-0.5, hi=0.5), rnd(g, G * H, H, lo=-0.5, hi=0.5)
    b_ih, b_hh = rnd(g, G * H, lo=-0.3, hi=0.3), rnd(g, G * H, lo=-0.3, hi=0.3)
    gy, ghn, gcn = randn(g, N, T, H), randn(g, N, H), randn(g, N, H)
    mod = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](F, H, batch_first=True).double()
    with torch.no_grad():
        mod.weight_ih_l0.copy_(w_ih)
        mod.weight_hh_l0.copy_(w_hh)
        mod.bias_ih_l0.copy_(b_ih)
        mod.bias_hh_l0.copy_(b_hh)
    xs, h0s, c0s = [v.clone().requires_grad_(True) for v in (x, h0, c0)]
    xin = torch.flip(xs, [1]) if go_backwards else xs
    if kind == "lstm":
        y, (hn, cn) = mod(xin, (h0s[None], c0s[None]))
        loss = (y * gy).sum() + (hn[0] * ghn).sum() + (cn[0] * gcn).sum()
    else:
        y, hn = mod(xin, h0s[None])
        loss = (y * gy).sum() + (hn[0] * ghn).sum()
    loss.backward()
    out = {"x": x, "h0": h0, "gy": gy, "ghn": ghn, "y": y, "hn": hn[0], "dx": xs.grad, "dh0": h0s.grad,
           "kernel": keras_rows(kind, w_ih, H).t(), "recurrent_kernel": keras_rows(kind, w_hh, H).t(),
           "dkernel": keras_rows(kind, mod.weight_ih_l0.grad, H).t(),
           "drecurrent_kernel": keras_rows(kind, mod.weight_hh_l0.grad, H).t()}
    if kind == "gru":
        out["bias"] = torch.stack([keras_rows(kind, b_ih, H), keras_rows(kind, b_hh, H)])
        out["dbias"] = torch.stack([keras_rows(kind, mod.bias_ih_l0.grad, H), keras_rows(kind, mod.bias_hh_l0.grad, H)])
    else:
        out["bias"], out["dbias"] = b_ih + b_hh, mod.bias_ih_l0.grad  # one bias: b_ih's gradient is b_hh's
    if kind == "lstm":
        out.update({"c0": c0, "gcn": gcn, "cn": cn[0], "dc0": c0s.grad})
    return out


@case(RNN_CASES)
def simple_rnn(g):
    return recurrent_case(g, "rnn")


@case(RNN_CASES)
def lstm(g):
    return recurrent_case(g, "lstm")


@case(RNN_CASES)
def lstm_go_backwards(g):
    return recurrent_case(g, "lstm", go_backwards=True)


@case(RNN_CASES)
def gru(g):
    return recurrent_case(g, "gru")


@case(RNN_CASES)
def gru_go_backwards(g):
    return recurrent_case(g, "gru", go_backwards=True)


def encode(v):
    if isinstance(v, torch.Tensor):
        return T(v)
    if isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"cannot encode {type(v)}")


def write(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)  # never leave a half-written file for the tests to read


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if os.path.exists(args.out):
        os.remove(args.out)  # a stale file must not stand in for a failed run
    global torch, F
    try:
        import torch as torch_module
        import torch.nn.functional as functional
    except Exception as e:  # ImportError, or a broken install raising something else
        msg = (f"PyTorch is not importable by {sys.executable}: {e!r}. The cross-checks need it: install "
               f"python3-torch (scripts/setup does).")
        write(args.out, {"error": msg})
        print("make_fixtures: " + msg, file=sys.stderr)
        return 0
    torch, F = torch_module, functional
    CORE_CASES.extend(attention_cases.CASES)  # LayerNormalization, MultiHeadAttention
    torch.set_num_threads(1)  # deterministic reductions, and the machine is shared
    cases = {}
    for fn in CORE_CASES + CONV_BN_CASES + RNN_CASES:
        # Seeded by name, so adding a case leaves the others' inputs unchanged.
        g = torch.Generator().manual_seed(zlib.crc32(fn.__name__.encode()))
        cases[fn.__name__] = {k: encode(v) for k, v in fn(g).items()}
    write(args.out, {"torch_version": torch.__version__, "cases": cases})
    print(f"make_fixtures: {len(cases)} cases from torch {torch.__version__} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
