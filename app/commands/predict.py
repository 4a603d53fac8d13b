"""`predict` and `info`: the recognition core from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.common import settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="classify the faces in images; one JSON line per image")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
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


def _read_image(path: Path):
    import cv2

    from app.vision.image import ensure_rgb

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
    from app.model.spec import CheckpointError
    from app.pipeline.engine import NoWeightsError, build_predictor
    from app.records import FaceBox
    from app.vision.crop import FaceCropper
    from app.vision.detector import DetectorError, create_detector

    if message := torch_missing("predict", args.backend):
        print(message, file=sys.stderr)
        return 2
    config = _config(args, "predict")
    if config is None:
        return 2
    try:
        predictor = build_predictor(config, args.backend)
    except (NoWeightsError, CheckpointError, RuntimeError) as exc:
        print(f"emotune predict: {exc}", file=sys.stderr)
        return 2
    hook = None
    if getattr(args, "profile", None):
        from app.pipeline.profile_use import activate_profile
        from app.profiles.profile import ProfileError

        try:
            hook = activate_profile(args.profile, predictor)
        except ProfileError as exc:
            print(f"emotune predict: {exc}", file=sys.stderr)
            return 2
    size = max(m.spec.input_size for m in predictor.members)
    cropper = FaceCropper(size=size, margin=config.model.crop_margin,
                          min_face_px=config.model.min_face_px)
    detector = None
    if not args.aligned:
        try:
            detector = create_detector(config.model.detector, mode="image",
                                       min_score=config.model.detect_score,
                                       max_faces=config.model.max_faces)
        except DetectorError as exc:
            print(f"emotune predict: {exc}", file=sys.stderr)
            return 2
    failures = 0
    try:
        for path in args.images:
            image = _read_image(path)
            if image is None:
                print(f"emotune predict: cannot read {path} (missing, not an image, or "
                      "damaged); skipped", file=sys.stderr)
                failures += 1
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
    return 1 if failures else 0


def run_info(args: argparse.Namespace) -> int:
    if args.backend == "torch":
        return _run_info_torch(args)
    from app.model.runtime import load_member_graph, onnx_candidates
    from app.model.spec import CheckpointError
    from app.pipeline.engine import resolve_weights

    config = _config(args, "info")
    if config is None:
        return 2
    models = {}
    for name, path in resolve_weights(config).items():
        if not getattr(config.model, name, ""):  # the shipped graphs, not the .pt
            path = next((p for p in onnx_candidates(path, config.model.optimize)
                         if p.is_file()), path)
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
