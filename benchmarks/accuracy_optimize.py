"""Accuracy of every optimisation level on FER2013 PrivateTest (the reported test split).

    .venv/bin/python benchmarks/accuracy_optimize.py --cnn1 CKPT --cnn2 CKPT \
        [--data /root/.cache/emotune/datasets/fer2013] [--batch 1] [--limit N] [--json]

For each level of `app.model.optimize.LEVELS` it scores every `test/<class>/PrivateTest_*`
image with CNN_1, CNN_2 and their product fusion, as the app does (same preprocessing, batch
of one face by default, as live frames are), and reports accuracy, the change against the
unoptimised reference in points, how many faces changed their top class and the largest
probability difference. The issue allows at most 0.5 point of accuracy change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.labels import INDEX, canonical  # noqa: E402
from app.model.checkpoint import load_checkpoint  # noqa: E402
from app.model.fusion import product_rule  # noqa: E402
from app.model.optimize import LEVELS, optimize_member  # noqa: E402
from app.model.tensors import to_tensor  # noqa: E402

DEFAULT_DATA = Path("/root/.cache/emotune/datasets/fer2013")


def private_test(root: Path, limit: int | None) -> tuple[list[np.ndarray], np.ndarray]:
    images, labels = [], []
    for folder in sorted(p for p in (root / "test").iterdir() if p.is_dir()):
        label = canonical(folder.name)
        if label is None:
            continue
        for path in sorted(folder.glob("PrivateTest_*")):
            gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if gray is not None:
                images.append(np.repeat(gray[:, :, None], 3, axis=2))
                labels.append(INDEX[label])
    if not images:
        raise SystemExit(f"no PrivateTest images under {root / 'test'}")
    order = np.random.default_rng(0).permutation(len(images))
    if limit:
        order = order[:limit]
    return [images[i] for i in order], np.asarray(labels)[order]


def scores(member, images: list[np.ndarray], batch: int) -> np.ndarray:
    out = []
    with torch.inference_mode():
        for i in range(0, len(images), batch):
            x = to_tensor(images[i:i + batch], member.spec.input_size, member.spec.preprocess)
            x = x.contiguous(memory_format=torch.channels_last)
            out.append(torch.softmax(member.module(x).float(), dim=1).numpy())
    return np.concatenate(out).astype(np.float64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnn1", required=True)
    parser.add_argument("--cnn2", required=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--levels", default=",".join(LEVELS),
                        help="comma-separated levels (the reference 'none' always runs)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    levels = ["none"] + [lv for lv in args.levels.split(",") if lv in LEVELS and lv != "none"]
    torch.set_num_threads(args.threads)
    images, labels = private_test(args.data, args.limit)
    base = {n: load_checkpoint(p, name=n) for n, p in (("cnn1", args.cnn1), ("cnn2", args.cnn2))}
    for m in base.values():
        m.module.to(memory_format=torch.channels_last)
    results: dict[str, dict] = {}
    ref: dict[str, np.ndarray] = {}
    for level in levels:
        probs = {n: scores(optimize_member(m, level), images, args.batch)
                 for n, m in base.items()}
        probs["fused"] = product_rule([probs["cnn1"], probs["cnn2"]])
        if level == "none":
            ref = probs
        row = {}
        for name, p in probs.items():
            acc = float((p.argmax(1) == labels).mean() * 100.0)
            ref_acc = float((ref[name].argmax(1) == labels).mean() * 100.0)
            row[name] = {"accuracy": round(acc, 3), "change_points": round(acc - ref_acc, 3),
                         "top_class_changed": int((p.argmax(1) != ref[name].argmax(1)).sum()),
                         "max_prob_diff": float(f"{np.abs(p - ref[name]).max():.3g}")}
        results[level] = row
        print(f"{level}: " + ", ".join(f"{n} {r['accuracy']:.2f}% ({r['change_points']:+.2f}, "
                                       f"{r['top_class_changed']} changed)"
                                       for n, r in row.items()), file=sys.stderr, flush=True)
    report = {"faces": len(images), "batch": args.batch,
              "checkpoints": {"cnn1": args.cnn1, "cnn2": args.cnn2}, "levels": results}
    print(json.dumps(report, indent=1) if args.json else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
