#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/: small valid inputs for each fuzz target (plus a few
edge cases), so that libFuzzer starts from the formats' real structure. Rerun after changing an input format;
the files are committed. Usage: fuzz/make_corpus.py"""
import gzip
import json
import math
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def idx(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


IDX = {
    "u8_2x3": idx(0x08, [2, 3], bytes([0, 1, 127, 128, 255, 42])),
    "i8_4": idx(0x09, [4], bytes([0, 1, 0x80, 0xFF])),
    "i16_2x2": idx(0x0B, [2, 2], struct.pack(">4h", 0, -1, 32767, -32768)),
    "i32_3": idx(0x0C, [3], struct.pack(">3i", 0, -2, 2**31 - 1)),
    "f32_2x1x2": idx(0x0D, [2, 1, 2], struct.pack(">4f", 0.5, -0.0, float("inf"), 1e-30)),
    "f64_2": idx(0x0E, [2], struct.pack(">2d", 1e300, -0.1)),
    "scalar_u8": idx(0x08, [], bytes([7])),
    "empty_0x28": idx(0x08, [0, 28], b""),
    "mnist_like_1x28x28": idx(0x08, [1, 28, 28], bytes(range(256)) * 3 + bytes(16)),
    # Issue 19's reproducer: a zero beside dimensions whose strides overflow int64 (now refused).
    "issue19_zero_dim": bytes.fromhex("00000807000000140000000008070000001400000"
                                      "01c0000001c000102030405"),
}


def idx_corpora():
    for name, data in IDX.items():
        put("idx_raw_fuzz", name, data)
        put("idx_gzip_fuzz", name + "_plain", b"\x00" + data)  # even first byte: the harness compresses
        put("idx_gzip_fuzz", name + "_gz", b"\x01" + gzip.compress(data, mtime=0))
    # Two gzip members back to back: zlib reads them as one stream.
    put("idx_gzip_fuzz", "two_members_gz", b"\x01" + gzip.compress(IDX["u8_2x3"][:10], mtime=0)
        + gzip.compress(IDX["u8_2x3"][10:], mtime=0))


def csv_corpora():
    # First byte: option flags (see fuzz/csv_fuzz.cpp).
    put("csv_fuzz", "header_f32", b"\x01a,b,c\n1,2,3\n4.5,-6,7e2\n")
    put("csv_fuzz", "header_label_types", b"\x15a,b,c\n1.5,2,3\n-4,5,255\n")
    put("csv_fuzz", "no_header_semicolon", b"\x02" + b"1;2;3\r\n4;5;6\r\n")
    put("csv_fuzz", "defaults_quotes", b"\x21a,b,c\n,\"2\",\n\"1\",\"\"\"3\",4\n\n  7 , 8 ,9 \n")
    put("csv_fuzz", "select_f64", b"\x49a,b,c\n1,2,3\n4,5,6\n")
    put("csv_fuzz", "bad_field", b"\x01a,b,c\n1,x,3\n")


def text_corpora():
    put("text_line_fuzz", "lines", b"\x00first line\nsecond\r\n\nlast without newline")
    put("text_line_fuzz", "skip_header", b"\x01header\nrow 1\nrow 2\n")
    put("text_line_fuzz", "crlf_only", b"\x00\r\n\r\n\r")
    put("text_line_fuzz", "binary", b"\x00\x00\xff\xfe\n\x80\x00\n")


def framed(magic, header, blob):
    """nabla's weight and NaN-dump files: 8 magic bytes, the JSON header's length, the header, the tensor bytes."""
    hj = json.dumps(header, separators=(",", ":")).encode()
    return magic + struct.pack("<Q", len(hj)) + hj + blob


def float32_tensors(tensors):
    """(name, shape, values) triples -> the header's tensor entries and the packed float32 bytes."""
    entries, blob = [], b""
    for name, shape, values in tensors:
        entries.append({"name": name, "dtype": "float32", "shape": shape, "offset": len(blob), "nbytes": 4 * len(values)})
        blob += struct.pack("<%df" % len(values), *values)
    return entries, blob


