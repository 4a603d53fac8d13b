"""`predict` and `info`: the recognition core from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.common import settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="classify the faces in images; one JSON line per image",
                       epilog="Exit codes: 0 all read; 1 some images skipped; 3 missing, "
                              "4 not readable, 5 damaged, 6 made for another model, "
                              "7 unsupported, 8 not available, 9 a setting cannot work "
                              "(app/errors.py).")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE",
                   help="image files, or folders (read recursively, images only)")
    p.add_argument("--aligned", action="store_true",
                   help="each image is already a cropped face (no detection)")
    _model_options(p)
    p.set_defaults(func=run_predict)

    q = sub.add_parser("info", help="models, parameter counts, weights and device")
    q.add_argument("--json", action="store_true", help="print JSON")
    _model_options(q)
    q.set_defaults(func=run_info)


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cnn1", metavar="CKPT", help="CNN_1 checkpoint (default: shipped)")
    p.add_argument("--cnn2", metavar="CKPT", help="CNN_2 checkpoint (default: shipped)")
    p.add_argument("--fusion", choices=("product", "sum"), help="fusion rule")
    p.add_argument("--device", help="auto (default), cpu or cuda")
    p.add_argument("--profile", metavar="NAME|PATH", help="a personal profile (subset "
                   "profiles answer only among their expressions)")
    from app.commands.backend import add_backend_option

    add_backend_option(p)


def _config(args: argparse.Namespace, command: str):
    """Settings (`common.settings`) with this command's model options."""
    return settings(args, command, model={"cnn1": args.cnn1, "cnn2": args.cnn2,
                                          "fusion": args.fusion, "device": args.device})


def expand_images(paths: list[Path]) -> tuple[list[Path], int]:
    """Files as given, folders as the images inside them (recursively, in name order), and
    how many other files the folders held (skipped, counted)."""
    from app.capture.source import IMAGE_SUFFIXES

    files: list[Path] = []
    skipped = 0
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for inner in sorted(p for p in path.rglob("*") if p.is_file()):
            if inner.suffix.lower() in IMAGE_SUFFIXES:
                files.append(inner)
            else:
                skipped += 1
    return files, skipped


def image_error(path: Path):
    """The UserError for an image that did not decode: missing, not readable, a format
    we do not read, or damaged."""
    import os

    from app.capture.source import IMAGE_SUFFIXES
    from app.errors import Kind, UserError

    if not path.exists():
        return UserError(Kind.MISSING, f"{path} does not exist; skipped")
    if path.is_dir() or not os.access(path, os.R_OK):
        return UserError(Kind.NOT_READABLE, f"cannot read {path} (permission); skipped")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return UserError(Kind.UNSUPPORTED, f"cannot read {path}: not an image format Emotune "
                         f"reads ({', '.join(sorted(IMAGE_SUFFIXES))}); skipped")
    return UserError(Kind.DAMAGED, f"cannot read {path}: the image is damaged; skipped")


def _read_image(path: Path):
    import cv2

    from app.vision.image import ensure_rgb

    if not path.is_file():
        return None
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        return None
    if image.ndim == 3 and image.shape[2] >= 3:
        code = cv2.COLOR_BGRA2RGBA if image.shape[2] == 4 else cv2.COLOR_BGR2RGB
        image = cv2.cvtColor(image, code)
    return ensure_rgb(image)


def _face_json(box, prediction) -> dict:
    entry = {"box": box.as_list(), "score": round(box.score, 4)}
    if prediction is not None:
        entry.update(emotion=prediction.emotion, confidence=round(prediction.confidence, 4),
                     probs=prediction.as_dict(),
                     models={k: prediction.as_dict(v) for k, v in prediction.members.items()})
    else:
        entry.update(emotion=None, note="face too small to classify")
    return entry


