"""Inference-time optimisation of loaded members, for real time on a two-core CPU.

Each step is chosen because it was measured to help here (docs/PERFORMANCE.md) and each
keeps the member's answers: the exact steps change probabilities only by float rounding;
int8 is checked against the reference on real faces (tests/model/test_optimize.py) and on
FER2013 PrivateTest (benchmarks/accuracy_optimize.py).

Steps, applied in this order by `optimize_module`:

- ``fold``: BatchNorm folded away where that is exact. CNN_2's Conv -> BN pairs fold into
  the convolution; its dense BatchNorms (Linear -> ReLU -> BN) fold *forward* into the next
  Linear (an affine map feeding a linear layer is again linear). CNN_1's last BatchNorm
  folds forward into the first Linear after Flatten. CNN_1's other BatchNorms sit after
  a max-pool and before a zero-padded convolution: folding their shift forward would be
  wrong on the border pixels (the padding zeros would need to be -shift/scale), and the
  exact alternative (a per-pixel bias map) costs the same elementwise pass as the
  BatchNorm itself, so they are left alone.
- ``int8``: dynamic int8 quantisation (torch.ao) of the large Linear layers (CNN_2's
  dense head: 4,608 x 1,024 at 48 px, 18,432 x 1,024 at 96 px). At batch 1 these layers
  are memory-bound, so reading a quarter of the bytes is most of their time saved.
- ``freeze``: torch.jit trace + freeze, which pre-packs convolution weights for oneDNN and
  fuses Conv + ReLU; no compiler is needed. The traced graph accepts any batch size.

Everything here is CPU-only: on CUDA `optimize_member` returns the member unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Iterable

import torch
from torch import nn

from app.model.checkpoint import LoadedModel
from app.model.runtime import OptimizeNote

STEPS = ("fold", "int8", "freeze")
LEVELS: dict[str, tuple[str, ...]] = {
    "none": (),
    "fold": ("fold",),
    "freeze": ("fold", "freeze"),
    "int8": ("fold", "int8"),
    "full": ("fold", "int8", "freeze"),
    # The shipped static int8 file beside the checkpoint (app.model.static_int8) when it
    # matches the checkpoint and torch, else "full".
    "static": ("static",),
}
DEFAULT_LEVEL = "static"  # falls back to "full" without a matching static int8 file
INT8_MIN_WEIGHTS = 1 << 20  # quantise Linear layers with at least this many weights
_PASS_THROUGH = (nn.Dropout, nn.Identity)


def resolve_level(level: str | bool | None) -> tuple[str, ...]:
    """Steps of a named level; True means the default level, False/None means none."""
    if level is True:
        level = DEFAULT_LEVEL
    if level is False or level is None:
        level = "none"
    try:
        return LEVELS[level]
    except KeyError:
        raise ValueError(f"unknown optimisation level {level!r}; choose one of "
                         f"{', '.join(LEVELS)}") from None


def _bn_affine(bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """BatchNorm in eval mode as y = scale * x + shift (per channel)."""
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias.detach() - bn.running_mean * scale
    return scale, shift


def _fold_into_previous_conv(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    scale, shift = _bn_affine(bn)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(scale)
    conv.weight.data.mul_(scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter(bias * scale + shift)


def _fold_into_next_linear(linear: nn.Linear, bn: nn.modules.batchnorm._BatchNorm,
                           repeat: int = 1) -> None:
    """linear(scale * x + shift) = (W * scale) x + (W shift + b); `repeat` spreads a
    per-channel BatchNorm over the channel's H*W flattened features (NCHW order)."""
    scale, shift = _bn_affine(bn)
    if repeat > 1:
        scale, shift = scale.repeat_interleave(repeat), shift.repeat_interleave(repeat)
    if linear.in_features != scale.numel():
        raise ValueError(f"cannot fold: Linear expects {linear.in_features} inputs, the "
                         f"BatchNorm gives {scale.numel()}")
    weight = linear.weight.detach()
    bias = linear.bias.detach() if linear.bias is not None else torch.zeros(linear.out_features)
    linear.bias = nn.Parameter(bias + weight @ shift)
    linear.weight.data.mul_(scale.view(1, -1))
    # Scaling input columns can make a few columns dominate every row; int8 weights are
    # scaled per row, so such a layer would lose its other weights. `quantize_dense` skips it.
    linear.forward_folded = True


