"""Helpers for the optimisation tests: "trained-like" random members and agreement checks."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from app.model.checkpoint import LoadedModel, ModelSpec, build_model
from app.model.tensors import to_tensor


def _trained_like(arch: str, size: int, seed: int = 0, peak: float = 8.0) -> LoadedModel:
    torch.manual_seed(seed)
    model = build_model(arch, size)
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=gen) * 2 - 1)
            m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.25)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=gen) - 0.5)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    last.weight.data.mul_(peak)  # a peaked softmax, as trained models give
    model.eval()
    return LoadedModel(name=arch, module=model, spec=ModelSpec(arch=arch, input_size=size))


def _probs(member: LoadedModel, images: list[np.ndarray]) -> np.ndarray:
    x = to_tensor(images, member.spec.input_size, member.spec.preprocess)
    x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        return torch.softmax(member.module(x).float(), dim=1).numpy()


def _assert_agree(ref: np.ndarray, got: np.ndarray, tol: float) -> None:
    assert np.abs(ref - got).max() <= tol, f"probabilities differ by {np.abs(ref - got).max()}"
    top2 = np.sort(ref, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 2 * tol
    assert clear.mean() >= 0.5, "too few clear calls for the top-class check to mean much"
    np.testing.assert_array_equal(ref[clear].argmax(1), got[clear].argmax(1))
