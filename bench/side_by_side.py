#!/usr/bin/env python3
"""nabla vs TensorFlow, PyTorch eager, LibTorch and ONNX Runtime, side by side: runs the workloads W1-W6 in each
framework at each thread count, repeatedly, and prints one table per workload (medians over the repeats, and each
run's peak RSS), the ratios at each framework's fastest thread count, and issue 17's targets, met or missed.
Writes the same to bench/results/latest.json.

Usage: bench/side_by_side.py [--workloads W1,W2,W3,W4,W5,W6] [--threads 1,2] [--repeats 3] [--epochs N]
                             [--frameworks nabla,tensorflow,pytorch,libtorch,onnxruntime] [--preset release|bench]
                             [--no-build] [--out PATH]

nabla runs from the portable release build (what scripts/demo gives users) unless --preset bench (-march=native).
TensorFlow 2.21 (Keras 3) runs bench/tf_keras_bench.py in the project venv (.venv, made by scripts/setup);
ONNX Runtime (npm onnxruntime-node, .node/) runs W4 on nabla's ONNX export of the same model (export_mlp_onnx),
through bench/ort_infer.cjs. A framework whose runtime is not installed is skipped with a message.

W1 MNIST MLP training at batch 32 and W2 at batch 256 (5 epochs a run), W3 the Fashion-MNIST CNN (1 epoch a run),
W4 the MLP's inference (batch-1 latency, batch-256 throughput), W5 nabla's GEMM efficiency on the MLP's shapes.
--epochs replaces the training workloads' epochs (--epochs 1 --repeats 1 is a quick check). Builds the nabla
programs (release preset) and the LibTorch ones (bench/libtorch, into build/libtorch-bench) first unless
--no-build. Runs are interleaved (repeat, then thread count, then framework) so that a slow spell on a shared
machine does not fall on one side only.
"""
import argparse
import dataclasses
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESET = "release"  # --preset: release (portable x86-64, what users build) or bench (-march=native)
LIBTORCH_BUILD = os.path.join(ROOT, "build", "libtorch-bench")
PYTHON = "/usr/bin/python3"  # where Debian's python3-torch is installed
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")  # tensorflow-cpu 2.21 (scripts/setup)
NODE_MODULES = os.path.join(ROOT, ".node", "node_modules")  # onnxruntime-node (scripts/setup)
FRAMEWORKS = ("nabla", "tensorflow", "pytorch", "libtorch", "onnxruntime")
ORT_MODEL = os.path.join(ROOT, "build", "onnx-bench", "mlp.onnx")  # W4's model as nabla exports it


def build_dir():
    return os.path.join(ROOT, "build", PRESET)


def installed(framework):
    """Whether a framework's runtime is here (the venv's TensorFlow, npm's ONNX Runtime; the rest are Debian's)."""
    if framework == "tensorflow":
        return os.path.exists(VENV_PYTHON)
    if framework == "onnxruntime":
        return os.path.isdir(os.path.join(NODE_MODULES, "onnxruntime-node"))
    return True
# W1's "equal or better accuracy": nabla's test accuracy may be this much below the peer's, about the spread
# between runs with different seeds.
ACCURACY_TOLERANCE = 0.002
# Other processes' CPU use during a run above which the report warns that the timings are disturbed.
BUSY_CPUS = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass
class Metric:
    key: str
    label: str
    fmt: str
    # "lower" or "higher" is better: a ranked metric, which picks each framework's fastest thread count and gets
    # ratios. The others are only shown (W1's accuracy is judged at the thread count s/epoch picked).
    better: str = ""