# The model of fuzz/weights_fuzz.cpp and fuzz/nan_dump_fuzz.cpp: Dense(4) on 3 inputs, then Dense(2).
DENSE_4_2 = [("dense/kernel", [3, 4]), ("dense/bias", [4]), ("dense_1/kernel", [4, 2]), ("dense_1/bias", [2])]


def weights(entries, blob, header_extra=None, version=1):
    h = {"format": "nabla-weights", "version": version, "model": "sequential", "weights": entries}
    h.update(header_extra or {})
    return framed(b"NABLAW01", h, blob)


def weights_corpora():
    entries, blob = float32_tensors([(name, shape, [0.25 * i for i in range(math.prod(shape))])
                                     for name, shape in DENSE_4_2])
    put("weights_fuzz", "valid", weights(entries, blob))
    put("weights_fuzz", "with_config", weights(entries, blob, {"config": {"layers": [
        {"name": "dense", "type": "Dense", "config": "units=4", "output_shape": [-1, 4]}],
        "optimizer": {"name": "adam", "learning_rate": 0.001, "iterations": 3}}}))
    put("weights_fuzz", "wrong_count", weights(entries[:2], blob))
    put("weights_fuzz", "float64", weights([dict(e, dtype="float64", nbytes=2 * e["nbytes"]) for e in entries],
                                           blob + blob))
    put("weights_fuzz", "truncated", weights(entries, blob)[:-5])


def nan_dump(tensors, header_extra=None):
    entries, blob = float32_tensors(tensors)
    h = {"format": "nabla-nan-dump", "version": 1, "model": "sequential", "epoch": 0, "step": 3, "optimizer": "adam",
         "iterations": 3, "learning_rate": 0.001, "rng": ["1", "2", "3", "18446744073709551615"], "tensors": entries}
    h.update(header_extra or {})
    return framed(b"NABLANAN", h, blob)


def nan_dump_corpora():
    # Adam's state: the m slots of every parameter, then the v slots.
    batch = [("x", [2, 3], [0.5, -1.0, 2.0, 0.0, 1.5, -0.25]), ("y", [2, 2], [1.0, 0.0, 0.0, 1.0])]
    weight_tensors = [("weight:" + name, shape, [0.125 * (i % 5 - 2) for i in range(math.prod(shape))])
                      for name, shape in DENSE_4_2]
    state = [("optimizer_state:%d" % i, shape, [0.01] * math.prod(shape))
             for i, (_, shape) in enumerate(DENSE_4_2 + DENSE_4_2)]
    put("nan_dump_fuzz", "no_optimizer_state", nan_dump(batch + weight_tensors))
    put("nan_dump_fuzz", "adam_state", nan_dump(batch + weight_tensors + state))
    put("nan_dump_fuzz", "nan_in_batch", nan_dump([("x", [1, 3], [float("nan"), 1.0, 2.0]), ("y", [1, 2], [0.0, 1.0])]
                                                  + weight_tensors, {"learning_rate": None}))
    put("nan_dump_fuzz", "sample_weight", nan_dump(batch + [("sample_weight", [2], [1.0, 0.5])] + weight_tensors))
    put("nan_dump_fuzz", "truncated", nan_dump(batch + weight_tensors)[:-7])


def shape_corpora():
    # rank of x, x's dims (mod 4), rank of the target, the target's dims (see fuzz/shape_fuzz.cpp).
    put("shape_fuzz", "reshape_2x3_to_3x2", bytes([2, 2, 3, 2, 3, 2]))
    put("shape_fuzz", "reshape_infer", bytes([3, 2, 3, 2, 2, 240, 2]))
    put("shape_fuzz", "zero_beside_huge", bytes([2, 0, 3, 7, 20, 0, 247, 20, 28, 28, 248]) + struct.pack("<q", 66051))
    put("shape_fuzz", "int64_max", bytes([1, 1, 2, 245, 1]))
    put("shape_fuzz", "bytes_overflow", bytes([0, 1, 246]))
    put("shape_fuzz", "broadcast", bytes([3, 1, 3, 1, 3, 2, 1, 1]))


if __name__ == "__main__":
    idx_corpora()
    csv_corpora()
    text_corpora()
    weights_corpora()
    shape_corpora()
    nan_dump_corpora()
