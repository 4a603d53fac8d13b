"""The geometry member on the app's own path: original colour images of a labelled set
through the app's processor (detector, CNN pair, landmarker on the frame).

    python scripts/geometry_app_check.py --member DIR/geometry.npz [--kind rafdb
        --split val] [--scale 2] [--limit N]

The member was trained and scored (scripts/geometry_member.py) on meshes of the readers'
small gray crops; the app meshes the frame. This reads each original image (RAF-DB: 100 x
100 colour; padded as the reader pads it, optionally upscaled by --scale), runs it as one
frame with face gestures on, and prints accuracy and UAR of the pair alone and with the
member (pair x member ^ (member exponent / pair exponent), the same answers as the fitted
product), on the images where a face with a mesh was found.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--member", required=True, help="geometry.npz of geometry_member.py")
    p.add_argument("--kind", default="rafdb", choices=("rafdb", "imfdb"))
    p.add_argument("--split", default="val")
    p.add_argument("--scale", type=float, default=2.0)
    p.add_argument("--limit", type=int)
    args = p.parse_args(argv)
    from app.config import AppConfig
    from app.labels import INDEX, canonical
    from app.metrics import evaluate_probs
    from app.pipeline.engine import build_processor
    from app.records import Frame
    from app.train.datasets import default_root
    from app.train.faceset import Store, decode_image
    from app.train.geometry import GeometryClassifier, fused_log_probs
    from app.train.geometry_features import features, normalise_landmarks
    from app.train.wild import CONTEXT_PAD, select_rows

    base = AppConfig()
    config = dataclasses.replace(base, face_gestures=dataclasses.replace(
        base.face_gestures, enabled=True))
    with np.load(args.member) as z:
        member = GeometryClassifier.from_arrays(z)
        weight = float(z["weight"]) / float(z["cnn_weight"])
    processor = build_processor(config, mode="image")
    store = Store(default_root(args.kind))
    rows = {r["path"]: r for r in select_rows(args.kind, store, args.split)}
    pair, fused, labels, seen = [], [], [], 0
    try:
        for name, data in store.read_many(sorted(rows)[:args.limit]):
            image = decode_image(data) if data is not None else None
            if image is None:
                continue
            seen += 1
            rgb = np.repeat(image[:, :, None], 3, 2) if image.ndim == 2 else image[:, :, :3]
            h, w = rgb.shape[:2]
            px, py = int(round(w * CONTEXT_PAD)), int(round(h * CONTEXT_PAD))
            rgb = cv2.copyMakeBorder(rgb, py, py, px, px, cv2.BORDER_REPLICATE)
            if args.scale != 1:
                rgb = cv2.resize(rgb, None, fx=args.scale, fy=args.scale,
                                 interpolation=cv2.INTER_CUBIC)
            processor.landmarker.reset()  # unrelated images: no tracking between them
            result = processor.process(Frame(seen, float(seen), np.ascontiguousarray(rgb)))
            face = next((f for f in result.faces if f.mesh is not None and f.prediction), None)
            if face is None:
                continue
            geo = member.probs(features(face.mesh.blendshapes,
                                        normalise_landmarks(face.mesh.landmarks))[None])
            pair.append(face.prediction.probs)
            fused.append(np.exp(fused_log_probs(face.prediction.probs[None], geo, weight))[0])
            labels.append(INDEX[canonical(rows[name]["label"])])
    finally:
        processor.close()
    y = np.array(labels)
    print(f"{args.kind} {args.split}: {seen} images, {len(y)} with a face and a mesh "
          f"(scale {args.scale})")
    for label, probs in (("pair", pair), ("pair + geometry", fused)):
        m = evaluate_probs(np.array(probs), y)
        print(f"{label}: accuracy {100 * m['accuracy']:.2f} %, UAR {100 * m['uar']:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