# What a kind of workload reports; run_metrics() reads each from a program's JSON line.
METRICS = {
    "train": [Metric("seconds_per_epoch", "s/epoch", "{:.3f}", "lower"),
              Metric("test_accuracy", "test acc", "{:.4f}"), Metric("peak_rss_mb", "peak RSS MB", "{:.0f}")],
    "inference": [Metric("latency_ms_median", "latency ms", "{:.4f}", "lower"),
                  Metric("latency_ms_p99", "p99 ms", "{:.4f}"),
                  Metric("throughput_samples_per_s", "samples/s", "{:.0f}", "higher"),
                  Metric("peak_rss_mb", "peak RSS MB", "{:.0f}")],
    "gemm": [Metric("peak_gflops", "peak GFLOP/s", "{:.1f}"), Metric("gflops_b32", "W1 GFLOP/s", "{:.1f}", "higher"),
             Metric("fraction_b32", "W1 of peak", "{:.1%}"), Metric("gflops_b256", "W2 GFLOP/s", "{:.1f}", "higher"),
             Metric("fraction_b256", "W2 of peak", "{:.1%}")],
}


def run_metrics(kind, r):
    if kind == "train":
        return {"seconds_per_epoch": statistics.fmean(r["epoch_seconds"]), "test_accuracy": r["test_accuracy"],
                "peak_rss_mb": r["peak_rss_mb"]}
    if kind == "gemm":
        out = {"peak_gflops": r["peak_gflops"]}
        for batch, b in r["batches"].items():
            out[f"gflops_b{batch}"], out[f"fraction_b{batch}"] = b["gflops"], b["fraction"]
        return out
    return {m.key: r[m.key] for m in METRICS[kind]}


@dataclasses.dataclass
class Target:
    metric: str
    minimum: float
    text: str
    peer: str = ""  # a ratio against this peer, each at its fastest thread count; none: nabla's own value
    same_accuracy: bool = False  # and nabla's test accuracy at least the peer's (less ACCURACY_TOLERANCE)


@dataclasses.dataclass
class Workload:
    title: str
    kind: str
    programs: dict  # framework -> a target in bench/CMakeLists.txt, a script in bench/, a target in bench/libtorch
    epochs: int = None  # per run; None: the program's default (W4: initial weights; W5 trains nothing)
    batch_size: int = None
    targets: list = dataclasses.field(default_factory=list)
    # FLOPs of one training epoch's multiply-adds (convolutions and GEMMs, forward and backward, computed
    # directly): over the machine's FMA peak (bench/fma_peak), the floor no direct implementation beats. Winograd
    # convolutions (nabla's on AVX-512, through oneDNN) multiply less, so it is not theirs.
    flops_per_epoch: float = None


def w3_flops_per_sample():
    """Multiply-add FLOPs (2 a multiply-add) of one W3 training sample: each convolution and the Dense layer forward,
    their weight gradients, and the data gradients of all but the first convolution (its input needs none).
    Pooling, activations, dropout, the loss and Adam are left out, so the floor stays a lower bound."""
    def conv(h, w, c, o, k=3):  # valid padding, stride 1: (h-k+1)(w-k+1) outputs per channel, k*k*c taps each
        return 2 * (h - k + 1) * (w - k + 1) * o * k * k * c
    conv1, conv2, dense = conv(28, 28, 1, 32), conv(13, 13, 32, 64), 2 * 5 * 5 * 64 * 10
    return 2 * conv1 + 3 * conv2 + 3 * dense


