"""A member as an ONNX graph, run by ONNX Runtime: the app's inference without torch.

`python -m app export-onnx` (app/train/onnx_export.py) writes each shipped member as an
ONNX file whose metadata (`metadata_props`) carries what the PyTorch checkpoint carried:
architecture, input size, channels, labels in order, preprocessing, temperature, and the
SHA-256 of the checkpoint it came from. `load_onnx_member` rebuilds a `LoadedModel` from
the file alone and refuses, naming the file, one that is damaged, not ONNX, or not an
Emotune member (a foreign graph would give seven numbers that mean nothing).

ONNX files hold no code, unlike a pickled checkpoint: opening one from elsewhere is safe.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import Kind
from app.labels import EMOTIONS
from app.model.spec import (
    ARCH_NAMES,
    DEFAULT_PREPROCESS,
    CheckpointError,
    LoadedModel,
    ModelSpec,
    model_role,
)

FORMAT = "emotune.onnx"
VERSION = 1
INPUT = "input"
LOGITS = "logits"
EMBEDDING = "embedding"
# metadata_props keys (all strings, as ONNX stores them; JSON where structured)
_REQUIRED = ("format", "version", "arch", "input_size", "in_channels", "labels")


def _import_runtime():
    """onnxruntime, imported with its telemetry off: on import it otherwise writes a device
    id and an event store under ~/.cache/Microsoft (the app writes nothing outside its own
    config and data folders, tests/faults/test_privacy.py). Read once, at that import."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    return onnxruntime


def _session(path: Path, threads: int, role: str):
    try:
        ort = _import_runtime()
    except ImportError as exc:  # a broken install, not a user error: say what is missing
        raise RuntimeError("the ONNX runtime is not installed (pip install onnxruntime); "
                           "it runs the app's models") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings mean nothing to a user
    # Idle worker threads spin by default; on two shared cores that steals the capture and
    # detector threads' time (the same stall as two OpenMP threads, docs/PERFORMANCE.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own kinds for a bad file
        from app.errors import log

        # ONNX Runtime's own text goes to the log only (app.errors), never to the user
        log.debug("%s %s: %s: %s", role, path, type(exc).__name__, exc)
        raise CheckpointError(path, "cannot be read as an ONNX graph: the file is truncated, "
                              "damaged or not an ONNX model", Kind.DAMAGED, role) from exc


