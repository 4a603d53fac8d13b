"""Ship a trained checkpoint compactly: float16 weights, training state dropped.

`save_checkpoint(..., half=True)` stores floating weights as float16 (BatchNorm running
statistics stay float32) and they are widened to float32 on load, so the app runs in
float32 either way. `compare_precision` measures what the narrowing costs on a face set:
the accuracy of both versions and the largest change of any class probability.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.model.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from app.train.faceset import FaceSet
from app.train.loop import predict_probs


def export_weights(src: str | Path, dst: str | Path, half: bool = True,
                   source_note: str = "") -> Path:
    """Re-save `src` (a run's best.pt) to `dst` as a lean checkpoint for the app."""
    payload = read_checkpoint(src)
    loaded = load_checkpoint(src)
    metrics = dict(payload.get("metrics") or {})
    if source_note:
        metrics["exported_from"] = source_note
    return save_checkpoint(dst, loaded.module, arch=loaded.spec.arch,
                           input_size=loaded.spec.input_size,
                           in_channels=loaded.spec.in_channels,
                           preprocess=loaded.spec.preprocess, config=loaded.spec.config,
                           metrics=metrics, half=half)


def compare_precision(full: str | Path, half: str | Path, faces: FaceSet) -> dict[str, Any]:
    """Accuracy of the float32 and float16-stored versions on `faces`, and their gap."""
    out: dict[str, Any] = {}
    probs = {}
    for name, path in (("fp32", full), ("fp16", half)):
        model = load_checkpoint(path)
        probs[name] = predict_probs(model.module, faces, model.spec.input_size,
                                    model.spec.preprocess)
        acc = float((probs[name].argmax(1) == np.asarray(faces.labels)).mean())
        out[f"accuracy_{name}"] = round(acc, 5)
        out[f"bytes_{name}"] = Path(path).stat().st_size
    out["max_abs_prob_diff"] = float(np.abs(probs["fp32"] - probs["fp16"]).max())
    out["changed_predictions"] = int((probs["fp32"].argmax(1) != probs["fp16"].argmax(1)).sum())
    out["n"] = len(faces)
    return out
