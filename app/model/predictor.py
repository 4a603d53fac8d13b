"""The one place inference runs: device choice, eval mode, batching, fusion.

All faces of a frame go through each member in one batch; each member's softmax is kept
beside the fused probabilities so the UI and the evaluation can compare them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from app.model.checkpoint import LoadedModel, load_checkpoint
from app.model.fusion import fuse
from app.model.preprocess import to_tensor
from app.records import Prediction


def pick_device(requested: str = "auto") -> torch.device:
    """'auto' picks CUDA when available, else the CPU; 'cpu' and 'cuda[:n]' are honoured."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but torch sees no CUDA device; use --device cpu")
    return device


def softmax_scores(module: torch.nn.Module, x: torch.Tensor, flip: bool = False,
                   temperature: float = 1.0) -> torch.Tensor:
    """Softmax of `module` on a batch (N, C, H, W), channels_last. With `flip`, the mirror
    images go through in the same batch and each face gets the mean of its two softmax
    vectors (expressions are left-right symmetric). The logits are divided by the member's
    fitted `temperature` first (1.0: as trained)."""
    if flip:
        x = torch.cat([x, x.flip(-1)])
    logits = module(x.contiguous(memory_format=torch.channels_last)).float()
    probs = torch.softmax(logits / temperature if temperature != 1.0 else logits, dim=1)
    if flip:
        half = len(probs) // 2
        probs = (probs[:half] + probs[half:]) / 2.0
    return probs


@dataclass(frozen=True)
class BatchOutput:
    """Predictions for a batch of faces, and the milliseconds each member took."""

    predictions: list[Prediction]
    timings_ms: dict[str, float]


class Predictor:
    """Scores face crops with every member model and fuses their softmax outputs."""

    def __init__(self, members: Sequence[LoadedModel], fusion: str = "product",
                 weights: Sequence[float] | None = None, device: str = "auto",
                 threads: int | None = None, optimize: str | bool | None = None,
                 flip: bool = False) -> None:
        if not members:
            raise ValueError("a Predictor needs at least one member model")
        self.device = pick_device(device)
        if threads is None:
            threads = max(1, min(4, os.cpu_count() or 1))
        if self.device.type == "cpu":
            torch.set_num_threads(threads)
        self.members = list(members)
        # Inference-time optimisation (app/model/optimize.py, issue 7): BatchNorm folding,
        # int8 dense layers, traced+frozen graphs. CPU only; None/False/"none" = as loaded.
        self.optimize = optimize or "none"
        self.optimize_notes: list[str] = []  # e.g. why a static int8 file was not used
        if self.optimize != "none":
            from app.model.optimize import optimize_member

            self.members = [optimize_member(m, optimize, self.device, self.optimize_notes)
                            for m in self.members]
        for member in self.members:
            member.module.to(self.device, memory_format=torch.channels_last).eval()
        self.fusion = fusion
        # Test-time flip: each member scores the face and its mirror image in the same
        # batch and averages the two softmax vectors (expressions are left-right symmetric;
        # +0.9 point for the product rule on FER+ Test, docs/RESULTS.md).
        self.flip = bool(flip)
        self.weights = None if weights is None else list(weights)
        fuse(fusion, [np.full(7, 1 / 7)] * len(self.members), self.weights)  # validate early

    @classmethod
    def from_checkpoints(cls, paths: dict[str, str | os.PathLike], **kwargs) -> Predictor:
        """Load members by name from checkpoint files (see `app.model.checkpoint`)."""
        members = [load_checkpoint(path, name=name) for name, path in paths.items()]
        return cls(members, **kwargs)

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def predict_batch(self, images: Sequence[np.ndarray]) -> BatchOutput:
        """Score face images (uint8 RGB, any square size; resized to each member's N)."""
        timings: dict[str, float] = {}
        if len(images) == 0:
            return BatchOutput([], {m.name: 0.0 for m in self.members})
        member_probs: dict[str, np.ndarray] = {}
        with torch.inference_mode():
            for member in self.members:
                start = time.perf_counter()
                x = to_tensor(images, member.spec.input_size, member.spec.preprocess)
                probs = softmax_scores(member.module, x.to(self.device), self.flip,
                                       member.spec.temperature)
                probs = probs.cpu().numpy()
                member_probs[member.name] = probs.astype(np.float64)
                timings[member.name] = (time.perf_counter() - start) * 1000.0
        start = time.perf_counter()
        fused = fuse(self.fusion, list(member_probs.values()), self.weights)
        timings["fusion"] = (time.perf_counter() - start) * 1000.0
        preds = [
            Prediction(probs=fused[i], members={k: v[i] for k, v in member_probs.items()},
                       fusion=self.fusion)
            for i in range(len(images))
        ]
        return BatchOutput(preds, timings)

    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        return self.predict_batch(images).predictions