MLP = {"nabla": "mnist_mlp_bench", "tensorflow": "mlp", "pytorch": "torch_mnist.py", "libtorch": "mnist_mlp"}
# Issue 17's targets (W1 against PyTorch 5x and LibTorch 4x, W3 3.5x, W4 1.5x ONNX Runtime), each also against
# TensorFlow; issue 6's for the rest.
WORKLOADS = {
    "W1": Workload("MNIST MLP training, batch 32 (Dense 128 relu, Dropout 0.2, Dense 10; Adam)", "train", MLP,
                   epochs=5, batch_size=32,
                   targets=[Target("seconds_per_epoch", 5, ">= 5x, acc >= peer's", "tensorflow", same_accuracy=True),
                            Target("seconds_per_epoch", 5, ">= 5x, acc >= peer's", "pytorch", same_accuracy=True),
                            Target("seconds_per_epoch", 4, ">= 4x, acc >= peer's", "libtorch", same_accuracy=True)]),
    "W2": Workload("MNIST MLP training, batch 256", "train", MLP, epochs=5, batch_size=256,
                   targets=[Target("seconds_per_epoch", 2, ">= 2x", "tensorflow"),
                            Target("seconds_per_epoch", 2, ">= 2x", "pytorch")]),
    "W3": Workload("Fashion-MNIST CNN training, batch 128 (Conv 32, pool, Conv 64, pool, Dropout 0.5, Dense 10)",
                   "train",
                   {"nabla": "fashion_cnn_bench", "tensorflow": "cnn", "pytorch": "torch_fashion_cnn.py",
                    "libtorch": "fashion_cnn"},
                   epochs=1, batch_size=128, targets=[Target("seconds_per_epoch", 3.5, ">= 3.5x", "tensorflow"),
                                                      Target("seconds_per_epoch", 3.5, ">= 3.5x", "pytorch")],
                   flops_per_epoch=60000 * w3_flops_per_sample()),
    "W4": Workload("MNIST MLP inference (initial weights): batch-1 latency, batch-256 throughput", "inference",
                   {"nabla": "mnist_infer_bench", "tensorflow": "infer", "pytorch": "torch_mnist_infer.py",
                    "libtorch": "mnist_infer", "onnxruntime": "ort_infer.cjs"},
                   batch_size=256, targets=[Target("latency_ms_median", 5, ">= 5x (1/5 the latency)", "pytorch"),
                                            Target("throughput_samples_per_s", 1.5, ">= 1.5x", "pytorch"),
                                            Target("throughput_samples_per_s", 1.5, ">= 1.5x", "tensorflow"),
                                            Target("throughput_samples_per_s", 1.5, ">= 1.5x", "onnxruntime")]),
    "W5": Workload("GEMM efficiency: the MLP's Dense forward + backward GEMMs vs the 1-thread 1024^3 sgemm peak "
                   "x threads", "gemm", {"nabla": "gemm_efficiency"},
                   targets=[Target("fraction_b256", 0.6, ">= 60%")]),
    "W6": Workload("Sequence MNIST training, batch 32 (LSTM 128 over 28 rows of 28, Dense 10; Adam)", "train",
                   {"nabla": "sequence_mnist_bench", "pytorch": "torch_sequence_mnist.py"}, epochs=1, batch_size=32,
                   targets=[Target("seconds_per_epoch", 2, ">= 2x", "pytorch")]),
}


def command(w, framework, threads):
    program = w.programs[framework]
    if framework == "nabla":
        cmd = [os.path.join(build_dir(), "bench", program)]
    elif framework == "pytorch":
        cmd = [PYTHON, os.path.join(ROOT, "bench", program), "--threads", str(threads)]
    elif framework == "tensorflow":
        cmd = [VENV_PYTHON, os.path.join(ROOT, "bench", "tf_keras_bench.py"), program, "--threads", str(threads)]
    elif framework == "onnxruntime":
        return ["node", os.path.join(ROOT, "bench", program), "--side", "ort", "--threads", str(threads),
                "--model", ORT_MODEL]
    else:
        cmd = [os.path.join(LIBTORCH_BUILD, program), "--threads", str(threads)]
    if w.epochs is not None:
        cmd += ["--epochs", str(w.epochs)]
    if w.batch_size is not None:
        cmd += ["--batch-size", str(w.batch_size)]
    return cmd


def process_cpu_seconds(exclude):
    """CPU seconds each running process but those in exclude has used so far, by pid."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) in exclude:
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, ...
        except OSError:  # gone meanwhile
            continue
        out[int(pid)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return out


class OtherProcesses:
    """The CPU seconds processes other than the driver and its child use while the child runs, sampled from /proc
    every half second (what a process that comes and goes between two samples uses is missed). The machine's
    totals in /proc/stat less the child's rusage would be simpler, but a child busy switching threads (PyTorch at
    2 threads) reads up to a third short in its rusage, which would show up as others' use."""

    def __init__(self, child_pid):
        self.exclude = {os.getpid(), child_pid}
        self.start = process_cpu_seconds(self.exclude)
        self.last = dict(self.start)
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample)
        self.sampler.start()

    def _sample(self):
        while not self.done.wait(0.5):
            self.last.update(process_cpu_seconds(self.exclude))

    def stop(self):
        self.done.set()
        self.sampler.join()
        self.last.update(process_cpu_seconds(self.exclude))
        return sum(t - self.start.get(pid, 0.0) for pid, t in self.last.items())