class OnnxGraph:
    """One member's ONNX Runtime session: `run(x)` -> (logits, embedding or None).

    `static_file` names the embedding graph's file when this graph is the one that returns
    embeddings for a personal profile (its hash goes into the profile, like the torch
    path's `cnn1.embed.int8.pt`)."""

    def __init__(self, path: str | os.PathLike, threads: int = 1, role: str = "model") -> None:
        self.path = str(path)
        self.session = _session(Path(path), threads, role)
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.meta: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        self.static_file: str | None = None

    @property
    def gives_embedding(self) -> bool:
        return EMBEDDING in self.outputs

    @property
    def precision(self) -> str:
        return self.meta.get("precision", "float")

    def run(self, x: np.ndarray, embed: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits (N, 7) of a float32 N x C x H x W batch, and with `embed` the penultimate
        activations when the graph has them (else None)."""
        want = [LOGITS, EMBEDDING] if embed and self.gives_embedding else [LOGITS]
        out = self.session.run(want, {INPUT: np.ascontiguousarray(x, dtype=np.float32)})
        return out[0], (out[1] if len(out) > 1 else None)


def _field(meta: dict[str, str], key: str, path: Path, role: str, parse=str) -> Any:
    try:
        return parse(meta[key])
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(path, f"metadata field {key!r} is missing or unreadable "
                              f"({meta.get(key)!r}); export the member again", Kind.DAMAGED,
                              role) from exc


def spec_from_metadata(meta: dict[str, str], path: str | os.PathLike,
                       role: str = "model") -> ModelSpec:
    """The `ModelSpec` an exported graph describes; CheckpointError when it is not one of
    ours (a foreign ONNX file) or disagrees with the app (labels, version)."""
    path = Path(path)
    if meta.get("format") != FORMAT:
        raise CheckpointError(path, f"is an ONNX graph but not an Emotune member (no "
                              f"{FORMAT!r} format in its metadata); the app runs only the "
                              "graphs `python -m app export-onnx` writes", Kind.OTHER_MODEL,
                              role)
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        raise CheckpointError(path, f"metadata lacks {', '.join(missing)}; export it again",
                              Kind.DAMAGED, role)
    version = _field(meta, "version", path, role, int)
    if version > VERSION:
        raise CheckpointError(path, f"format version {version} is newer than this app reads "
                              f"({VERSION}); update Emotune", Kind.UNSUPPORTED, role)
    labels = tuple(_field(meta, "labels", path, role, json.loads))
    if labels != EMOTIONS:
        raise CheckpointError(path, f"labels {list(labels)} disagree with the app's "
                              f"{list(EMOTIONS)} (order matters)", Kind.OTHER_MODEL, role)
    arch = meta["arch"]
    if arch not in ARCH_NAMES:
        raise CheckpointError(path, f"unknown architecture {arch!r}; known: "
                              f"{', '.join(ARCH_NAMES)}", Kind.OTHER_MODEL, role)
    temperature = _field(meta, "temperature", path, role, float) \
        if "temperature" in meta else 1.0
    if not temperature > 0:
        raise CheckpointError(path, f"temperature {temperature} must be > 0", Kind.DAMAGED,
                              role)
    preprocess = json.loads(meta["preprocess"]) if "preprocess" in meta else None
    return ModelSpec(arch=arch, input_size=_field(meta, "input_size", path, role, int),
                     in_channels=_field(meta, "in_channels", path, role, int), labels=labels,
                     preprocess=dict(preprocess or DEFAULT_PREPROCESS),
                     metrics=json.loads(meta.get("metrics", "{}")), path=str(path),
                     temperature=temperature)


def _check_shapes(graph: OnnxGraph, spec: ModelSpec, path: Path, role: str) -> None:
    inputs = graph.session.get_inputs()
    if [i.name for i in inputs] != [INPUT] or LOGITS not in graph.outputs:
        raise CheckpointError(path, f"graph has inputs {[i.name for i in inputs]} and outputs "
                              f"{graph.outputs}; a member has input {INPUT!r} and output "
                              f"{LOGITS!r}", Kind.OTHER_MODEL, role)
    want = [spec.in_channels, spec.input_size, spec.input_size]
    if list(inputs[0].shape[1:]) != want:
        raise CheckpointError(path, f"input shape {inputs[0].shape} disagrees with its "
                              f"metadata (N x {' x '.join(map(str, want))})", Kind.DAMAGED,
                              role)
    logits = next(o for o in graph.session.get_outputs() if o.name == LOGITS)
    if logits.shape[-1] != len(EMOTIONS):
        raise CheckpointError(path, f"gives {logits.shape[-1]} scores, the app needs "
                              f"{len(EMOTIONS)}", Kind.OTHER_MODEL, role)


def load_onnx_member(path: str | os.PathLike, expect_arch: str | None = None,
                     name: str | None = None, threads: int = 1) -> LoadedModel:
    """An exported member ready to run (module: `OnnxGraph`); CheckpointError naming the
    file when it is missing, damaged, foreign, or of another architecture than expected."""
    path = Path(path)
    role = model_role(name or expect_arch)
    if not path.exists():
        raise CheckpointError(path, "no such file", Kind.MISSING, role)
    if path.is_dir():
        raise CheckpointError(path, "a folder, not a file", Kind.NOT_READABLE, role)
    graph = OnnxGraph(path, threads, role)
    spec = spec_from_metadata(graph.meta, path, role)
    if expect_arch is not None and spec.arch != expect_arch:
        raise CheckpointError(path, f"holds architecture {spec.arch!r}, expected "
                              f"{expect_arch!r}", Kind.OTHER_MODEL, role)
    _check_shapes(graph, spec, path, role)
    # The first run allocates ORT's buffers (a few ms): pay it at start-up, not on a face.
    graph.run(np.zeros((2, spec.in_channels, spec.input_size, spec.input_size), np.float32),
              embed=True)
    return LoadedModel(name=name or spec.arch, module=graph, spec=spec)


__all__ = ["EMBEDDING", "FORMAT", "INPUT", "LOGITS", "VERSION", "OnnxGraph",
           "load_onnx_member", "spec_from_metadata"]
