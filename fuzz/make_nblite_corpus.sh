#!/usr/bin/env bash
# Seeds for nblite_fuzz: small quantized models written by nabla-convert --quantize int8 from Keras 3 models that
# Keras itself builds (.venv's Keras): a Dense model (tests/io/data), a Conv2D + BatchNormalization + ReLU +
# MaxPooling2D + Dense model, and a functional graph with Add, Concatenate and AveragePooling2D, so that every op
# code is in the corpus. Usage: fuzz/make_nblite_corpus.sh [BUILD_DIR (default build/release)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=fuzz/corpus/nblite_fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} .venv/bin/python - "$work" <<'PY'
import os, struct, sys
import numpy as np
import keras
from keras import layers
work = sys.argv[1]
keras.utils.set_random_seed(0)
conv = keras.Sequential([keras.Input((6, 6, 1)), layers.Conv2D(3, 3, padding="same"), layers.BatchNormalization(),
                         layers.ReLU(), layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3, activation="softmax")])
conv.save(os.path.join(work, "conv.keras"))
x = keras.Input((4, 4, 2))
a = layers.Conv2D(2, 1, activation="relu")(x)
b = layers.Add()([a, layers.Conv2D(2, 3, padding="same", activation="relu")(a)])
c = layers.Concatenate()([a, b])
d = layers.Dense(2)(layers.Flatten()(layers.AveragePooling2D(2)(c)))
keras.Model(x, d).save(os.path.join(work, "graph.keras"))
rng = np.random.default_rng(0)
for name, dims in (("conv", (16, 6, 6)), ("graph", (16, 4, 4, 2))):
    with open(os.path.join(work, name + ".idx"), "wb") as f:
        f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims))
        f.write(rng.integers(0, 256, size=dims, dtype=np.uint8).tobytes())
with open(os.path.join(work, "dense.idx"), "wb") as f:
    f.write(bytes([0, 0, 8, 2]) + struct.pack(">II", 16, 4) + rng.integers(0, 256, size=64, dtype=np.uint8).tobytes())
PY
convert="$build/tools/nabla-convert"
"$convert" --quantize int8 --calibration 16 --calibration-data "$work/dense.idx" tests/io/data/keras3_sequential.keras "$out/dense.nblite"
"$convert" --quantize int8 --calibration 16 --calibration-data "$work/conv.idx" "$work/conv.keras" "$out/conv.nblite"
"$convert" --quantize int8 --calibration 16 --calibration-data "$work/graph.idx" "$work/graph.keras" "$out/graph.nblite"
ls -l "$out"
