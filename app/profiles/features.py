"""What a profile head reads: the members' penultimate embeddings and log-probabilities.

Both come out of the predictor's one forward pass (`Predictor.predict_batch(embed=True)`),
so a profile adds a few small matrix products per frame, not a second network. The head's
input is the concatenation of each member's L2-normalised embedding: normalising per member
keeps the 256-wide CNN_1 and CNN_2 vectors on one scale whatever their activation sizes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.atomic import atomic_open
from app.model.fusion import fuse

_EPS = 1e-12


@dataclass(frozen=True)
class Features:
    """Per face: embeddings and softmax log-probabilities per member, and the fused
    log-probabilities of the base model (the shipped weights' answer)."""

    embeddings: dict[str, np.ndarray]  # member -> (N, D) float32
    member_logp: dict[str, np.ndarray]  # member -> (N, 7)
    base_logp: np.ndarray  # (N, 7)

    def __len__(self) -> int:
        return len(self.base_logp)

    def take(self, idx) -> Features:
        idx = np.asarray(idx, dtype=np.int64)
        return Features({k: v[idx] for k, v in self.embeddings.items()},
                        {k: v[idx] for k, v in self.member_logp.items()}, self.base_logp[idx])

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(self.member_logp)

    def head_input(self, members: Sequence[str] | None = None) -> np.ndarray:
        """(N, sum D): each member's embedding L2-normalised, concatenated in `members`
        order (default: every member that gave one)."""
        names = list(members) if members is not None else list(self.embeddings)
        missing = [n for n in names if n not in self.embeddings]
        if missing:
            raise ValueError(f"no embeddings for member(s) {missing}: the profile needs "
                             "members that expose their penultimate layer (see "
                             "app.model.predictor.can_embed)")
        parts = [_normalise(self.embeddings[n]) for n in names]
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(self), 0))


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), _EPS)


def from_batch(output, fusion: str = "product",
               weights: Sequence[float] | None = None) -> Features:
    """Features of one `BatchOutput` (its predictions' member probabilities, fused anew
    with the predictor's rule so the base equals what the app shows)."""
    preds = output.predictions
    names = list(preds[0].members) if preds else []
    member_probs = {n: np.stack([p.members[n] for p in preds]) for n in names}
    fused = fuse(fusion, list(member_probs.values()), weights) if names else np.zeros((0, 7))
    return Features({k: np.asarray(v, np.float32) for k, v in output.embeddings.items()},
                    {k: np.log(np.clip(v, _EPS, None)) for k, v in member_probs.items()},
                    np.log(np.clip(fused, _EPS, None)))


def concat(parts: Sequence[Features]) -> Features:
    first = parts[0]
    return Features({k: np.concatenate([p.embeddings[k] for p in parts])
                     for k in first.embeddings},
                    {k: np.concatenate([p.member_logp[k] for p in parts])
                     for k in first.member_logp},
                    np.concatenate([p.base_logp for p in parts]))


def extract(predictor, images: Sequence[np.ndarray], batch: int = 128) -> Features:
    """Features of many face images through `predictor` (embeddings included)."""
    parts = []
    for start in range(0, len(images), batch):
        out = predictor.predict_batch(list(images[start:start + batch]), embed=True)
        parts.append(from_batch(out, predictor.fusion, predictor.weights))
    return concat(parts)


def save(features: Features, path: Path) -> None:
    arrays = {f"emb__{k}": v for k, v in features.embeddings.items()}
    arrays.update({f"logp__{k}": v for k, v in features.member_logp.items()})
    with atomic_open(path, "wb") as fh:
        np.savez(fh, base_logp=features.base_logp, **arrays)


def load(path: Path) -> Features:
    with np.load(path, allow_pickle=False) as z:
        emb = {k[5:]: z[k] for k in z.files if k.startswith("emb__")}
        logp = {k[6:]: z[k] for k in z.files if k.startswith("logp__")}
        return Features(emb, logp, z["base_logp"])


def images_digest(images: np.ndarray) -> str:
    """A short digest of an image array, for feature cache keys."""
    return hashlib.sha1(np.ascontiguousarray(images).tobytes()).hexdigest()[:16]