def fold_batchnorm(module: nn.Module) -> int:
    """Fold the exactly foldable BatchNorms of a CNN1/CNN2 in place; returns how many."""
    folded = 0
    features = getattr(module, "features", None)
    classifier = getattr(module, "classifier", None)
    if not isinstance(features, nn.Sequential) or not isinstance(classifier, nn.Sequential):
        return 0
    # Conv -> BN inside the feature extractor (CNN_2).
    layers = list(features)
    for i in range(len(layers) - 1):
        if isinstance(layers[i], nn.Conv2d) and isinstance(layers[i + 1], nn.BatchNorm2d):
            _fold_into_previous_conv(layers[i], layers[i + 1])
            features[i + 1] = nn.Identity()
            folded += 1
    # A trailing BN of the features (CNN_1) folds into the first Linear after Flatten.
    last = len(features) - 1
    while last >= 0 and isinstance(features[last], _PASS_THROUGH):
        last -= 1
    head = list(classifier)
    first_linear = next((i for i, m in enumerate(head) if isinstance(m, nn.Linear)), None)
    if (last >= 0 and isinstance(features[last], nn.BatchNorm2d) and first_linear is not None
            and all(isinstance(m, nn.Flatten | nn.Dropout) for m in head[:first_linear])):
        bn = features[last]
        channels = bn.num_features
        linear = head[first_linear]
        if linear.in_features % channels == 0:
            _fold_into_next_linear(linear, bn, repeat=linear.in_features // channels)
            features[last] = nn.Identity()
            folded += 1
    # BN1d in the dense head (CNN_2: Linear -> ReLU -> BN -> Dropout -> Linear).
    for i, layer in enumerate(head):
        if not isinstance(layer, nn.BatchNorm1d):
            continue
        j = i + 1
        while j < len(head) and isinstance(head[j], _PASS_THROUGH):
            j += 1
        if j < len(head) and isinstance(head[j], nn.Linear):
            _fold_into_next_linear(head[j], layer)
            classifier[i] = nn.Identity()
            folded += 1
    return folded


def quantize_dense(module: nn.Module, min_weights: int = INT8_MIN_WEIGHTS) -> tuple[nn.Module,
                                                                                  int]:
    """Dynamic int8 quantisation of the Linear layers holding >= `min_weights` weights.

    Returns the new module and the number of layers quantised (0 leaves it unchanged).
    Small layers stay float: at their size the quantise/dequantise cost outweighs the gain.
    Layers that received a BatchNorm by forward folding stay float too (see
    `_fold_into_next_linear`): quantising CNN_2's folded head statically cost it 30 points.
    """
    names = {name for name, m in module.named_modules()
             if isinstance(m, nn.Linear) and m.weight.numel() >= min_weights
             and not getattr(m, "forward_folded", False)}
    if not names:
        return module, 0
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao announces its move to torchao on every call
        warnings.simplefilter("ignore")
        quantized = quantize_dynamic(module, {n: default_dynamic_qconfig for n in names},
                                     dtype=torch.qint8)
    return quantized, len(names)


def freeze_module(module: nn.Module, input_size: int, channels: int = 3) -> nn.Module:
    """torch.jit trace + freeze on a channels_last example; batch size stays free."""
    example = torch.zeros(1, channels, input_size, input_size).contiguous(
        memory_format=torch.channels_last)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(module, example, check_trace=False)
        frozen = torch.jit.freeze(traced.eval())
    # The JIT profiles and optimises a graph on its first calls (the first takes ~0.1 s):
    # pay that here, at start-up, rather than on the user's first frames.
    with torch.inference_mode():
        for _ in range(2):
            frozen(example)
    return frozen


def optimize_module(module: nn.Module, steps: Iterable[str], input_size: int,
                    channels: int = 3) -> tuple[nn.Module, dict[str, int]]:
    """A new, optimised copy of an eval-mode CPU model (the original is not touched)."""
    steps = tuple(steps)
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise ValueError(f"unknown optimisation steps {unknown}; known: {', '.join(STEPS)}")
    out = copy.deepcopy(module).cpu().eval().to(memory_format=torch.channels_last)
    report: dict[str, int] = {}
    if "fold" in steps:
        report["folded_batchnorms"] = fold_batchnorm(out)
    if "int8" in steps:
        out, report["int8_layers"] = quantize_dense(out)
    if "freeze" in steps:
        out = freeze_module(out, input_size, channels)
        report["frozen"] = 1
    return out, report


def optimize_member(loaded: LoadedModel, level: str | bool | None = DEFAULT_LEVEL,
                    device: str | torch.device = "cpu",
                    notes: list[OptimizeNote] | None = None) -> LoadedModel:
    """The member with an optimised module (same name and spec); unchanged off the CPU.

    `notes`, when given, receives one `OptimizeNote` per member saying what was applied
    (e.g. why a static int8 file was not used and "full" was applied instead).
    """
    steps = resolve_level(level)
    if not steps or torch.device(device).type != "cpu":
        return loaded
    if "static" in steps:
        from app.model.static_int8 import load_static, static_path

        absent = not loaded.spec.path or not static_path(loaded.spec.path).is_file()
        module, detail = load_static(loaded)
        if notes is not None:
            state = "used" if module is not None else "absent" if absent else "unusable"
            notes.append(OptimizeNote(loaded.name, state, detail))
        if module is not None:
            return dataclasses.replace(loaded, module=module)
        steps = LEVELS["full"]
    module, _ = optimize_module(loaded.module, steps, loaded.spec.input_size,
                                loaded.spec.in_channels)
    return dataclasses.replace(loaded, module=module)


__all__ = ["DEFAULT_LEVEL", "LEVELS", "STEPS", "OptimizeNote", "fold_batchnorm", "freeze_module",
           "optimize_member", "optimize_module", "quantize_dense", "resolve_level"]
