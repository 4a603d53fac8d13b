"""What the two predictors share, without torch: a batch's output and the scoring loop.

The torch `Predictor` (app/model/predictor.py) and the ONNX Runtime `OnnxPredictor`
(app/model/runtime.py) differ only in how one member scores a batch of faces; the loop over
members, the per-member timings, the fusion and the `Prediction` records are the same code
here, so their outputs cannot drift apart. This module must stay torch-free: the app runs
without torch (an import-linter contract covers app.model.runtime and what it imports).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.model.fusion import fuse
from app.records import Prediction


@dataclass(frozen=True)
class BatchOutput:
    """Predictions for a batch of faces, and the milliseconds each member took."""

    predictions: list[Prediction]
    timings_ms: dict[str, float]
    # Penultimate activations (N, D) per member, only when asked for and the member can
    # give them; what a personal profile's head reads (app/profiles).
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)


class FusingPredictor:
    """Scores face crops with every member and fuses their softmax outputs.

    A subclass sets `members` (each with `.name` and `.spec`), `fusion`, `weights`, `embed`
    and `optimize_status`, and says in `_score_member` how one member scores a batch.
    """

    members: list
    fusion: str
    weights: list[float] | None
    embed: bool
    optimize_status: list

    def _score_member(self, member, images: Sequence[np.ndarray], embed: bool
                      ) -> tuple[np.ndarray, np.ndarray | None]:
        """Softmax (N, 7) as float64 and, with `embed` when the member can, its float32
        penultimate activations (N, D), else None."""
        raise NotImplementedError

    @property
    def optimize_notes(self) -> list[str]:
        """The optimisation status as lines for people (bench and self-test JSON)."""
        return [str(note) for note in self.optimize_status]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def predict_batch(self, images: Sequence[np.ndarray], embed: bool | None = None
                      ) -> BatchOutput:
        """Score face images (uint8 RGB, any square size; resized to each member's N); with
        `embed` (default: the `embed` attribute, set while a profile is active), also
        return each able member's penultimate activations from the same pass."""
        embed = self.embed if embed is None else embed
        if len(images) == 0:
            return BatchOutput([], {m.name: 0.0 for m in self.members})
        timings: dict[str, float] = {}
        member_probs: dict[str, np.ndarray] = {}
        embeddings: dict[str, np.ndarray] = {}
        for member in self.members:
            start = time.perf_counter()
            probs, emb = self._score_member(member, images, embed)
            member_probs[member.name] = probs
            if emb is not None:
                embeddings[member.name] = emb
            timings[member.name] = (time.perf_counter() - start) * 1000.0
        start = time.perf_counter()
        fused = fuse(self.fusion, list(member_probs.values()), self.weights)
        timings["fusion"] = (time.perf_counter() - start) * 1000.0
        preds = [
            Prediction(probs=fused[i], members={k: v[i] for k, v in member_probs.items()},
                       fusion=self.fusion, embeddings={k: v[i] for k, v in embeddings.items()})
            for i in range(len(images))
        ]
        return BatchOutput(preds, timings, embeddings)

    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        return self.predict_batch(images).predictions


__all__ = ["BatchOutput", "FusingPredictor"]
