"""Same answers: the ONNX runtime against the torch path on FER+ Test and CK+ (issue 24).

    PYTHONPATH=. .venv/bin/python benchmarks/onnx_parity.py [--limit N] [--json OUT]

Runs both predictors as the app configures them (test-time flip, product fusion; int8
against int8: the shipped TorchScript int8 files against the exported `.int8.onnx`, then
float against float) on aligned faces and prints, per set, the mean absolute difference
of the fused probabilities, the argmax agreement and each side's accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.config import ModelConfig  # noqa: E402
from app.model.checkpoint import load_checkpoint  # noqa: E402
from app.model.predictor import Predictor  # noqa: E402
from app.model.runtime import OnnxPredictor, load_member_graph  # noqa: E402
from app.paths import default_weights  # noqa: E402
from app.train.datasets import load_faces  # noqa: E402

SETS = (("ferplus", "Test"), ("ckplus", None))


def fused(predictor, images, batch: int = 256) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    probs, members = [], {n: [] for n in predictor.names}
    for i in range(0, len(images), batch):
        for p in predictor.predict(images[i:i + batch]):
            probs.append(p.probs)
            for n, v in p.members.items():
                members[n].append(v)
    return np.stack(probs), {n: np.stack(v) for n, v in members.items()}


def compare(a: np.ndarray, b: np.ndarray) -> dict:
    return {"mean_abs_diff": float(np.abs(a - b).mean()),
            "max_abs_diff": float(np.abs(a - b).max()),
            "argmax_agreement": float((a.argmax(1) == b.argmax(1)).mean())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="faces per set (0: all)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cfg = ModelConfig()
    weights = default_weights()
    pairs = {}
    for level in ("static", "none"):
        torch_members = [load_checkpoint(p, name=n) for n, p in weights.items()]
        pairs[level] = (
            Predictor(torch_members, fusion=cfg.fusion, device="cpu", threads=1,
                      optimize=level, flip=cfg.flip),
            OnnxPredictor([load_member_graph(p, n, level)[0] for n, p in weights.items()],
                          fusion=cfg.fusion, flip=cfg.flip))
    report = {}
    for kind, split in SETS:
        faces = load_faces(kind, None, split)
        n = len(faces) if not args.limit else min(args.limit, len(faces))
        images = [faces.image(i) for i in range(n)]
        labels = np.asarray(faces.labels[:n])
        entry = {"faces": n}
        for level, (torch_p, onnx_p) in pairs.items():
            tp, tm = fused(torch_p, images)
            op, om = fused(onnx_p, images)
            name = "int8" if level == "static" else "float"
            entry[name] = {"fused": compare(tp, op),
                           "members": {m: compare(tm[m], om[m]) for m in tm},
                           "accuracy_torch": float((tp.argmax(1) == labels).mean()),
                           "accuracy_onnx": float((op.argmax(1) == labels).mean()),
                           "notes_torch": torch_p.optimize_notes}
        report[f"{kind}-{split or 'all'}"] = entry
        print(json.dumps({f"{kind}-{split or 'all'}": entry}, indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
