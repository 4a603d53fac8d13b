"""ONNX Runtime against OpenCV's DNN module (and torch, today's path) for the members.

    PYTHONPATH=. .venv/bin/python benchmarks/runtime_compare.py [--calls 300] [--json OUT]

Per runtime and graph: milliseconds per face (one face and its mirror image in one batch,
as the app's test-time flip runs them; one thread; median of `--calls`), and, each in a
fresh process, the seconds from interpreter start to the first prediction of both members
and the resident memory then. OpenCV DNN loads what it can: a graph it refuses is
reported with its error.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"

# One fresh process per runtime: import it, load both members, score one face (with flip).
_COLD = r"""
import sys, time, resource
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import numpy as np
kind, precision = sys.argv[1], sys.argv[2]
x = [np.random.default_rng(0).standard_normal((2, 3, n, n)).astype(np.float32)
     for n in (64, 48)]
if kind == "onnxruntime":
    from app.model.onnx_graph import load_onnx_member
    suffix = ".int8.onnx" if precision == "int8" else ".onnx"
    runs = [load_onnx_member({models!r} + f"/{{m}}{{suffix}}").module.run
            for m in ("cnn1", "cnn2")]
elif kind == "opencv":
    import cv2
    cv2.setNumThreads(1)
    suffix = ".int8.onnx" if precision == "int8" else ".onnx"
    nets = [cv2.dnn.readNetFromONNX({models!r} + f"/{{m}}{{suffix}}") for m in ("cnn1", "cnn2")]
    def wrap(net):
        def run(b):
            net.setInput(b)
            return net.forward("logits")
        return run
    runs = [wrap(n) for n in nets]
else:
    import torch
    torch.set_num_threads(1)
    from app.model.checkpoint import load_checkpoint
    from app.model.optimize import optimize_member
    level = "static" if precision == "int8" else "none"
    mods = [optimize_member(load_checkpoint({models!r} + f"/{{m}}.pt"), level).module
            for m in ("cnn1", "cnn2")]
    def wrap(mod):
        def run(b):
            with torch.inference_mode():
                return mod(torch.from_numpy(b).contiguous(memory_format=torch.channels_last))
        return run
    runs = [wrap(m) for m in mods]
for run, b in zip(runs, x):
    run(b)
first = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{first:.3f}} {{rss:.1f}}")
"""


def warm_ms(kind: str, precision: str, calls: int) -> dict[str, float]:
    """Median ms per face (a batch of face + mirror) for each member, warmed up."""
    import numpy as np

    out = {}
    for member, n in (("cnn1", 64), ("cnn2", 48)):
        x = np.random.default_rng(1).standard_normal((2, 3, n, n)).astype(np.float32)
        if kind == "onnxruntime":
            from app.model.onnx_graph import load_onnx_member

            suffix = ".int8.onnx" if precision == "int8" else ".onnx"
            run = load_onnx_member(MODELS / f"{member}{suffix}").module.run
        elif kind == "opencv":
            import cv2

            cv2.setNumThreads(1)
            suffix = ".int8.onnx" if precision == "int8" else ".onnx"
            net = cv2.dnn.readNetFromONNX(str(MODELS / f"{member}{suffix}"))

            def run(b, net=net):
                net.setInput(b)
                return net.forward("logits")
        else:
            import torch

            from app.model.checkpoint import load_checkpoint
            from app.model.optimize import optimize_member

            torch.set_num_threads(1)
            level = "static" if precision == "int8" else "none"
            module = optimize_member(load_checkpoint(MODELS / f"{member}.pt"), level).module

            def run(b, module=module):
                with torch.inference_mode():
                    return module(torch.from_numpy(b).contiguous(
                        memory_format=torch.channels_last))
        for _ in range(20):
            run(x)
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            run(x)
            times.append((time.perf_counter() - t) * 1000.0)
        out[member] = round(float(np.median(times)), 3)
    return out


def opencv_agreement(precision: str) -> dict[str, float]:
    """Largest logit difference between OpenCV DNN and ONNX Runtime on the same graph and
    faces-like inputs (does OpenCV compute what the graph says?)."""
    import cv2
    import numpy as np

    from app.model.onnx_graph import load_onnx_member

    out = {}
    for member, n in (("cnn1", 64), ("cnn2", 48)):
        path = MODELS / f"{member}{'.int8' if precision == 'int8' else ''}.onnx"
        x = np.random.default_rng(2).uniform(-1, 1, (8, 3, n, n)).astype(np.float32)
        net = cv2.dnn.readNetFromONNX(str(path))
        net.setInput(x)
        got = net.forward("logits")
        want, _ = load_onnx_member(path).module.run(x)
        out[member] = round(float(np.abs(got - want).max()), 5)
    return out


def cold(kind: str, precision: str) -> dict[str, float]:
    code = _COLD.format(root=str(ROOT), models=str(MODELS))
    done = subprocess.run([sys.executable, "-c", code, kind, precision], capture_output=True,
                          text=True, timeout=300)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1][:200]}
    first, rss = done.stdout.split()
    return {"start_to_first_s": float(first), "rss_mb": float(rss)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    for kind, precision in (("onnxruntime", "int8"), ("onnxruntime", "float"),
                            ("opencv", "float"), ("opencv", "int8"), ("torch", "int8"),
                            ("torch", "float")):
        row = {"runtime": kind, "graph": precision}
        try:
            row["ms_per_face"] = warm_ms(kind, precision, args.calls)
        except Exception as exc:  # noqa: BLE001 - a runtime that cannot load it is a finding
            row["ms_per_face"] = {"error": f"{type(exc).__name__}: {str(exc)[:160]}"}
        if "error" not in row["ms_per_face"]:
            row.update(cold(kind, precision))
            if kind == "opencv":
                row["max_logit_diff_vs_onnxruntime"] = opencv_agreement(precision)
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    report = {"rows": rows, "loadavg": load}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print(json.dumps({"loadavg": load}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
