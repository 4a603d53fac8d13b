"""Shared fixtures: real faces from ../shared/datasets (skipped when absent), tiny checkpoints,
and an isolated user config folder so a developer's own settings never leak into tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


def require_datasets(*names: str) -> Path:
    """The shared datasets folder, or skip the test saying which archive is missing."""
    for name in names:
        if not (DATASETS / name).is_file():
            pytest.skip(f"{DATASETS / name} is absent: this test needs the real faces in "
                        "../shared/datasets beside the project")
    return DATASETS


@pytest.fixture(scope="session")
def face_bank():
    """RGB faces per emotion (CK+48 six classes, SFEW Val neutral)."""
    require_datasets("ckplus48.tar.gz", "sfew2.tar.gz")
    from app.capture.facevideo import load_face_bank

    return load_face_bank(str(DATASETS))


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Randomly initialised CNN_1 and CNN_2 checkpoints at 48 x 48 (fast on the CPU), each
    with its float ONNX graph exported beside it (`cnn1.onnx`): the app's runtime reads a
    checkpoint path through that graph."""
    import torch

    from app.model.checkpoint import build_model, save_checkpoint
    from app.train.onnx_export import export_float

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("ckpt")
    paths = {}
    for arch in ("cnn1", "cnn2"):
        model = build_model(arch, 48)
        paths[arch] = save_checkpoint(folder / f"{arch}.pt", model, arch=arch, input_size=48,
                                      config={"note": "test"}, metrics={"accuracy": 0.0})
        export_float(paths[arch], folder / f"{arch}.onnx")
    return paths


def paste(frame: np.ndarray, face: np.ndarray, x: int, y: int, height: int) -> tuple:
    """Paste `face` scaled to `height` rows at (x, y), clipped to the frame; returns the box."""
    import cv2

    width = round(face.shape[1] * height / face.shape[0])
    scaled = cv2.resize(face, (width, height), interpolation=cv2.INTER_CUBIC)
    fh, fw = frame.shape[:2]
    xa, ya, xb, yb = max(0, x), max(0, y), min(fw, x + width), min(fh, y + height)
    frame[ya:yb, xa:xb] = scaled[ya - y:yb - y, xa - x:xb - x]
    return (xa, ya, xb - xa, yb - ya)


def background(width: int = 640, height: int = 480) -> np.ndarray:
    ramp = np.linspace(60, 150, width, dtype=np.float32)
    return np.repeat(np.repeat(ramp[None, :, None], height, 0), 3, 2).astype(np.uint8)
