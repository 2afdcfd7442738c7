#!/usr/bin/env python3
"""The seed document's MNIST program (Flatten, Dense 128 relu, Dropout 0.2, Dense 10 softmax; adam; 5 epochs at
batch 32) timed in one run on four sides, interleaved per repeat so that a slow spell on a shared machine does
not fall on one side only:

  nabla-python  the seed program under `import nabla as tf` (/usr/bin/python3, PYTHONPATH=build/release/python)
  nabla-python-f32  the same, casting the images to float32 before fit as the C++ example does
  nabla-c++     examples/mnist_mlp (the same program in C++; build/release/examples/mnist_mlp)
  tensorflow    the same seed program under real TensorFlow (the project venv's tensorflow-cpu)
  pytorch       bench/torch_mnist.py (PyTorch eager, the same model, init and Adam settings; no progress bar)

Each side reports fit's seconds (the training loop only: not loading, not evaluation) and the test accuracy on
the scaled test images. Prints the medians and the ratios (peer seconds / nabla-python seconds; nabla-python /
nabla-c++ should be <= 1.05), and one JSON line per run.

Every side runs at each of --threads' counts (default 1); with several ("1,2"), each side's fastest count is what
the ratios compare (as bench/side_by_side.py does: PyTorch eager is fastest at 1 thread, nabla at 2 on 2 cores).

Usage: bench/python_seed_mlp.py [--repeats 3] [--epochs 5] [--threads 1[,2]]
                                [--sides nabla-python,nabla-c++,tensorflow,pytorch]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "release")
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

# The seed program; {imports} and {load} differ per framework, nothing else. Test images are scaled (the seed's
# block forgets to; the accuracies compare the same thing).
SEED = """
import json, time
{imports}

# Step 1: Prepare Data
(train_images, train_labels), (test_images, test_labels) = {load}
train_images = train_images / 255.0  # Normalize the images
test_images = test_images / 255.0
{cast}
# Step 2: Build the Model
model = models.Sequential([
    layers.Flatten(input_shape=(28, 28)),
    layers.Dense(128, activation='relu'),
    layers.Dropout(0.2),
    layers.Dense(10, activation='softmax')
])

# Step 3: Compile the Model
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])

# Step 4: Train the Model
start = time.perf_counter()
model.fit(train_images, train_labels, epochs={epochs})
fit_seconds = time.perf_counter() - start

# Step 5: Evaluate the Model
test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
print("RESULT " + json.dumps({{"fit_seconds": fit_seconds, "test_accuracy": float(test_acc)}}))
"""

TF_LOAD = """import sys
sys.path.insert(0, {bench!r})
import torch_mnist as _idx  # its IDX reader only (torch is imported lazily there, never here)
_d = {data!r}
(train_images, train_labels), (test_images, test_labels) = (
    (_idx.read_idx(_d + "/train-images-idx3-ubyte"), _idx.read_idx(_d + "/train-labels-idx1-ubyte")),
    (_idx.read_idx(_d + "/t10k-images-idx3-ubyte"), _idx.read_idx(_d + "/t10k-labels-idx1-ubyte")))