def run_predict(args: argparse.Namespace) -> int:
    from app.commands.backend import torch_missing
    from app.errors import EXIT_PARTIAL, UserError, report
    from app.pipeline.engine import build_predictor
    from app.records import FaceBox
    from app.vision.crop import FaceCropper
    from app.vision.detector import create_detector

    prog = "emotune predict"
    if message := torch_missing("predict", args.backend):
        print(message, file=sys.stderr)
        return 2
    config = _config(args, "predict")
    if config is None:
        return 2  # --config names no file: the command line is wrong
    images, other_files = expand_images(list(args.images))
    if other_files:
        print(f"{prog}: {other_files} file(s) in the folder(s) are not images; skipped",
              file=sys.stderr)
    if not images:
        from app.errors import Kind

        return report(UserError(Kind.MISSING, "no image to read in "
                                + ", ".join(str(p) for p in args.images)
                                + ": give image files or folders that hold images"), prog)
    try:
        predictor = build_predictor(config, args.backend)
    except Exception as exc:  # every fault as one sentence of its kind (app.errors)
        return report(exc, prog, "loading the models")
    hook = None
    if getattr(args, "profile", None):
        from app.pipeline.profile_use import activate_profile

        try:
            hook = activate_profile(args.profile, predictor)
        except UserError as exc:
            return report(exc, prog)
    size = max(m.spec.input_size for m in predictor.members)
    cropper = FaceCropper(size=size, margin=config.model.crop_margin,
                          min_face_px=config.model.min_face_px)
    detector = None
    if not args.aligned:
        try:
            detector = create_detector(config.model.detector, mode="image",
                                       min_score=config.model.detect_score,
                                       max_faces=config.model.max_faces)
        except Exception as exc:
            return report(exc, prog, "starting the face detector")
    failures: list[int] = []
    try:
        for path in images:
            image = _read_image(path)
            if image is None:
                failures.append(report(image_error(path), prog))
                continue
            if args.aligned:
                h, w = image.shape[:2]
                boxes = [FaceBox(0, 0, w, h, 1.0)]
                faces = {0: image}
            else:
                # Faces listed left to right, so the output order is predictable.
                boxes = sorted(detector.detect(image), key=lambda b: (b.x, b.y))
                faces = {i: cropper.crop(image, b).image for i, b in enumerate(boxes)
                         if cropper.accepts(b)}
            scored = predictor.predict(list(faces.values()))
            if hook is not None:
                scored = [hook(p) for p in scored]
            preds = dict(zip(faces, scored, strict=True))
            record = {"image": str(path),
                      "faces": [_face_json(b, preds.get(i)) for i, b in enumerate(boxes)]}
            print(json.dumps(record), flush=True)
    finally:
        if detector is not None:
            detector.close()
    if failures and len(failures) == len(images) and len(set(failures)) == 1:
        return failures[0]  # nothing read, for one reason: that reason's code
    return EXIT_PARTIAL if failures else 0


def run_info(args: argparse.Namespace) -> int:
    if args.backend == "torch":
        return _run_info_torch(args)
    from app.model.runtime import existing_graph, load_member_graph
    from app.model.spec import CheckpointError
    from app.pipeline.engine import resolve_weights

    config = _config(args, "info")
    if config is None:
        return 2
    models = {}
    for name, path in resolve_weights(config).items():
        if not getattr(config.model, name, ""):  # the shipped graphs, not the .pt
            path = existing_graph(path, config.model.optimize) or path
        entry = {"params": None, "input": None, "weights": None}
        try:
            member, _ = load_member_graph(path, name, config.model.optimize)
            graph = member.module
            params = graph.meta.get("params")
            entry.update(params=int(params) if params else None,
                         input=member.spec.input_size, weights=str(graph.path),
                         precision=graph.precision, source=graph.meta.get("source"),
                         source_sha256=graph.meta.get("source_sha256"),
                         metrics=member.spec.metrics)
        except CheckpointError as exc:
            entry["error"] = str(exc)
        models[name] = entry
    info = {"models": models, "fusion": config.model.fusion, "device": "cpu",
            "backend": "onnx"}
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        for name, entry in models.items():
            where = entry["weights"] or f"not installed ({entry.get('error', '')})"
            params = f"{entry['params']:,} parameters, " if entry["params"] else ""
            print(f"{name}: {params}{entry.get('precision', '?')} graph at "
                  f"{entry['input']}x{entry['input']}, weights {where}")
        print(f"fusion: {info['fusion']}, device: cpu (ONNX Runtime)")
    return 0


def _run_info_torch(args: argparse.Namespace) -> int:
    from app.model.checkpoint import CheckpointError, build_model, read_checkpoint
    from app.model.params import keras_param_count
    from app.model.predictor import pick_device
    from app.pipeline.engine import resolve_weights

    config = _config(args, "info")
    if config is None:
        return 2
    models = {}
    for name, path in resolve_weights(config).items():
        entry = {"params": None, "input": 96, "weights": None}
        if path.is_file():
            try:
                payload = read_checkpoint(path)
                entry.update(input=int(payload["input_size"]), weights=str(path),
                             metrics=payload.get("metrics", {}))
            except CheckpointError as exc:
                entry["error"] = str(exc)
        entry["params"] = keras_param_count(build_model(name, entry["input"]))
        models[name] = entry
    try:
        device = str(pick_device(config.model.device))
    except RuntimeError as exc:
        device = f"unavailable: {exc}"
    info = {"models": models, "fusion": config.model.fusion, "device": device}
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        for name, entry in models.items():
            print(f"{name}: {entry['params']:,} parameters at {entry['input']}x{entry['input']},"
                  f" weights {entry['weights'] or 'not installed'}")
        print(f"fusion: {info['fusion']}, device: {device}")
    return 0
