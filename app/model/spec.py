"""What a member model file says about its model, without torch.

`ModelSpec`, `LoadedModel` and `CheckpointError` are shared by both kinds of model file:
the PyTorch checkpoints of training (`app.model.checkpoint`) and the ONNX graphs the app
runs (`app.model.onnx_graph`). They live here, apart from both, so the app's runtime can
name them without importing torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from app.errors import Kind, UserError, model_sentence
from app.labels import EMOTIONS

ARCH_NAMES = ("cnn1", "cnn2", "resnet")
DEFAULT_PREPROCESS: dict[str, Any] = {"color": "gray", "mean": 0.5, "std": 0.5}


class CheckpointError(UserError):
    """A model file (checkpoint or ONNX graph) that cannot be used: its `kind` (app.errors),
    one sentence for the user and, as the detail, the file and the fault in our words
    (never the library's text)."""

    def __init__(self, path: str | os.PathLike, problem: str, kind: Kind = Kind.DAMAGED,
                 role: str = "model") -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(kind, model_sentence(kind, role, path), f"{self.path}: {problem}")


def model_role(name: str | None) -> str:
    """"cnn1" -> "CNN_1 model", the name the window and the docs use."""
    return f"{name.upper().replace('CNN', 'CNN_')} model" if name else "model"


@dataclass(frozen=True)
class ModelSpec:
    """What a checkpoint says about its model, without the weights."""

    arch: str
    input_size: int
    in_channels: int = 3
    labels: tuple[str, ...] = EMOTIONS
    preprocess: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PREPROCESS))
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    # Softmax temperature fitted on validation data (app.train.calibration); the Predictor
    # divides the logits by it. 1.0 = as trained (files without the field).
    temperature: float = 1.0


@dataclass(frozen=True)
class LoadedModel:
    """A rebuilt model (a torch module, or an `OnnxGraph`) with the spec it came from."""

    name: str
    module: Any
    spec: ModelSpec


__all__ = ["ARCH_NAMES", "DEFAULT_PREPROCESS", "CheckpointError", "LoadedModel", "ModelSpec",
           "model_role"]
