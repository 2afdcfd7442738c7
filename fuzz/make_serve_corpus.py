#!/usr/bin/env python3
"""Writes fuzz/corpus/serve_request_fuzz/: requests and config files for serve_request_fuzz (see its header for
the first byte). Usage: fuzz/make_serve_corpus.py"""
import base64
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "serve_request_fuzz")
os.makedirs(ROOT, exist_ok=True)

GET, POST, MODELS, BATCHING = b"\x00", b"\x01", b"\x02", b"\x03"
row = base64.b64encode(struct.pack("<4f", 1, 2, 3, 4)).decode()
SEEDS = {
    "status": GET + b"/v1/models/m",
    "status_version": GET + b"/v1/models/m/versions/1",
    "metadata_label": GET + b"/v1/models/two/labels/stable/metadata",
    "metrics": GET + b"/monitoring/prometheus/metrics",
    "predict_row": POST + b'/v1/models/m:predict\n{"instances": [[1, 2, 3, 4], [0.5, -1, 1e-3, 2]]}',
    "predict_columnar": POST + b'/v1/models/m/versions/1:predict\n{"signature_name": "serving_default", "inputs": [[1, 2, 3, 4]]}',
    "predict_nan": POST + b'/v1/models/m:predict\n{"instances": [[NaN, Infinity, -Infinity, 0]]}',
    "predict_b64": POST + b'/v1/models/m:predict\n{"instances": [{"b64": "' + row.encode() + b'"}]}',
    "predict_named_rows": POST + b'/v1/models/two:predict\n{"instances": [{"a": [1, 2], "b": [3]}, {"a": [4, 5], "b": [6]}]}',
    "predict_named_columns": POST + b'/v1/models/two:predict\n{"inputs": {"a": [[1, 2]], "b": [[3]]}}',
    "classify": POST + b'/v1/models/m:classify\n{"examples": [{"x": [1, 2]}], "context": {"c": 1}}',
    "regress": POST + b'/v1/models/two:regress\n{"signature_name": "r", "examples": []}',
    "models_config": MODELS + b"""model_config_list {
  config {
    name: 'mnist'
    base_path: "/models/mnist"
    model_platform: 'tensorflow'
    model_version_policy { specific { versions: 1 versions: 2 } }
    version_labels { key: 'stable' value: 1 }
  }
  config { name: 'b' base_path: '/b' model_version_policy: { latest: { num_versions: 2 } } }
  config < name: "c" base_path: "/c" model_version_policy { all {} } >
}
""",
    "batching": BATCHING + b"""max_batch_size { value: 64 }
batch_timeout_micros { value: 1000 }
max_enqueued_batches { value: 8 }
num_batch_threads { value: 2 }
allowed_batch_sizes: [8, 16, 64]
pad_variable_length_inputs: true  # comment
""",
}
for name, data in SEEDS.items():
    with open(os.path.join(ROOT, name), "wb") as f:
        f.write(data)
