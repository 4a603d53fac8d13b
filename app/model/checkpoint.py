"""Self-describing checkpoints: a file holds everything needed to rebuild its model.

A checkpoint is a `torch.save`d dict: format tag and version, architecture name, input
size, input channels, labels in order, the preprocessing the model was trained with, the
training config, metrics and the weights (optionally stored as float16 to keep git lean;
they are widened to float32 on load). Loading refuses a file whose architecture, labels or
weight shapes disagree, or that is truncated, with a message naming the file and the fault.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from app.atomic import atomic_open
from app.errors import Kind, kind_of_os_error, model_file_error
from app.labels import EMOTIONS
from app.model.cnn1 import CNN1
from app.model.cnn2 import CNN2
from app.model.resnet import ResNetSmall
from app.model.spec import (  # noqa: F401 - re-exported: their home before the ONNX runtime
    DEFAULT_PREPROCESS,
    CheckpointError,
    LoadedModel,
    ModelSpec,
)
from app.model.spec import model_role as _role

FORMAT = "emotune.checkpoint"
VERSION = 1
ARCHITECTURES: dict[str, type[nn.Module]] = {"cnn1": CNN1, "cnn2": CNN2,
                                             "resnet": ResNetSmall}
_REQUIRED = ("format", "version", "arch", "input_size", "in_channels", "labels", "state_dict")


def build_model(arch: str, input_size: int, in_channels: int = 3) -> nn.Module:
    """A fresh, randomly initialised model of the named architecture."""
    try:
        cls = ARCHITECTURES[arch]
    except KeyError:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")\
            from None
    return cls(input_size=input_size, in_channels=in_channels)


def save_checkpoint(path: str | os.PathLike, model: nn.Module, *, arch: str, input_size: int,
                    in_channels: int = 3, preprocess: dict[str, Any] | None = None,
                    config: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None,
                    half: bool = False, extra: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically (temp file + rename), so a crash never leaves half a file.

    `half=True` stores floating weights as float16 (about half the bytes); BatchNorm
    statistics stay float32 because their variances can exceed float16's precision needs.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {}
    for key, value in model.state_dict().items():
        value = value.detach().cpu()
        if half and value.is_floating_point() and "running_" not in key:
            value = value.half()
        state[key] = value.contiguous()
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "arch": arch,
        "input_size": int(input_size),
        "in_channels": int(in_channels),
        "labels": list(EMOTIONS),
        "preprocess": dict(preprocess or DEFAULT_PREPROCESS),
        "config": dict(config or {}),
        "metrics": dict(metrics or {}),
        "state_dict": state,
    }
    if extra:
        payload.update(extra)
    with atomic_open(path, "wb") as fh:
        torch.save(payload, fh)
    return path


def read_checkpoint(path: str | os.PathLike, name: str | None = None) -> dict[str, Any]:
    """Read and check a checkpoint dict without building a model. Every fault is a
    CheckpointError of its kind; torch's own text (its `weights_only` advice among it) goes
    to the debug log only."""
    path = Path(path)
    role = _role(name)
    if not path.exists():
        raise CheckpointError(path, "no such file", Kind.MISSING, role)
    if path.is_dir():
        raise CheckpointError(path, "a folder, not a file", Kind.NOT_READABLE, role)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a damaged file
        kind = kind_of_os_error(exc)
        model_file_error(path, exc, role=role, kind=kind)  # logs torch's text at debug
        raise CheckpointError(path, "cannot be read: the file is truncated, damaged or not "
                              "a checkpoint" if kind is Kind.DAMAGED else
                              "the system refused to read it", kind, role) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(path, f"not an Emotune checkpoint (no {FORMAT!r} format tag)",
                              Kind.DAMAGED, role)
    missing = [k for k in _REQUIRED if k not in payload]
    if missing:
        raise CheckpointError(path, f"missing fields: {', '.join(missing)}", Kind.DAMAGED, role)
    if payload["version"] > VERSION:
        raise CheckpointError(path, f"format version {payload['version']} is newer than this "
                              f"app reads ({VERSION}); update Emotune", Kind.UNSUPPORTED, role)
    labels = tuple(payload["labels"])
    if labels != EMOTIONS:
        raise CheckpointError(path, f"labels {list(labels)} disagree with the app's "
                              f"{list(EMOTIONS)} (order matters)", Kind.OTHER_MODEL, role)
    if not float(payload.get("temperature", 1.0)) > 0:
        raise CheckpointError(path, f"temperature {payload.get('temperature')} must be > 0",
                              Kind.DAMAGED, role)
    if payload["arch"] not in ARCHITECTURES:
        raise CheckpointError(path, f"unknown architecture {payload['arch']!r}; known: "
                              f"{', '.join(ARCHITECTURES)}", Kind.OTHER_MODEL, role)
    return payload


def load_checkpoint(path: str | os.PathLike, expect_arch: str | None = None,
                    name: str | None = None) -> LoadedModel:
    """Rebuild the model a checkpoint describes, weights loaded, in eval mode on the CPU."""
    payload = read_checkpoint(path, name or expect_arch)
    role = _role(name or expect_arch)
    arch = payload["arch"]
    if expect_arch is not None and arch != expect_arch:
        raise CheckpointError(path, f"holds architecture {arch!r}, expected {expect_arch!r}",
                              Kind.OTHER_MODEL, role)
    try:
        model = build_model(arch, int(payload["input_size"]), int(payload["in_channels"]))
    except ValueError as exc:
        raise CheckpointError(path, str(exc), Kind.OTHER_MODEL, role) from exc
    expected = model.state_dict()
    state = payload["state_dict"]
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise CheckpointError(path, f"weights do not match {arch} at input "
                              f"{payload['input_size']}: missing {missing[:5]}, "
                              f"unexpected {unexpected[:5]}", Kind.OTHER_MODEL, role)
    for key, ref in expected.items():
        if tuple(state[key].shape) != tuple(ref.shape):
            raise CheckpointError(path, f"weight {key} has shape {tuple(state[key].shape)}, "
                                  f"{arch} at input {payload['input_size']} needs "
                                  f"{tuple(ref.shape)}", Kind.OTHER_MODEL, role)
    model.load_state_dict({k: v.to(ref.dtype) for (k, v), ref in
                           zip(((k, state[k]) for k in expected), expected.values(),
                               strict=True)})
    model.eval()
    spec = ModelSpec(
        arch=arch,
        input_size=int(payload["input_size"]),
        in_channels=int(payload["in_channels"]),
        labels=tuple(payload["labels"]),
        preprocess=dict(payload.get("preprocess") or DEFAULT_PREPROCESS),
        config=dict(payload.get("config") or {}),
        metrics=dict(payload.get("metrics") or {}),
        path=str(path),
        temperature=float(payload.get("temperature", 1.0)),
    )
    return LoadedModel(name=name or arch, module=model, spec=spec)