# --isa avx2: an AVX2-only machine, emulated on an AVX-512 one by limiting every library that picks its kernels at
# run time: oneDNN (nabla's convolutions and GEMMs, PyTorch's mkldnn, TensorFlow's oneDNN), PyTorch/LibTorch's
# ATen kernels, OpenBLAS and nabla's own kernels (NABLA_MAX_CPU_ISA). ONNX Runtime's MLAS has no such switch, so
# it is left out of an emulated run; TensorFlow's Eigen kernels are what its wheel was compiled for.
ISA_LIMIT_ENV = {"avx2": {"NABLA_MAX_CPU_ISA": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2",
                          "ATEN_CPU_CAPABILITY": "avx2", "OPENBLAS_CORETYPE": "Haswell"}}
ISA = "native"


def run_once(w, framework, threads):
    # One thread count for every runtime a side might use (nabla's OpenMP and OpenBLAS for float64; torch's
    # OpenMP and the OpenBLAS Debian's torch does its GEMMs in).
    env = dict(os.environ, NABLA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads), **ISA_LIMIT_ENV.get(ISA, {}))
    if framework == "onnxruntime":
        env["NODE_PATH"] = NODE_MODULES
    cmd = command(w, framework, threads)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    others = OtherProcesses(proc.pid)
    # Read both pipes, then reap the child with wait4 for its peak RSS (rusage.ru_maxrss, KiB).
    streams = {}
    readers = [threading.Thread(target=lambda k, f: streams.__setitem__(k, f.read()), args=(k, f))
               for k, f in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    stdout, stderr = streams["out"], streams["err"]
    wall, others_seconds = time.monotonic() - start, others.stop()
    if proc.returncode != 0:
        sys.exit(f"side_by_side: {' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-4000:]}")
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if not lines:
        sys.exit(f"side_by_side: {' '.join(cmd)} printed no JSON result:\n{stdout[-4000:]}")
    result = json.loads(lines[-1])
    if result["threads"] != threads:
        sys.exit(f"side_by_side: {framework} ran with {result['threads']} threads, asked for {threads}")
    # With 2 cores, a compile beside a 2-thread run makes it several times slower: such a run says nothing about
    # the frameworks.
    result["others_cpus"] = others_seconds / wall
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    return result


def fma_peak(threads):
    """This machine's float32 FMA rate in GFLOP/s on `threads` threads at the ISA in force (bench/fma_peak)."""
    env = dict(os.environ, NABLA_NUM_THREADS=str(threads), **ISA_LIMIT_ENV.get(ISA, {}))
    out = subprocess.run([os.path.join(build_dir(), "bench", "fma_peak")], env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.splitlines()[-1])["gflops"]


def build(workloads, frameworks):
    def cmake_build(build_dir, configure, targets):
        if not os.path.exists(os.path.join(build_dir, "build.ninja")):
            subprocess.run(configure, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build_dir, "--target", *targets], cwd=ROOT, check=True)

    def targets(framework):
        return sorted({w.programs[framework] for w in workloads if framework in w.programs})

    if "nabla" in frameworks:
        extra = ["fma_peak"] if any(w.flops_per_epoch for w in workloads) else []
        cmake_build(build_dir(), ["cmake", "--preset", PRESET], targets("nabla") + extra)
    if "onnxruntime" in frameworks and targets("onnxruntime"):
        cmake_build(build_dir(), ["cmake", "--preset", PRESET], ["export_mlp_onnx"])
        os.makedirs(os.path.dirname(ORT_MODEL), exist_ok=True)
        subprocess.run([os.path.join(build_dir(), "bench", "export_mlp_onnx"), ORT_MODEL], check=True,
                       stdout=subprocess.DEVNULL)
    if "libtorch" in frameworks and targets("libtorch"):
        cmake_build(LIBTORCH_BUILD, ["cmake", "-S", "bench/libtorch", "-B", LIBTORCH_BUILD, "-G", "Ninja",
                                     "-DCMAKE_BUILD_TYPE=Release"], targets("libtorch"))


