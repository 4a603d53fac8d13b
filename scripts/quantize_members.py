"""Make the static int8 files of trained members (see app/model/static_int8.py).

    .venv/bin/python scripts/quantize_members.py [--cnn1 CKPT] [--cnn2 CKPT] \
        [--faces DIR | --calibration SOURCES] [--count 1024] [--seed 0]

Calibrates each member on `--count` faces drawn at random from `--faces DIR` or from the
training splits named by `--calibration` (default `ferplus`: FER+ Train; the shipped
members since issue 27 use their training mix, `ferplus+rafdb+expw+imfdb`; the same draw as
`python -m app export-onnx --calibration`, `app.train.onnx_export.calibration_faces`) and
writes `<checkpoint stem>.int8.pt` beside each checkpoint (default: the shipped
models/cnn1.pt and models/cnn2.pt). Remake the files whenever a checkpoint changes: the app
ignores a file whose recorded checkpoint hash or torch version differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.model.checkpoint import load_checkpoint  # noqa: E402
from app.model.predictor import logits_and_embedding_module  # noqa: E402
from app.model.static_int8 import (  # noqa: E402
    embed_static_path,
    quantize_static,
    save_static,
)
from app.paths import default_weights  # noqa: E402

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}


def folder_faces(folder: Path, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)
    faces = []
    for i in rng.choice(len(files), min(count, len(files)), replace=False) if files else ():
        image = cv2.imread(str(files[i]), cv2.IMREAD_COLOR)
        if image is not None:
            faces.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    return faces


def main() -> int:
    shipped = default_weights()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnn1", type=Path, default=shipped["cnn1"])
    parser.add_argument("--cnn2", type=Path, default=shipped["cnn2"])
    parser.add_argument("--faces", type=Path,
                        help="folder of face images, searched recursively (default: FER+ "
                             "Train)")
    parser.add_argument("--calibration", default="ferplus", metavar="SOURCES",
                        help="training sets to draw from when no --faces: ferplus or a mix, "
                             "e.g. ferplus+rafdb+expw+imfdb")
    parser.add_argument("--count", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embed", action="store_true",
                        help="write the personal-profile variant instead: one graph "
                             "returning [logits | embedding], <stem>.embed.int8.pt "
                             "(app/profiles/apply.py); the shipped one is CNN_1's")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.faces:
        faces, source = folder_faces(args.faces, args.count, rng), str(args.faces)
    else:
        from app.train.faceset import DatasetError
        from app.train.onnx_export import calibration_faces

        try:
            faces = calibration_faces(args.count, args.seed, args.calibration)
            source = args.calibration
        except DatasetError as exc:
            print(f"{args.calibration} is not available ({exc}); pass --faces DIR",
                  file=sys.stderr)
            return 2
    if not faces:
        print(f"no readable face images in {source}; pass --faces DIR", file=sys.stderr)
        return 2
    for name, path in (("cnn1", args.cnn1), ("cnn2", args.cnn2)):
        if not path.is_file():
            print(f"{name}: {path} does not exist; skipped", file=sys.stderr)
            continue
        loaded = load_checkpoint(path, name=name)
        target = None
        if args.embed:
            loaded = dataclasses.replace(loaded,
                                         module=logits_and_embedding_module(loaded.module))
            target = embed_static_path(path)
        out = save_static(quantize_static(loaded, faces), path, faces=len(faces),
                          path=target)
        print(f"{name}: wrote {out} ({out.stat().st_size / 1e6:.1f} MB, calibrated on "
              f"{len(faces)} faces from {source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
