"""`python -m app evaluate`: score CNN_1, CNN_2, sum and product fusion on a labelled set.

    python -m app evaluate --data PATH [--aligned] [--json OUT]

PATH is a folder-per-class set (or its .tar.gz; class names matched with synonyms) unless
--kind names a known dataset layout (ferplus, fer2013, sfew, ckplus) with --split. Without
--aligned, each image goes through the app's face detector and cropper first. The shipped
weights (models/cnn1.pt, models/cnn2.pt) are used unless --cnn1/--cnn2 name checkpoints.
Prints the JSON; with --json OUT it is also written to OUT and a labelled confusion-matrix
PNG per model is written beside it (OUT_without_suffix-<model>.png).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="accuracy, macro-F1, UAR, confusion for CNN_1, CNN_2, "
                       "sum and product fusion", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="labelled face set: folder or .tar.gz")
    p.add_argument("--kind", default="folder",
                   choices=("folder", "ferplus", "fer2013", "sfew", "ckplus"),
                   help="dataset layout (default: one folder per class)")
    p.add_argument("--split", help="split for --kind ferplus (Test), fer2013 (PrivateTest), "
                   "sfew (Val)")
    p.add_argument("--aligned", action="store_true",
                   help="images are already face crops: skip face detection")
    p.add_argument("--json", metavar="OUT", help="also write the JSON (and PNGs beside it)")
    p.add_argument("--png-dir", help="write the confusion-matrix PNGs here")
    p.add_argument("--cnn1", help="CNN_1 checkpoint (default: models/cnn1.pt)")
    p.add_argument("--cnn2", help="CNN_2 checkpoint (default: models/cnn2.pt)")
    p.add_argument("--restrict-to-present", action="store_true",
                   help="predict only among the classes the set contains (e.g. CK+ six)")
    p.add_argument("--skip-unknown", action="store_true",
                   help="leave out class folders that are not one of the seven classes")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--profile", metavar="NAME|PATH",
                   help="also score a personal profile on the set (a \"profile\" entry)")
    p.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                   help="test-time flip: average each face with its mirror image "
                        "(default: the app's setting model.flip, on)")
    p.add_argument("--optimize", choices=("none", "static"),
                   help="static: the int8 graphs the app runs; none: the float ones "
                        "(default: the app's setting for --backend onnx, none for torch)")
    from app.commands.backend import add_backend_option

    add_backend_option(p)
    p.set_defaults(func=run_evaluate)


def _weights(args: argparse.Namespace, level: str = "none") -> dict[str, Path]:
    from app.paths import default_weights

    chosen = {name: Path(getattr(args, name)) for name in ("cnn1", "cnn2")
              if getattr(args, name)}
    if chosen:
        return chosen
    shipped = default_weights()
    if getattr(args, "backend", "torch") == "onnx":  # the graphs the app reads
        from app.model.runtime import existing_graph

        shipped = {n: existing_graph(p, level) or p for n, p in shipped.items()}
    return {name: path for name, path in shipped.items() if path.is_file()}


def _flip(args: argparse.Namespace) -> bool:
    """--flip/--no-flip, else what the app does (so the figure is what users get)."""
    if args.flip is not None:
        return bool(args.flip)
    from app.config import ModelConfig

    return ModelConfig().flip


def _app_level() -> str:
    from app.config import ModelConfig

    return ModelConfig().optimize


def run_evaluate(args: argparse.Namespace) -> int:
    from app.commands.backend import torch_missing
    from app.model.spec import CheckpointError
    from app.train.datasets import SPLITS, load_faces
    from app.train.evaluate import confusion_from, evaluate_members, load_members
    from app.train.faceset import DatasetError
    from app.train.report import save_confusion_png

    if message := torch_missing("evaluate", args.backend):
        print(message, file=sys.stderr)
        return 2
    level = args.optimize or (_app_level() if args.backend == "onnx" else "none")
    weights = _weights(args, level)
    if not weights:
        print("emotune evaluate: no weights to evaluate: models/cnn1.pt and models/cnn2.pt "
              "are missing; pass --cnn1/--cnn2 checkpoints or train them "
              "(python -m app train)", file=sys.stderr)
        return 2
    try:
        members = load_members(weights, args.backend, level)
    except CheckpointError as exc:
        print(f"emotune evaluate: {exc}", file=sys.stderr)
        return 2
    split = args.split or (SPLITS[args.kind][-1] if args.kind != "folder" else None)
    try:
        faces = load_faces(args.kind, args.data, split, skip_unknown=args.skip_unknown)
    except DatasetError as exc:
        print(f"emotune evaluate: {exc}", file=sys.stderr)
        return 2
    for note in faces.notes:
        print(f"note: {note}", file=sys.stderr)
    result = evaluate_members(faces, members, aligned=args.aligned,
                              restrict_to_present=args.restrict_to_present,
                              threads=args.threads, flip=_flip(args), optimize=level)
    if getattr(args, "profile", None):
        from app.commands.profiles import evaluate_profile
        from app.profiles.profile import ProfileError

        try:
            result["profile"] = evaluate_profile(faces, members, args.profile, args.aligned,
                                                 args.threads, _flip(args))
        except ProfileError as exc:
            print(f"emotune evaluate: {exc}", file=sys.stderr)
            return 2
    text = json.dumps(result, indent=2)
    print(text)
    png_dir = Path(args.png_dir) if args.png_dir else None
    stem = None
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        stem = out.with_suffix("")
    for name, entry in result["models"].items():
        title = f"{name} on {faces.name}"
        if png_dir is not None:
            save_confusion_png(confusion_from(entry), png_dir / f"confusion-{name}.png", title)
        elif stem is not None:
            save_confusion_png(confusion_from(entry), f"{stem}-{name}.png", title)
    return 0
