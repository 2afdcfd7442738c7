#!/usr/bin/env python3
"""Step-time model of synchronous data-parallel training on N machines (docs/distributed.md).

Per step, each machine computes on its own batch (t_compute, measured on one machine) and the gradients (S bytes)
are averaged by a ring allreduce: 2(N-1) messages of S/N bytes each way, so every link carries 2(N-1)/N * S bytes,
and each of the 2(N-1) steps pays a latency alpha. The part of communication that overlaps backward (hidden,
measured by dist_bench overlap) costs nothing:

    t_comm(N) = 2(N-1)/N * S / bandwidth + 2(N-1) * alpha
    t_step(N) = t_compute + (1 - hidden) * t_comm(N)
    speedup(N) = N * t_compute / t_step(N)     (per-machine batch fixed: N times the samples per step)

Scaling stops where adding machines stops paying: efficiency = speedup / N falls below 50 % (communication costs
as much as computing), and the speedup can never pass t_compute / (2 alpha (1 - hidden)) however many machines.

Usage: dist_step_model.py --name mlp --step-ms 1.39 --grad-bytes 407080 [--hidden 0] [--alpha-us 25]
"""
import argparse

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--name", required=True)
p.add_argument("--step-ms", type=float, required=True, help="one machine's compute time per step")
p.add_argument("--grad-bytes", type=float, required=True, help="gradient bytes averaged per step")
p.add_argument("--hidden", type=float, default=0.0, help="fraction of communication hidden behind backward")
p.add_argument("--alpha-us", type=float, default=25.0, help="latency per ring step (TCP over Ethernet: 15-50 us)")
a = p.parse_args()

links = {"10 Gbit/s": 10e9 / 8, "25 Gbit/s": 25e9 / 8, "100 Gbit/s": 100e9 / 8}
tc = a.step_ms / 1e3
alpha = a.alpha_us / 1e-6 * 1e-12
print(f"{a.name}: compute {a.step_ms} ms/step, gradients {a.grad_bytes / 1e6:.3f} MB, hidden {a.hidden:.0%}, "
      f"alpha {a.alpha_us} us")
print(f"{'N':>5} | " + " | ".join(f"{k:^27}" for k in links))
print(f"{'':>5} | " + " | ".join(f"{'step ms':>8} {'speedup':>8} {'eff':>8}" for _ in links))
for n in [1, 2, 4, 8, 16, 32, 64, 128]:
    cells = []
    for bw in links.values():
        comm = 2 * (n - 1) / n * a.grad_bytes / bw + 2 * (n - 1) * alpha
        step = tc + (1 - a.hidden) * comm
        s = n * tc / step
        cells.append(f"{step * 1e3:8.3f} {s:8.1f} {s / n:8.0%}")
    print(f"{n:>5} | " + " | ".join(cells))
for name, bw in links.items():
    n = 1
    while n < 100000:
        comm = 2 * (n - 1) / n * a.grad_bytes / bw + 2 * (n - 1) * alpha
        if tc / (tc + (1 - a.hidden) * comm) < 0.5:
            break
        n += 1
    limit = tc / (2 * alpha * (1 - a.hidden)) if a.hidden < 1 else float("inf")
    print(f"{name}: efficiency falls below 50% at N = {n}; speedup can never pass {limit:.0f}")
