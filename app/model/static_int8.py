"""Static int8 members: convolutions and dense layers in int8, calibrated once, offline.

On this project's CPUs (AVX-512 VNNI) a statically quantised member is several times faster
than the float one (CNN_2 at 48 px: 6.7 -> 0.7 ms; CNN_1: 1.0 -> 0.25 ms). Unlike dynamic
quantisation it needs the activations' ranges, measured on real faces (calibration), which
users do not have and which takes seconds. So it is done once, by
`scripts/quantize_members.py`, and shipped as a TorchScript file beside the checkpoint
(`cnn2.pt` -> `cnn2.int8.pt`) that records the SHA-256 of the checkpoint it came from and
the torch version; `load_static` accepts it only when both match, so a retrained checkpoint
never runs with stale int8 weights (torch is pinned, and torch 2.13 deprecates but reads
TorchScript; `torch.export` is the way once it quantises as well). The model is quantised
as built (FX fuses Conv-BN-ReLU itself); `app.model.optimize`'s forward BatchNorm folding
is not applied first, because it rescales dense-layer columns that per-row int8 weights
cannot represent.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from app.hashing import file_sha256
from app.model.checkpoint import LoadedModel
from app.model.tensors import to_tensor

SUFFIX = ".int8.pt"
_META = "emotune.json"


def static_path(checkpoint: str | Path) -> Path:
    """Where the static int8 file of a checkpoint lives: `cnn2.pt` -> `cnn2.int8.pt`."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + SUFFIX)


def embed_static_path(checkpoint: str | Path) -> Path:
    """The static int8 graph returning [logits | embedding]: `cnn1.pt` ->
    `cnn1.embed.int8.pt` (made by scripts/quantize_members.py --embed)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".embed.int8.pt")


def quantize_fx(loaded: LoadedModel, faces: Sequence[np.ndarray], batch: int = 32) -> nn.Module:
    """The member quantised by FX (x86 qconfig), calibrated on `faces` (uint8 RGB or gray
    crops, any size), not yet traced: what `quantize_static` freezes and what the ONNX
    export writes (app.train.onnx_export), so both carry the same int8 scales."""
    if len(faces) == 0:
        raise ValueError("static quantisation needs calibration faces; none were given")
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    spec = loaded.spec
    model = copy.deepcopy(loaded.module).cpu().eval().to(memory_format=torch.channels_last)
    with warnings.catch_warnings():  # torch.ao announces its move to torchao on every call
        warnings.simplefilter("ignore")
        prepared = prepare_fx(model, get_default_qconfig_mapping("x86"),
                              (calibration_tensor(faces[:1], spec),))
        with torch.inference_mode():
            for i in range(0, len(faces), batch):
                prepared(calibration_tensor(faces[i:i + batch], spec))
        return convert_fx(prepared).eval()


def calibration_tensor(items: Sequence[np.ndarray], spec) -> torch.Tensor:
    return to_tensor(items, spec.input_size, spec.preprocess).contiguous(
        memory_format=torch.channels_last)


def quantize_static(loaded: LoadedModel, faces: Sequence[np.ndarray],
                    batch: int = 32) -> torch.jit.ScriptModule:
    """Calibrate on `faces` (uint8 RGB or gray crops, any size) and return the frozen int8
    member. A few hundred faces of the training distribution are enough."""
    quantized = quantize_fx(loaded, faces, batch)
    example = calibration_tensor(faces[:1], loaded.spec)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        frozen = torch.jit.freeze(torch.jit.trace(quantized, example, check_trace=False))
    with torch.inference_mode():  # the JIT's first profiling calls, paid here
        for _ in range(2):
            frozen(example)
    return frozen


def save_static(module: torch.jit.ScriptModule, checkpoint: str | Path,
                faces: int, path: str | Path | None = None) -> Path:
    """Write the int8 member beside its checkpoint, stamped with the checkpoint's hash."""
    path = Path(path) if path else static_path(checkpoint)
    meta = {"source_sha256": file_sha256(checkpoint), "torch": torch.__version__,
            "calibration_faces": int(faces), "qconfig": "x86"}
    with warnings.catch_warnings():  # TorchScript files are deprecated, still read by 2.13
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(module, str(path), _extra_files={_META: json.dumps(meta)})
    return path


def load_static(loaded: LoadedModel, path: str | Path | None = None
                ) -> tuple[nn.Module | None, str]:
    """The shipped int8 module for this member (or the one at `path`, e.g. the embedding
    variant `cnn1.embed.int8.pt` of personal profiles) and a note; (None, why) when there is
    none or it does not belong to this checkpoint or this torch."""
    if not loaded.spec.path:
        return None, "the member has no checkpoint path"
    path = Path(path) if path else static_path(loaded.spec.path)
    if not path.is_file():
        return None, f"no static int8 file {path} (make one with scripts/quantize_members.py)"
    extra = {_META: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
        meta = json.loads(extra[_META] or "{}")
    except Exception as exc:  # a damaged file must not stop the app: fall back
        return None, f"{path} cannot be read ({type(exc).__name__}: {exc})"
    if meta.get("source_sha256") != file_sha256(loaded.spec.path):
        return None, f"{path} was made from another checkpoint than {loaded.spec.path}; remake it"
    if meta.get("torch") != torch.__version__:
        return None, f"{path} was made with torch {meta.get('torch')}, this is " \
                     f"{torch.__version__}; remake it"
    module.eval()
    with torch.inference_mode():
        example = torch.zeros(1, loaded.spec.in_channels, loaded.spec.input_size,
                              loaded.spec.input_size).contiguous(
                                  memory_format=torch.channels_last)
        for _ in range(2):
            module(example)
    return module, f"static int8 from {path}"


__all__ = ["SUFFIX", "calibration_tensor", "embed_static_path", "load_static", "quantize_fx",
           "quantize_static", "save_static", "static_path"]
