"""callbacks::TensorBoard checked by TensorBoard itself (tensorboard 2.21 in the project venv).

Runs nabla_views_program, then
  1. reads <out>/logs/train and <out>/logs/validation with tensorboard's EventAccumulator (which verifies every
     record's masked CRC32C) and checks every scalar against what fit logged, every weight histogram's
     count/min/max/sum against the final weights, the layer graph and the model summary text;
  2. serves <out>/logs with `tensorboard --logdir` on 127.0.0.1 (a free port) and reads the scalar tags and the
     epoch_loss series back through its HTTP API, within a time bound, then stops it.
Usage: tensorboard_check.py <nabla_views_program> <out_dir>
"""
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def close(a, b, rel=1e-5, abs_=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def load(run_dir):
    acc = EventAccumulator(run_dir, size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def check_accumulators(out, exp):
    epochs, steps = exp["epochs"], exp["steps_per_epoch"]
    hist = exp["history"]
    train = load(os.path.join(out, "logs", "train"))
    val = load(os.path.join(out, "logs", "validation"))
    ttags, vtags = train.Tags(), val.Tags()
    print("train tags:", ttags)
    print("validation tags:", vtags)
    n_scalars = 0
    # Epoch scalars: step = epoch, value = what fit logged (float32 in the event).
    for key, series in hist.items():
        acc, tag = (val, "epoch_" + key[4:]) if key.startswith("val_") else (train, "epoch_" + key)
        events = acc.Scalars(tag)
        if [e.step for e in events] != list(range(epochs)):
            fail(f"{tag}: steps {[e.step for e in events]}, expected 0..{epochs - 1}")
        for e, v in zip(events, series):
            if not close(e.value, v):
                fail(f"{tag} at epoch {e.step}: {e.value} in the event file, {v} logged by fit")
        n_scalars += len(events)
    lr = train.Scalars("epoch_learning_rate")
    if len(lr) != epochs or not all(close(e.value, exp["learning_rate"]) for e in lr):
        fail(f"epoch_learning_rate: {[e.value for e in lr]}")
    sps = train.Scalars("epoch_steps_per_second")
    if len(sps) != epochs or not all(e.value > 0 for e in sps):
        fail(f"epoch_steps_per_second: {[e.value for e in sps]}")
    n_scalars += len(lr) + len(sps)
    # Batch scalars every update_freq global batches (1-based), as Keras.
    freq, total = exp["update_freq"], epochs * steps
    want_steps = list(range(freq, total + 1, freq))
    for tag in ("batch_loss", "batch_accuracy"):
        got = [e.step for e in train.Scalars(tag)]
        if got != want_steps:
            fail(f"{tag}: steps {got}, expected {want_steps}")
        n_scalars += len(got)
    # update_freq is half an epoch: the batch summary at an epoch's last step holds its running mean, epoch_loss.
    by_step = {e.step: e.value for e in train.Scalars("batch_loss")}
    for ep in range(epochs):
        s = (ep + 1) * steps
        if s not in by_step or not close(by_step[s], hist["loss"][ep]):
            fail(f"batch_loss at step {s} is {by_step[s]}, epoch {ep} loss {hist['loss'][ep]}")
    ev = val.Scalars("evaluation_loss_vs_iterations")
    if [e.step for e in ev] != [steps * (ep + 1) for ep in range(epochs)]:
        fail(f"evaluation_loss_vs_iterations steps {[e.step for e in ev]}")
    n_scalars += len(ev)
    # Histograms: one per weight per epoch (histogram_freq 1); the last one is of the final weights.
    n_hist = 0
    for tag, w in exp["final_weights"].items():
        hs = train.Histograms(tag)
        if [h.step for h in hs] != list(range(epochs)):
            fail(f"{tag}: histogram steps {[h.step for h in hs]}")
        for h in hs:
            hv = h.histogram_value
            if hv.num != w["num"] or sum(hv.bucket) != w["num"]:
                fail(f"{tag}@{h.step}: num {hv.num}, bucket total {sum(hv.bucket)}, expected {w['num']}")
            if list(hv.bucket_limit) != sorted(hv.bucket_limit):
                fail(f"{tag}@{h.step}: bucket limits not increasing")
        last = hs[-1].histogram_value
        if not (close(last.min, w["min"]) and close(last.max, w["max"]) and close(last.sum, w["sum"], 1e-4, 1e-4)):
            fail(f"{tag}: last histogram min/max/sum {last.min}/{last.max}/{last.sum}, weights {w}")
        n_hist += len(hs)
    # The graph: one node per layer of the Sequential model (after its InputLayer, when it has one), chained.
    g = train.Graph()
    names = [n.name for n in g.node]
    if names[-len(exp["layers"]):] != exp["layers"]:
        fail(f"graph nodes {names}, layers {exp['layers']}")
    for a, b in zip(g.node, g.node[1:]):
        if list(b.input) != [a.name]:
            fail(f"graph node {b.name} reads {list(b.input)}, expected [{a.name}]")
    text = train.Tensors("model_summary")
    if len(text) != 1 or b"Total params" not in text[0].tensor_proto.string_val[0]:
        fail("model_summary text summary missing or without the parameter count")
    print(f"EventAccumulator: {n_scalars} scalars, {n_hist} histograms, graph of {len(names)} nodes, "
          "summary text: all match")
    return n_scalars


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def check_server(out, exp):
    tb = shutil.which("tensorboard", path=os.path.dirname(sys.executable))
    if not tb:
        fail("tensorboard not found beside " + sys.executable + " (scripts/setup installs it into .venv)")
    port = free_port()
    proc = subprocess.Popen([tb, "--logdir", os.path.join(out, "logs"), "--host", "127.0.0.1", "--port", str(port),
                             "--load_fast", "false", "--reload_interval", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        tags = {}
        while time.time() < deadline:
            if proc.poll() is not None:
                fail("tensorboard exited: " + proc.stdout.read().decode(errors="replace")[-2000:])
            try:
                tags = get_json(base + "/data/plugin/scalars/tags")
                if "epoch_loss" in tags.get("train", {}) and "epoch_loss" in tags.get("validation", {}):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            fail(f"tensorboard did not serve the scalar tags within 120 s: {tags}")
        print("served scalar tags:", {run: sorted(t) for run, t in tags.items()})
        series = get_json(base + "/data/plugin/scalars/scalars?run=train&tag=epoch_loss")
        got = [row[2] for row in series]  # [wall_time, step, value]
        if len(got) != exp["epochs"] or not all(close(a, b) for a, b in zip(got, exp["history"]["loss"])):
            fail(f"served epoch_loss {got}, fit logged {exp['history']['loss']}")
        htags = get_json(base + "/data/plugin/histograms/tags")
        if set(exp["final_weights"]) - set(htags.get("train", {})):
            fail(f"served histogram tags {htags}")
        print(f"tensorboard on {base}: epoch_loss {got} matches; {len(htags['train'])} histogram tags")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    program, out = sys.argv[1], sys.argv[2]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    subprocess.run([program, out], check=True)
    with open(os.path.join(out, "expected.json")) as f:
        exp = json.load(f)
    check_accumulators(out, exp)
    check_server(out, exp)
    print("PASS")


if __name__ == "__main__":
    main()
