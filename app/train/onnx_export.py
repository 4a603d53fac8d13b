"""Write trained members as the ONNX graphs the app runs (training side: needs torch, onnx).

For each member checkpoint `models/<name>.pt`:

- `<name>.onnx`: the float graph. BatchNorm is kept as its own node (ONNX Runtime folds
  it when it loads the graph), so every weight is exactly the checkpoint's float16 number
  and is stored as float16 with a Cast in front: half the bytes, the same answers.
- `<name>.int8.onnx`: the static int8 graph, quantised by the very code and calibration
  faces of the shipped TorchScript int8 files (`app.model.static_int8.quantize_fx`, 1,024
  FER+ Train faces drawn with seed 0), written as QuantizeLinear/DequantizeLinear pairs
  that carry torch's scales; ONNX Runtime runs them with its int8 kernels.

Both return the logits and the penultimate embedding (outputs `logits`, `embedding`), so
the personal profiles' embedding graph is the member itself; the runtime asks for the
embedding only while a profile needs it. The checkpoint's description goes into the
graph's `metadata_props` (`app.model.onnx_graph` reads it back), with the SHA-256 of the
checkpoint it came from.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from app.hashing import file_sha256
from app.model.checkpoint import LoadedModel, load_checkpoint
from app.model.onnx_graph import EMBEDDING, FORMAT, INPUT, LOGITS, VERSION

OPSET = 17
_HALF_MIN = 64  # store float initializers of at least this many numbers as float16
_registered = False


def _register_quantized_batchnorm() -> None:
    """torch's ONNX exporter has no symbolic for quantized::batch_norm2d (CNN_1's BatchNorms
    follow a max-pool, so FX keeps them as int8 ops): dequantize, BatchNormalization,
    quantize with the op's own output scale, which is what the int8 op computes."""
    global _registered
    if _registered:
        return
    from torch.onnx._internal.torchscript_exporter import symbolic_helper as helper
    from torch.onnx._internal.torchscript_exporter import symbolic_opset9 as opset9

    def batch_norm2d(g, x, weight, bias, mean, var, eps, scale, zero_point):
        x, _, _, _ = helper.dequantize_helper(g, x)
        out = opset9.batch_norm(g, x, weight, bias, mean, var, False, 0.1, eps, False)
        return helper.quantize_helper(g, out, scale, zero_point)

    torch.onnx.register_custom_op_symbolic("quantized::batch_norm2d", batch_norm2d, OPSET)
    _registered = True


def calibration_faces(count: int = 1024, seed: int = 0,
                      sources: str = "ferplus") -> list[np.ndarray]:
    """The faces the int8 graphs are calibrated on: `count` drawn with `seed` from the
    training splits of `sources` ('ferplus', or a mix such as 'ferplus+rafdb+expw+imfdb',
    drawn in proportion to each split's size; `scripts/quantize_members.py` draws the same)."""
    from app.train.datasets import load_faces
    from app.train.mix import parse_sources, training_split

    sets = [load_faces(k, None, training_split(k, None)) for k in parse_sources(sources)]
    index = [(n, i) for n, faces in enumerate(sets) for i in range(len(faces))]
    rng = np.random.default_rng(seed)
    return [sets[s].image(i) for s, i in
            (index[int(j)] for j in rng.choice(len(index), min(count, len(index)),
                                               replace=False))]


def metadata(loaded: LoadedModel, precision: str, checkpoint: Path,
             extra: dict | None = None) -> dict[str, str]:
    from app.model.params import keras_param_count

    spec = loaded.spec
    meta = {"format": FORMAT, "version": str(VERSION), "arch": spec.arch,
            "input_size": str(spec.input_size), "in_channels": str(spec.in_channels),
            "labels": json.dumps(list(spec.labels)), "preprocess": json.dumps(spec.preprocess),
            "temperature": repr(float(spec.temperature)), "precision": precision,
            "outputs": f"{LOGITS},{EMBEDDING}", "source": checkpoint.name,
            "source_sha256": file_sha256(checkpoint), "torch": torch.__version__,
            "metrics": json.dumps(spec.metrics),
            "params": str(keras_param_count(loaded.module))}
    meta.update({k: str(v) for k, v in (extra or {}).items()})
    return meta


def _store_half(model) -> int:
    """Float32 initializers that float16 holds exactly -> float16 + Cast; returns how many.
    The checkpoints store their weights as float16, so this loses nothing."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts, kept = [], []
    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        half = array.astype(np.float16)
        if (init.data_type == TensorProto.FLOAT and array.size >= _HALF_MIN
                and np.array_equal(half.astype(np.float32), array)):
            kept.append(numpy_helper.from_array(half, init.name + "_f16"))
            casts.append(helper.make_node("Cast", [init.name + "_f16"], [init.name],
                                          to=TensorProto.FLOAT, name=init.name + "_cast"))
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    return len(casts)


def _export(module: torch.nn.Module, example: torch.Tensor, path: Path,
            meta: dict[str, str], preserve_batchnorm: bool = False, half: bool = False) -> Path:
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    mode = torch.onnx.TrainingMode.PRESERVE if preserve_batchnorm else \
        torch.onnx.TrainingMode.EVAL
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated, still exact
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(tmp), dynamo=False, opset_version=OPSET,
                          input_names=[INPUT], output_names=[LOGITS, EMBEDDING],
                          dynamic_axes={INPUT: {0: "batch"}, LOGITS: {0: "batch"},
                                        EMBEDDING: {0: "batch"}},
                          training=mode, do_constant_folding=not preserve_batchnorm)
    model = onnx.load(str(tmp))
    if half:
        _store_half(model)
    del model.metadata_props[:]
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    model.producer_name = "emotune export-onnx"
    onnx.checker.check_model(model)
    onnx.save(model, str(tmp))
    tmp.replace(path)
    return path


def export_float(checkpoint: str | Path, out: str | Path, name: str | None = None) -> Path:
    """The float graph of a checkpoint (logits and embedding), weights as float16."""
    from app.model.predictor import logits_and_embedding_module

    checkpoint = Path(checkpoint)
    loaded = load_checkpoint(checkpoint, name=name)
    spec = loaded.spec
    example = torch.zeros(2, spec.in_channels, spec.input_size, spec.input_size)
    return _export(logits_and_embedding_module(loaded.module).eval(), example, Path(out),
                   metadata(loaded, "float", checkpoint), preserve_batchnorm=True, half=True)


def export_int8(checkpoint: str | Path, out: str | Path, faces: Sequence[np.ndarray],
                name: str | None = None) -> Path:
    """The static int8 graph (logits and embedding), calibrated on `faces` exactly as the
    TorchScript int8 file is (`app.model.static_int8.quantize_fx`)."""
    import dataclasses

    from app.model.predictor import logits_and_embedding_module
    from app.model.static_int8 import calibration_tensor, quantize_fx

    _register_quantized_batchnorm()
    checkpoint = Path(checkpoint)
    loaded = load_checkpoint(checkpoint, name=name)
    wrapped = dataclasses.replace(loaded, module=logits_and_embedding_module(loaded.module))
    quantized = quantize_fx(wrapped, faces)
    example = calibration_tensor(faces[:2], loaded.spec)
    extra = {"calibration_faces": len(faces), "qconfig": "x86"}
    return _export(quantized, example, Path(out), metadata(loaded, "int8", checkpoint, extra))


__all__ = ["OPSET", "calibration_faces", "export_float", "export_int8", "metadata"]
