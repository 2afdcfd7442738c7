"""examples/python: the seed document's Python blocks with only their imports changed, run as programs."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"


def run(name, max_epochs):
    env = dict(os.environ)
    if max_epochs:
        env["NABLA_MAX_EPOCHS"] = str(max_epochs)  # a smoke run: the programs themselves ask for 5 epochs
    r = subprocess.run([sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


@pytest.mark.parametrize("name", ["mnist_training_loop.py", "class_weight.py", "tf_data_pipeline.py",
                                  "resample.py", "check_numerics.py"])
def test_seed_block_runs(name):
    out = run(name, max_epochs=1)
    if name == "mnist_training_loop.py":
        assert re.search(r"Test accuracy: [0-9.]+", out)
    if name == "resample.py":
        assert "balanced: (11846, 28, 28)" in out


def test_corrected_mnist_reaches_0_975():
    out = run("mnist_training_loop_corrected.py", max_epochs=None)
    acc = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert acc >= 0.975, out[-2000:]
