"""Checks nabla's ONNX exports with the onnx package itself (Debian's python3-onnx, onnx 1.12).

    /usr/bin/python3 check_models.py DIR          every DIR/<name>.json manifest written by nabla_onnx_export_tests
    /usr/bin/python3 check_models.py FILE.onnx    one file (nabla-convert's output, say)

For each model: onnx.checker.check_model(full_check=True)
(structure, operator schemas, and onnx's shape inference in strict mode), then shape inference again to compare the
inferred output shapes with the graph's declared ones (batch axis symbolic "batch") and the manifest's names. Also
checks DIR/convert/*.onnx (nabla-convert's output). Exits non-zero naming each file and what failed.
"""
import glob
import json
import os
import sys

import onnx
from onnx import shape_inference


def dims(value_info):
    """The shape as a list: ints, symbolic names, None where unknown."""
    def one(d):
        if d.HasField("dim_param"):
            return d.dim_param
        return d.dim_value if d.HasField("dim_value") else None
    return [one(d) for d in value_info.type.tensor_type.shape.dim]


def check(path, manifest=None):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    graph = inferred.graph
    known = {v.name: v for v in list(graph.value_info) + list(graph.output) + list(graph.input)}
    problems = []
    for out in model.graph.output:
        declared = dims(out)
        # Shape inference fills the outputs it can infer; the declared shape must agree with it.
        got = dims(known[out.name]) if out.name in known else None
        if got is not None and got != declared:
            problems.append(f"output '{out.name}': declared {declared}, inferred {got}")
        if not declared or declared[0] != "batch":
            problems.append(f"output '{out.name}': batch axis is not the symbolic 'batch' ({declared})")
    for inp in model.graph.input:
        if dims(inp)[0] != "batch":
            problems.append(f"input '{inp.name}': batch axis is not the symbolic 'batch' ({dims(inp)})")
    # Every intermediate value gets a fully inferred shape (symbolic only on the batch axis).
    for v in graph.value_info:
        d = dims(v)
        if not d or None in d[1:]:
            problems.append(f"value '{v.name}': shape not inferred ({d})")
    if manifest is not None:
        names_in = [i.name for i in model.graph.input]
        names_out = [o.name for o in model.graph.output]
        if names_in != [i["name"] for i in manifest["inputs"]]:
            problems.append(f"inputs {names_in} != manifest {[i['name'] for i in manifest['inputs']]}")
        if names_out != [o["name"] for o in manifest["outputs"]]:
            problems.append(f"outputs {names_out} != manifest {[o['name'] for o in manifest['outputs']]}")
        for o in manifest["outputs"]:
            declared = dims(next(x for x in model.graph.output if x.name == o["name"]))
            if declared[1:] != o["shape"][1:]:
                problems.append(f"output '{o['name']}': declared {declared}, nabla predicted shape {o['shape']}")
        if model.opset_import[0].version != manifest["opset"]:
            problems.append(f"opset {model.opset_import[0].version} != {manifest['opset']}")
    return model, problems


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_models.py DIR | FILE.onnx")
    root = sys.argv[1]
    if root.endswith(".onnx"):
        files = [(root, None)]
    else:
        manifests = sorted(glob.glob(os.path.join(root, "*.json")))
        if not manifests:
            sys.exit(f"no manifests in {root}: run nabla_onnx_export_tests first")
        files = []
        for m in manifests:
            with open(m) as f:
                j = json.load(f)
            files.append((os.path.join(root, j["model"]), j))
    failures = 0
    for path, manifest in files:
        try:
            model, problems = check(path, manifest)
        except Exception as e:  # the checker's errors name the node and the rule
            failures += 1
            print(f"FAIL {path}: {type(e).__name__}: {e}")
            continue
        for p in problems:
            print(f"FAIL {path}: {p}")
        failures += bool(problems)
        if not problems:
            ops = sorted({n.op_type for n in model.graph.node})
            print(f"ok   {os.path.basename(path)}: opset {model.opset_import[0].version}, ir {model.ir_version}, "
                  f"{len(model.graph.node)} nodes ({', '.join(ops)})")
    print(f"onnx {onnx.__version__}: {len(files) - failures}/{len(files)} files pass check_model(full_check=True) "
          "and shape inference")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
