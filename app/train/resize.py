"""Moving weights between input sizes (progressive resizing) and freezing layers (fine-tuning).

Convolution and BatchNorm weights do not depend on the input size, so they are copied as
they are. The first dense layer does: it reads the flattened C x s x s feature map, and s
grows with the input (CNN_2: 6 at 48, 8 at 64, 12 at 96; CNN_1: 1, 2, 3). Rather than
re-initialising it, its weight matrix is viewed as one C x s x s map per output unit,
resized bilinearly to the new side and shifted so each map keeps its sum: a spatially
constant feature map gives exactly the same pre-activation as before, a smooth one nearly.
The dense layers after it keep their shapes and are copied; training then adapts them
at the new size.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from app.model.checkpoint import build_model


def first_dense(model: nn.Module) -> tuple[str, nn.Linear]:
    """Name and module of the first Linear layer (the one whose input size follows N)."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            return name, module
    raise ValueError(f"{type(model).__name__} has no dense layer")


def conv_channels(model: nn.Module) -> int:
    """Channels of the last convolution (the C in the flattened C x s x s map)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no convolution")
    return convs[-1].out_channels


def resize_dense_weight(weight: torch.Tensor, channels: int, new_side: int) -> torch.Tensor:
    """(out, C*s*s) -> (out, C*new*new), bilinear per channel map, each map keeping its sum."""
    out, flat = weight.shape
    side = int(round((flat / channels) ** 0.5))
    if channels * side * side != flat:
        raise ValueError(f"dense input {flat} is not {channels} x s x s")
    maps = weight.detach().float().reshape(out, channels, side, side)
    if new_side != side:
        total = maps.sum(dim=(2, 3), keepdim=True)
        maps = F.interpolate(maps, size=(new_side, new_side), mode="bilinear",
                             align_corners=False)
        # Bilinear resampling does not keep the sum at the borders; shift each map so its
        # sum (its response to a constant feature map) is exactly what it was.
        maps = maps + (total - maps.sum(dim=(2, 3), keepdim=True)) / (new_side * new_side)
    return maps.reshape(out, channels * new_side * new_side).to(weight.dtype)


def resize_model(model: nn.Module, arch: str, new_size: int) -> nn.Module:
    """A new `arch` model at input `new_size` carrying `model`'s weights (see module doc)."""
    new = build_model(arch, new_size)
    dense_name, _ = first_dense(new)
    channels = conv_channels(new)
    old_state = model.state_dict()
    state = new.state_dict()
    for key, value in state.items():
        src = old_state.get(key)
        if src is None:
            continue
        if key == f"{dense_name}.weight" and src.shape != value.shape:
            side = int(round((value.shape[1] / channels) ** 0.5))
            state[key] = resize_dense_weight(src, channels, side)
        elif src.shape == value.shape:
            state[key] = src.clone()
    new.load_state_dict(state)
    return new


def freeze(model: nn.Module, prefixes: Iterable[str]) -> list[str]:
    """Stop gradients for parameters whose names start with any prefix; returns them.

    BatchNorm layers whose parameters are all frozen also keep their running statistics
    (see `keep_frozen_bn_eval`), or fine-tuning on a small set would drift them.
    """
    prefixes = tuple(p for p in prefixes if p)
    frozen = []
    for name, param in model.named_parameters():
        if prefixes and name.startswith(prefixes):
            param.requires_grad_(False)
            frozen.append(name)
    if prefixes and not frozen:
        names = sorted({n.rsplit(".", 2)[0] for n, _ in model.named_parameters()})
        raise ValueError(f"no parameters match {list(prefixes)}; layer names: {names}")
    return frozen


def keep_frozen_bn_eval(model: nn.Module) -> None:
    """Put BatchNorm layers without trainable parameters in eval mode (call after train())."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            params = list(module.parameters())
            if params and not any(p.requires_grad for p in params):
                module.eval()
