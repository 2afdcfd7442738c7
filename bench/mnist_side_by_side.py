#!/usr/bin/env python3
"""nabla vs PyTorch eager, side by side: trains each workload in both at each thread count, repeatedly, and
prints a table of median seconds per epoch and test accuracy, with the ratio nabla / PyTorch taken at each
framework's fastest thread count. Writes the same to bench/results/latest.json.

Usage: bench/mnist_side_by_side.py [--epochs 5] [--repeats 3] [--threads 1,2] [--workloads mnist_mlp,fashion_cnn]

Builds the nabla programs (release preset) first unless --no-build. Runs are interleaved (repeat, then
thread count, then framework) so that a slow spell on a shared machine does not fall on one side only.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "release")
PYTHON = "/usr/bin/python3"  # where Debian's python3-torch is installed

# A workload: the nabla program (a target in bench/CMakeLists.txt) and the PyTorch script that trains the same
# model. Both take --epochs and print one JSON object with "epoch_seconds" and "test_accuracy"; the nabla one
# reads NABLA_NUM_THREADS, the PyTorch one --threads. Adding a workload is adding an entry here.
WORKLOADS = {
    "mnist_mlp": {
        "title": "MNIST MLP (Dense 128 relu, Dropout 0.2, Dense 10; Adam, batch 32)",
        "nabla_target": "mnist_mlp_bench",
        "torch_script": "bench/torch_mnist.py",
    },
    "fashion_cnn": {
        "title": "Fashion-MNIST CNN (Conv 32, pool, Conv 64, pool, Dropout 0.5, Dense 10; Adam, batch 128)",
        "nabla_target": "fashion_cnn_bench",
        "torch_script": "bench/torch_fashion_cnn.py",
    },
}
FRAMEWORKS = ("nabla", "pytorch")


def command(workload, framework, epochs, threads):
    w = WORKLOADS[workload]
    if framework == "nabla":
        return [os.path.join(BUILD, "bench", w["nabla_target"]), "--epochs", str(epochs)]
    return [PYTHON, os.path.join(ROOT, w["torch_script"]), "--epochs", str(epochs), "--threads", str(threads)]


def run_once(workload, framework, epochs, threads):
    # One thread count for every runtime either side might use (nabla's OpenMP and OpenBLAS for float64; torch's
    # OpenMP and the OpenBLAS Debian's torch does its GEMMs in).
    env = dict(os.environ, NABLA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads))
    cmd = command(workload, framework, epochs, threads)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"side_by_side: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        sys.exit(f"side_by_side: {' '.join(cmd)} printed no JSON result:\n{proc.stdout[-4000:]}")
    result = json.loads(lines[-1])
    if result["threads"] != threads:
        sys.exit(f"side_by_side: {framework} ran with {result['threads']} threads, asked for {threads}")
    return result


def build(workloads):
    if not os.path.exists(os.path.join(BUILD, "build.ninja")):
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    targets = [WORKLOADS[w]["nabla_target"] for w in workloads]
    subprocess.run(["cmake", "--build", BUILD, "--target", *targets], cwd=ROOT, check=True)


def summarize(runs):
    """Per configuration: the median over repeats of each run's mean seconds per epoch, and of its accuracy."""
    per_epoch = [statistics.fmean(r["epoch_seconds"]) for r in runs]
    return {"seconds_per_epoch": statistics.median(per_epoch), "test_accuracy": statistics.median(
        r["test_accuracy"] for r in runs), "runs_seconds_per_epoch": per_epoch}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, from: " + ", ".join(WORKLOADS))
    ap.add_argument("--no-build", action="store_true", help="use the nabla programs already in build/release")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.json"))
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            sys.exit(f"side_by_side: unknown workload '{w}' (known: {', '.join(WORKLOADS)})")
    if not args.no_build:
        build(workloads)

    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": platform.node(),
              "cpus": os.cpu_count(), "epochs": args.epochs, "repeats": args.repeats, "workloads": {}}
    for w in workloads:
        raw = {(f, t): [] for f in FRAMEWORKS for t in threads}
        for rep in range(args.repeats):
            for t in threads:
                for f in FRAMEWORKS:
                    r = run_once(w, f, args.epochs, t)
                    raw[(f, t)].append(r)
                    print(f"  {w} {f:8s} threads={t} repeat {rep + 1}/{args.repeats}: "
                          f"{statistics.fmean(r['epoch_seconds']):.2f} s/epoch, accuracy {r['test_accuracy']:.4f}",
                          file=sys.stderr)
        configs = {f: {t: summarize(raw[(f, t)]) for t in threads} for f in FRAMEWORKS}
        best = {f: min(threads, key=lambda t: configs[f][t]["seconds_per_epoch"]) for f in FRAMEWORKS}
        ratio = configs["nabla"][best["nabla"]]["seconds_per_epoch"] / \
            configs["pytorch"][best["pytorch"]]["seconds_per_epoch"]
        report["workloads"][w] = {
            "title": WORKLOADS[w]["title"],
            "results": {f: {str(t): configs[f][t] for t in threads} for f in FRAMEWORKS},
            "fastest_threads": best,
            "time_ratio_nabla_over_pytorch": ratio,
            "raw": {f"{f}@{t}": raw[(f, t)] for f in FRAMEWORKS for t in threads},
        }

    print(f"\n{args.epochs} epoch(s), median of {args.repeats} run(s); machine {report['machine']} "
          f"({report['cpus']} CPUs)")
    for w, rep in report["workloads"].items():
        print(f"\n{rep['title']}")
        print(f"  {'framework':10s} {'threads':>7s} {'s/epoch':>9s} {'test acc':>9s}")
        for f in FRAMEWORKS:
            for t in threads:
                c = rep["results"][f][str(t)]
                mark = " *" if rep["fastest_threads"][f] == t else ""
                print(f"  {f:10s} {t:7d} {c['seconds_per_epoch']:9.3f} {c['test_accuracy']:9.4f}{mark}")
        print(f"  nabla / PyTorch time per epoch at each one's fastest thread count (*): "
              f"{rep['time_ratio_nabla_over_pytorch']:.2f} (below 1: nabla is faster)")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(f"\nwritten to {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