def ranked(kind):
    return [m for m in METRICS[kind] if m.better]


def advantage(metric, nabla, peer):
    """How many times better nabla is than the peer: time and latency peer / nabla, rates nabla / peer."""
    return peer / nabla if metric.better == "lower" else nabla / peer


def summarize(w, frameworks, threads, raw, peaks):
    """The medians over repeats per framework and thread count, each framework's fastest thread count per ranked
    metric, nabla's advantage over each peer and the targets; with peaks (FMA GFLOP/s by thread count) and
    w.flops_per_epoch, the arithmetic floor and which time targets ask for less than it."""
    metrics = METRICS[w.kind]
    results = {f: {t: {m.key: statistics.median(run_metrics(w.kind, r)[m.key] for r in raw[(f, t)]) for m in metrics}
                   for t in threads} for f in frameworks}
    better = {"lower": min, "higher": max}
    fastest = {f: {m.key: better[m.better](threads, key=lambda t: results[f][t][m.key]) for m in ranked(w.kind)}
               for f in frameworks}
    at_fastest = {f: {m.key: results[f][fastest[f][m.key]][m.key] for m in ranked(w.kind)} for f in frameworks}
    ratios = {p: {m.key: advantage(m, at_fastest["nabla"][m.key], at_fastest[p][m.key]) for m in ranked(w.kind)}
              for p in frameworks if p != "nabla" and "nabla" in frameworks}
    floor = None
    if peaks and w.flops_per_epoch:
        floor = {str(t): {"fma_peak_gflops": peaks[t], "seconds_per_epoch": w.flops_per_epoch / (peaks[t] * 1e9)}
                 for t in threads}
    targets = []
    for tg in w.targets:
        if tg.peer and tg.peer in ratios:
            value, met = ratios[tg.peer][tg.metric], ratios[tg.peer][tg.metric] >= tg.minimum
            row = {"metric": tg.metric, "peer": tg.peer, "ratio": value, "target": tg.text, "met": met,
                   "nabla": at_fastest["nabla"][tg.metric], "nabla_threads": fastest["nabla"][tg.metric],
                   "peer_value": at_fastest[tg.peer][tg.metric], "peer_threads": fastest[tg.peer][tg.metric]}
            if floor and tg.metric == "seconds_per_epoch":
                # The time the target asks of nabla against the lowest floor at any thread count measured.
                row["needed"] = at_fastest[tg.peer][tg.metric] / tg.minimum
                row["below_floor"] = row["needed"] < min(f["seconds_per_epoch"] for f in floor.values())
            if tg.same_accuracy:
                acc = {f: results[f][fastest[f][tg.metric]]["test_accuracy"] for f in ("nabla", tg.peer)}
                row["accuracy"] = acc
                row["met"] = met and acc["nabla"] >= acc[tg.peer] - ACCURACY_TOLERANCE
            targets.append(row)
        elif not tg.peer and "nabla" in frameworks:
            targets += [{"metric": tg.metric, "threads": t, "nabla": results["nabla"][t][tg.metric], "target": tg.text,
                         "met": results["nabla"][t][tg.metric] >= tg.minimum} for t in threads]
    return {"title": w.title, "kind": w.kind, "epochs": w.epochs, "batch_size": w.batch_size,
            "flops_per_epoch": w.flops_per_epoch, "floor": floor,
            "results": {f: {str(t): results[f][t] for t in threads} for f in frameworks},
            "fastest_threads": fastest, "advantage": ratios, "targets": targets,
            "raw": {f"{f}@{t}": raw[(f, t)] for f in frameworks for t in threads}}