"""


def data_dir():
    return os.path.join(os.environ.get("NABLA_DATA", os.path.expanduser("~/.nabla/datasets")), "mnist")


THREADS = 1


def thread_env(**extra):
    n = str(THREADS)
    return dict(os.environ, NABLA_NUM_THREADS=n, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n,
                TF_NUM_INTRAOP_THREADS=n, TF_NUM_INTEROP_THREADS=n, **extra)


def run_seed(python, imports, load, epochs, env=None, prelude="", cast=""):
    code = prelude + SEED.format(imports=imports, load=load, epochs=epochs, cast=cast)
    r = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd="/tmp")
    if r.returncode != 0:
        raise RuntimeError(f"{python} failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.split("RESULT ", 1)[1].splitlines()[0])


def nabla_python(epochs):
    env = thread_env(PYTHONPATH=os.path.join(BUILD, "python"))
    return run_seed("/usr/bin/python3", "import nabla as tf\nfrom nabla.keras import layers, models",
                    "tf.keras.datasets.mnist.load_data()", epochs, env)


def nabla_python_f32(epochs):
    """The seed program with its images cast to float32 before fit, as the C++ example does: the like-for-like
    comparison with nabla-c++. (The seed's `/ 255.0` makes float64, which fit casts to float32, as Keras does;
    that first touch of a fresh 188 MB array is part of nabla-python's fit time.)"""
    env = thread_env(PYTHONPATH=os.path.join(BUILD, "python"))
    return run_seed("/usr/bin/python3", "import nabla as tf\nfrom nabla.keras import layers, models",
                    "tf.keras.datasets.mnist.load_data()", epochs, env,
                    cast="train_images = train_images.astype('float32')\n")


def nabla_cpp(epochs):
    if epochs != 5:
        raise ValueError("examples/mnist_mlp trains 5 epochs")
    r = subprocess.run([os.path.join(BUILD, "examples", "mnist_mlp")], capture_output=True, text=True, check=True,
                       env=thread_env())
    return {"fit_seconds": float(re.search(r"fit_seconds: ([0-9.]+)", r.stdout).group(1)),
            "test_accuracy": float(re.search(r"Test accuracy: ([0-9.]+)", r.stdout).group(1))}


def tensorflow(epochs):
    env = thread_env(TF_CPP_MIN_LOG_LEVEL="2")
    prelude = TF_LOAD.format(bench=os.path.join(ROOT, "bench"), data=data_dir())
    out = run_seed(VENV_PYTHON, "import tensorflow as tf\nfrom tensorflow.keras import layers, models",
                   "(train_images, train_labels), (test_images, test_labels)", epochs, env, prelude)
    v = subprocess.run([VENV_PYTHON, "-c", "import tensorflow as tf; print(tf.__version__)"], capture_output=True,
                       text=True, env=env).stdout.strip()
    return dict(out, version=v)


def pytorch(epochs):
    threads = str(THREADS)
    r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "torch_mnist.py"), "--epochs", str(epochs),
                        "--threads", threads], capture_output=True, text=True, check=True, env=thread_env())
    j = json.loads(r.stdout.strip().splitlines()[-1])
    return {"fit_seconds": sum(j["epoch_seconds"]), "test_accuracy": j["test_accuracy"], "version": j["torch_version"]}


SIDES = {"nabla-python": nabla_python, "nabla-python-f32": nabla_python_f32, "nabla-c++": nabla_cpp,
         "tensorflow": tensorflow, "pytorch": pytorch}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--sides", default=",".join(SIDES))
    ap.add_argument("--threads", default="1", help="comma-separated thread counts; each side's fastest is compared")
    args = ap.parse_args()
    global THREADS
    counts = [int(t) for t in args.threads.split(",")]
    sides = args.sides.split(",")
    runs = {(s, t): [] for s in sides for t in counts}
    for rep in range(args.repeats):
        for t in counts:
            THREADS = t
            for s in sides:
                r = SIDES[s](args.epochs)
                runs[(s, t)].append(r)
                print(json.dumps({"side": s, "threads": t, "repeat": rep, **r}), flush=True)
    cpu = subprocess.run("grep -o 'avx512[a-z]*\\|avx2' /proc/cpuinfo | sort -u | tr '\\n' ' '", shell=True,
                         capture_output=True, text=True).stdout.strip()
    print(f"\n{os.cpu_count()} CPUs ({cpu}); thread counts {args.threads} per side; {args.epochs} epochs, batch 32; "
          f"medians of {args.repeats}")
    med = {k: statistics.median(r["fit_seconds"] for r in v) for k, v in runs.items()}
    acc = {k: statistics.median(r["test_accuracy"] for r in v) for k, v in runs.items()}
    best = {s: min(counts, key=lambda t: med[(s, t)]) for s in sides}
    print(f"{'side':17} {'threads':>7} {'fit s':>8} {'test acc':>9} {'peer s / nabla-python s':>24}")
    for s in sides:
        for t in counts:
            ratio = med[(s, t)] / med[("nabla-python", best["nabla-python"])] if "nabla-python" in best else float("nan")
            mark = "*" if best[s] == t else " "
            print(f"{s:17} {t:>6}{mark} {med[(s, t)]:8.2f} {acc[(s, t)]:9.4f} {ratio:24.2f}")
    print("(* each side's fastest thread count; ratios against nabla-python at its fastest)")
    for s in ("nabla-python", "nabla-python-f32"):
        if s in best and "nabla-c++" in best:
            for t in counts:
                print(f"{s} / nabla-c++ at {t} thread(s): {med[(s, t)] / med[('nabla-c++', t)]:.3f} (target <= 1.05)")


if __name__ == "__main__":
    sys.exit(main())
