"""`python -m app export-onnx`: write member checkpoints as the ONNX graphs the app runs.

    python -m app export-onnx [CKPT ...] [--out-dir DIR] [--no-int8] [--count 1024]

For each checkpoint (default: the shipped models/cnn1.pt and models/cnn2.pt) writes
`<stem>.onnx` (float) and `<stem>.int8.onnx` (static int8, calibrated on `--count` FER+
Train faces drawn with `--seed`, as scripts/quantize_members.py does) beside it or in
--out-dir, then checks each graph against the torch module it came from on random inputs
and prints a JSON report. Needs the training extra (torch, onnx): `pip install -e .[train]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-onnx", help="write checkpoints as the app's ONNX graphs (float "
                       "and int8) with their description in the graph's metadata",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="*", type=Path, metavar="CKPT",
                   help="member checkpoints (default: the shipped models/cnn1.pt, cnn2.pt)")
    p.add_argument("--out-dir", type=Path, help="where to write (default: beside each)")
    p.add_argument("--no-int8", action="store_true", help="write the float graphs only")
    p.add_argument("--count", type=int, default=1024, help="calibration faces (FER+ Train)")
    p.add_argument("--seed", type=int, default=0, help="seed drawing the calibration faces")
    p.add_argument("--calibration", default="ferplus", metavar="SOURCES",
                   help="training sets the calibration faces come from: ferplus (default) or "
                   "a mix, e.g. ferplus+rafdb+expw+imfdb (the shipped graphs' own mix)")
    p.set_defaults(func=run_export_onnx)


def check_graph(checkpoint: Path, graph: Path, int8_reference=None, samples: int = 16,
                seed: int = 0) -> dict:
    """Largest logit difference between the graph and its torch module on random inputs
    (float graph: the checkpoint's module; int8 graph: `int8_reference`, e.g. the
    TorchScript int8 file, when given)."""
    import numpy as np
    import torch

    from app.model.checkpoint import load_checkpoint
    from app.model.onnx_graph import load_onnx_member

    member = load_onnx_member(graph)
    spec = member.spec
    x = np.random.default_rng(seed).standard_normal(
        (samples, spec.in_channels, spec.input_size, spec.input_size)).astype(np.float32)
    module = int8_reference if member.module.precision == "int8" else \
        load_checkpoint(checkpoint).module
    if module is None:
        return {"checked_against": None}
    with torch.inference_mode():
        ref = module(torch.from_numpy(x).contiguous(memory_format=torch.channels_last))
    ref = (ref[0] if isinstance(ref, tuple) else ref).float().numpy()
    logits, _ = member.module.run(x)
    return {"checked_against": "torch int8" if module is int8_reference else "torch float",
            "max_abs_logit_diff": float(np.abs(logits - ref).max()),
            "argmax_agreement": float((logits.argmax(1) == ref.argmax(1)).mean())}


def run_export_onnx(args: argparse.Namespace) -> int:
    try:
        from app.model.checkpoint import CheckpointError, load_checkpoint
        from app.model.static_int8 import load_static
        from app.train.onnx_export import calibration_faces, export_float, export_int8
    except ImportError as exc:
        print(f"emotune export-onnx: needs the training extra ({exc.name} is missing): "
              "pip install -e '.[train]'", file=sys.stderr)
        return 2
    from app.paths import default_weights

    checkpoints = args.checkpoints or [p for p in default_weights().values() if p.is_file()]
    if not checkpoints:
        print("emotune export-onnx: no checkpoints given and none shipped", file=sys.stderr)
        return 2
    faces = None
    if not args.no_int8:
        from app.train.faceset import DatasetError

        try:
            faces = calibration_faces(args.count, args.seed, args.calibration)
        except DatasetError as exc:
            print(f"emotune export-onnx: {args.calibration} (calibration faces) is not available "
                  f"({exc}); pass --no-int8 for the float graphs only", file=sys.stderr)
            return 2
    report = {}
    for checkpoint in checkpoints:
        out_dir = args.out_dir or checkpoint.parent
        stem = checkpoint.with_suffix("").name
        try:
            written = [export_float(checkpoint, out_dir / f"{stem}.onnx")]
            if faces is not None:
                written.append(export_int8(checkpoint, out_dir / f"{stem}.int8.onnx", faces))
        except CheckpointError as exc:
            print(f"emotune export-onnx: {exc}", file=sys.stderr)
            return 2
        reference, _ = load_static(load_checkpoint(checkpoint))
        report[str(checkpoint)] = {str(p): {"bytes": p.stat().st_size,
                                            **check_graph(checkpoint, p, reference)}
                                   for p in written}
    print(json.dumps(report, indent=2))
    return 0
