#!/usr/bin/env python3
"""Summarizes bench/lite_bench.sh's runs.jsonl: accuracy, file sizes, and per model and thread count the medians of
batch-256 throughput and batch-1 latency for nabla int8, nabla float32 and ONNX Runtime float32, with ratios
("how many times better nabla int8 is") and the load average (1 min) at each figure. Prints Markdown."""
import json
import statistics
import sys

runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
machine = next(r for r in runs if r["phase"] == "machine")
print(f"CPU: {machine['cpu']}, {machine['nproc']} vCPUs; features: {machine['features']}; build: {machine['build']}\n")
names = {"mlp": "MNIST MLP", "cnn": "Fashion-MNIST CNN"}
runtime = {r["model"]: r["accuracy_int8"] for r in runs if r["phase"] == "runtime_only"}
print("| model | fp32 accuracy | int8 accuracy | drop (points) | .keras | .nblite | .nblite / .keras | "
      "int8 accuracy, nblite-infer |")
print("|---|---|---|---|---|---|---|---|")
for r in (r for r in runs if r["phase"] == "train"):
    drop = 100 * (r["accuracy_fp32"] - r["accuracy_int8"])
    print(f"| {names[r['model']]} ({r['epochs']} epochs) | {100 * r['accuracy_fp32']:.2f}% | "
          f"{100 * r['accuracy_int8']:.2f}% | {drop:.2f} | {r['bytes_keras']:,} B | {r['bytes_nblite']:,} B | "
          f"{100 * r['bytes_nblite'] / r['bytes_keras']:.1f}% | {100 * runtime.get(r['model'], float('nan')):.2f}% |")
print()
timed = [r for r in runs if r["phase"] == "time"]


def med(model, threads, side, key):
    v = [r[key] for r in timed if r["model"] == model and r["threads"] == threads and side(r)]
    return (statistics.median(v), len(v)) if v else (float("nan"), 0)


int8 = lambda r: r["framework"] == "nabla" and r["format"] == "int8"
fp32 = lambda r: r["framework"] == "nabla" and r["format"] == "fp32"
ort = lambda r: r["framework"] == "onnxruntime"
print("| model | threads | batch-256 samples/s: int8 / nabla fp32 / ORT fp32 | int8 vs fp32 | int8 vs ORT | "
      "batch-1 latency µs: int8 / nabla fp32 / ORT fp32 | int8 vs fp32 | load avg (min-max) | runs |")
print("|---|---|---|---|---|---|---|---|---|")
for model in ("mlp", "cnn"):
    for threads in (1, 2):
        (ti, n), (tf, _), (to, _) = (med(model, threads, s, "throughput_samples_per_s") for s in (int8, fp32, ort))
        (li, _), (lf, _), (lo, _) = (med(model, threads, s, "latency_ms_median") for s in (int8, fp32, ort))
        loads = [r["loadavg"] for r in timed if r["model"] == model and r["threads"] == threads]
        print(f"| {names[model]} | {threads} | {ti:,.0f} / {tf:,.0f} / {to:,.0f} | {ti / tf:.2f}x | {ti / to:.2f}x | "
              f"{1e3 * li:.1f} / {1e3 * lf:.1f} / {1e3 * lo:.1f} | {lf / li:.2f}x | "
              f"{min(loads):.1f}-{max(loads):.1f} | {n} |")
binary = next((r for r in runs if r["phase"] == "binary"), None)
if binary:
    print(f"\nnblite-infer (Interpreter only, nabla code and libstdc++ linked statically): "
          f"{binary['bytes_nblite_infer']:,} B; shared: {binary['shared_libraries']} "
          f"(libdnnl {binary['bytes_libdnnl']:,} B)")