def print_table(header, rows, left=1):
    """Columns sized to fit; the first `left` ones (names) aligned left, the rest (figures) right."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    for row in [header, *rows]:
        print("  " + "  ".join(str(c).ljust(wd) if i < left else str(c).rjust(wd)
                               for i, (c, wd) in enumerate(zip(row, widths))).rstrip())


def print_workload(name, rep, threads):
    metrics = METRICS[rep["kind"]]
    runs = f"{rep['epochs']} epoch(s) a run, " if rep["epochs"] else ""
    print(f"\n{name}  {rep['title']}\n  ({runs}medians over the repeats; * each framework's fastest thread count)")
    rows = []
    for f, by_threads in rep["results"].items():
        for t in threads:
            rows.append([f, t] + [m.fmt.format(by_threads[str(t)][m.key]) +
                                  ("*" if rep["fastest_threads"][f].get(m.key) == t else "") for m in metrics])
    print_table(["framework", "threads"] + [m.label for m in metrics], rows)
    for peer, ratios in rep["advantage"].items():
        print(f"  nabla vs {peer}, times better at each one's * thread count: " +
              ", ".join(f"{m.label} {ratios[m.key]:.2f}x" for m in ranked(rep["kind"])))
    if rep.get("floor"):
        nabla = rep["results"].get("nabla")
        print(f"  direct-arithmetic floor: {rep['flops_per_epoch'] / 1e9:.0f} GFLOP of multiply-adds an epoch at "
              "this machine's FMA peak (bench/fma_peak): " + ", ".join(
                  f"{fl['seconds_per_epoch']:.3f} s @{t} ({fl['fma_peak_gflops']:.0f} GFLOP/s)"
                  + (f", nabla at {fl['seconds_per_epoch'] / nabla[t]['seconds_per_epoch']:.0%} of it"
                     if nabla else "") for t, fl in rep["floor"].items()))


def print_targets(report):
    print("\nTargets (ratio = how many times better nabla is, each framework at its fastest thread count:"
          "\npeer time / nabla time for s/epoch and latency, nabla / peer for samples/s)")
    rows = []
    for name, rep in report["workloads"].items():
        labels = {m.key: m for m in METRICS[rep["kind"]]}
        for tg in rep["targets"]:
            m = labels[tg["metric"]]
            if "peer" in tg:
                acc = f"{tg['accuracy']['nabla']:.4f} vs {tg['accuracy'][tg['peer']]:.4f}" if "accuracy" in tg else ""
                result = "met" if tg["met"] else "MISSED"
                if tg.get("below_floor"):
                    result += f" (asks {m.fmt.format(tg['needed'])}: below the direct-arithmetic floor)"
                rows.append([name, f"{m.label} vs {tg['peer']}", f"{m.fmt.format(tg['nabla'])} @{tg['nabla_threads']}",
                             f"{m.fmt.format(tg['peer_value'])} @{tg['peer_threads']}", f"{tg['ratio']:.2f}x", acc,
                             tg["target"], result])
            else:
                rows.append([name, f"{m.label} @{tg['threads']} thread(s)", m.fmt.format(tg["nabla"]), "", "", "",
                             tg["target"], "met" if tg["met"] else "MISSED"])
    print_table(["workload", "measure", "nabla", "peer", "ratio", "accuracy", "target", "result"], rows, left=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, from: " + ", ".join(WORKLOADS))
    ap.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                    help="comma-separated, from: " + ", ".join(FRAMEWORKS))
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, help="epochs a run of each training workload (default: W1, W2 5; W3 1)")
    ap.add_argument("--preset", default="release", choices=["release", "bench"],
                    help="nabla's build: release (portable, the default) or bench (-march=native)")
    ap.add_argument("--no-build", action="store_true", help="use the programs already in build/")
    ap.add_argument("--isa", default="native", choices=["native", "avx2"],
                    help="avx2: limit every framework's run-time kernel choice to AVX2 (an AVX2-only machine, "
                         "emulated; ONNX Runtime is skipped)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.json"))
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    names = [n.upper() for n in args.workloads.split(",")]
    frameworks = args.frameworks.split(",")
    global PRESET, ISA
    PRESET = args.preset
    ISA = args.isa
    if ISA != "native" and "onnxruntime" in frameworks:
        print("side_by_side: ONNX Runtime cannot be limited to AVX2; skipped in this run", file=sys.stderr)
        frameworks.remove("onnxruntime")
    for f in [f for f in frameworks if f in FRAMEWORKS and not installed(f)]:
        print(f"side_by_side: {f} is not installed (scripts/setup installs it); skipped", file=sys.stderr)
        frameworks.remove(f)
    for n in names:
        if n not in WORKLOADS:
            sys.exit(f"side_by_side: unknown workload '{n}' (known: {', '.join(WORKLOADS)})")
    for f in frameworks:
        if f not in FRAMEWORKS:
            sys.exit(f"side_by_side: unknown framework '{f}' (known: {', '.join(FRAMEWORKS)})")
    if not args.no_build:
        build([WORKLOADS[n] for n in names], frameworks)
    # Every program must be there before the first run, not discovered missing twenty minutes in.
    programs = {command(WORKLOADS[n], f, 1)[1 if f in ("pytorch", "tensorflow", "onnxruntime") else 0]
                for n in names for f in frameworks if f in WORKLOADS[n].programs}
    if "nabla" in frameworks and any(WORKLOADS[n].flops_per_epoch for n in names):
        programs.add(os.path.join(build_dir(), "bench", "fma_peak"))
    if "onnxruntime" in frameworks and any("onnxruntime" in WORKLOADS[n].programs for n in names):
        programs.add(ORT_MODEL)
    missing = sorted(p for p in programs if not os.path.exists(p))
    if missing:
        sys.exit("side_by_side: missing " + ", ".join(missing) + " (run without --no-build to build them)")

    start = time.monotonic()
    with open("/proc/cpuinfo") as f:
        cpuinfo = f.read()
    features = sorted({w for w in cpuinfo.split() if w == "avx2" or w.startswith("avx512")})
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")), "")
    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": platform.node(),
              "cpu": model, "cpu_features": features, "preset": PRESET, "isa_limit": ISA,
              "isa_limit_env": ISA_LIMIT_ENV.get(ISA, {}),
              "cpus": os.cpu_count(), "threads": threads, "repeats": args.repeats, "workloads": {}}
    for n in names:
        w = WORKLOADS[n]
        if args.epochs is not None and w.epochs is not None:
            w = dataclasses.replace(w, epochs=args.epochs)
        fws = [f for f in frameworks if f in w.programs]
        if not fws:
            print(f"side_by_side: {n} has no program for {', '.join(frameworks)}; skipped", file=sys.stderr)
            continue
        raw = {(f, t): [] for f in fws for t in threads}
        for rep in range(args.repeats):
            for t in threads:
                for f in fws:
                    r = run_once(w, f, t)
                    raw[(f, t)].append(r)
                    values = run_metrics(w.kind, r)
                    shown = ", ".join(f"{m.fmt.format(values[m.key])} {m.label}" for m in METRICS[w.kind])
                    print(f"  {n} {f:8s} threads={t} repeat {rep + 1}/{args.repeats}: {shown} "
                          f"(other processes: {r['others_cpus']:.2f} CPUs)", file=sys.stderr)
        peaks = {t: fma_peak(t) for t in threads} if w.flops_per_epoch and "nabla" in frameworks else None
        report["workloads"][n] = summarize(w, fws, threads, raw, peaks)
    report["elapsed_seconds"] = time.monotonic() - start

    print(f"\nmachine {report['machine']} ({report['cpus']} CPUs, {report['cpu']}; {' '.join(features)}), "
          f"nabla's {PRESET} build, {args.repeats} repeat(s)"
          + (f"; every framework limited to {ISA.upper()} ({' '.join(f'{k}={v}' for k, v in ISA_LIMIT_ENV[ISA].items())})"
             if ISA != "native" else ""))
    for n, rep in report["workloads"].items():
        print_workload(n, rep, threads)
    print_targets(report)
    print(f"\nruns took {report['elapsed_seconds'] / 60:.1f} min")
    busiest = max((r["others_cpus"] for rep in report["workloads"].values()
                   for runs in rep["raw"].values() for r in runs), default=0.0)
    if busiest > BUSY_CPUS:
        print(f"WARNING: other processes used up to {busiest:.2f} CPUs during a run (see others_cpus in the JSON); "
              "those timings are not the frameworks'. Rerun on a quiet machine.")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(f"written to {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
