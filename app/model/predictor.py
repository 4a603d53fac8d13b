"""The one place inference runs: device choice, eval mode, batching, fusion.

All faces of a frame go through each member in one batch; each member's softmax is kept
beside the fused probabilities so the UI and the evaluation can compare them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from app.model.batch import BatchOutput, FusingPredictor
from app.model.checkpoint import LoadedModel, load_checkpoint
from app.model.fusion import fuse
from app.model.tensors import to_tensor


def pick_device(requested: str = "auto") -> torch.device:
    """'auto' picks CUDA when available, else the CPU; 'cpu' and 'cuda[:n]' are honoured."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but torch sees no CUDA device; use --device cpu")
    return device


def can_embed(module: torch.nn.Module) -> bool:
    """True when the member exposes its penultimate layer: an `EmbeddingMember`, or a
    `features` stage and a `classifier` Sequential ending in the class layer (CNN_1, CNN_2
    as built, folded or with int8 dense layers; not a traced/frozen or static int8 graph,
    which is one opaque call)."""
    if isinstance(module, EmbeddingMember):
        return True
    head = getattr(module, "classifier", None)
    return (getattr(module, "features", None) is not None
            and isinstance(head, torch.nn.Sequential) and len(head) > 1)


class _LogitsAndEmbedding(torch.nn.Module):
    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x):  # noqa: D102 - nn.Module contract
        emb = self.module.features(x)
        layers = list(self.module.classifier)
        for layer in layers[:-1]:  # unrolled: FX (static int8) traces each registered layer
            emb = layer(emb)
        # a tuple, not one concatenated tensor: int8 logits and embedding have their own
        # scales, and a quantised cat would force one on both
        return layers[-1](emb), emb


def logits_and_embedding_module(module: torch.nn.Module) -> torch.nn.Module:
    """The member as one module whose output is (logits, penultimate activations)."""
    return _LogitsAndEmbedding(module)


class EmbeddingMember(torch.nn.Module):
    """A member traced and frozen (fast, like the shipped optimised graphs) so that one call
    returns its logits and its penultimate activations."""

    def __init__(self, module: torch.nn.Module, input_size: int, classes: int,
                 channels: int = 3, frozen: bool = False) -> None:
        """`module` is the member (traced and frozen here), or with `frozen` an already
        frozen graph of `logits_and_embedding_module(member)` (the static int8 file)."""
        super().__init__()
        from app.model.optimize import freeze_module

        self.classes = classes
        self.graph = module if frozen else freeze_module(
            logits_and_embedding_module(module.eval()), input_size, channels)

    def forward(self, x):  # noqa: D102 - logits only, as every member
        return self.graph(x)[0]

    def logits_and_embedding(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        logits, emb = self.graph(x)
        return logits, emb


def _halves(t: torch.Tensor) -> torch.Tensor:
    half = len(t) // 2
    return (t[:half] + t[half:]) / 2.0


def softmax_scores(module: torch.nn.Module, x: torch.Tensor, flip: bool = False,
                   temperature: float = 1.0) -> torch.Tensor:
    """Softmax of `module` on a batch (N, C, H, W), channels_last. With `flip`, the mirror
    images go through in the same batch and each face gets the mean of its two softmax
    vectors (expressions are left-right symmetric). The logits are divided by the member's
    fitted `temperature` first (1.0: as trained)."""
    return scores_and_embeddings(module, x, flip, temperature=temperature)[0]


def scores_and_embeddings(module: torch.nn.Module, x: torch.Tensor, flip: bool = False,
                          embed: bool = False, temperature: float = 1.0
                          ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`softmax_scores`, and with `embed` the member's penultimate activations from the same
    forward pass (None when the member cannot give them, see `can_embed`); with `flip` each
    face's embedding is the mean of its two views', like its probabilities."""
    if flip:
        x = torch.cat([x, x.flip(-1)])
    x = x.contiguous(memory_format=torch.channels_last)
    emb = None
    if embed and isinstance(module, EmbeddingMember):
        logits, emb = module.logits_and_embedding(x)
        emb = emb.float()
    elif embed and can_embed(module):
        emb = module.classifier[:-1](module.features(x))
        logits = module.classifier[-1](emb)
        emb = emb.float()
    else:
        logits = module(x)
    logits = logits.float()
    probs = torch.softmax(logits / temperature if temperature != 1.0 else logits, dim=1)
    if flip:
        probs = _halves(probs)
        emb = None if emb is None else _halves(emb)
    return probs, emb


class Predictor(FusingPredictor):
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
        self.optimize_status: list = []  # OptimizeNote per member: int8 file used or why not
        if self.optimize != "none":
            from app.model.optimize import optimize_member

            self.members = [optimize_member(m, optimize, self.device, self.optimize_status)
                            for m in self.members]
        for member in self.members:
            member.module.to(self.device, memory_format=torch.channels_last).eval()
        self.fusion = fusion
        # Test-time flip: each member scores the face and its mirror image in the same
        # batch and averages the two softmax vectors (expressions are left-right symmetric;
        # +0.9 point for the product rule on FER+ Test, docs/RESULTS.md).
        self.flip = bool(flip)
        self.backend = "torch"
        self.weights = None if weights is None else list(weights)
        self.embed = False  # also return embeddings (a personal profile is active)
        fuse(fusion, [np.full(7, 1 / 7)] * len(self.members), self.weights)  # validate early

    @classmethod
    def from_checkpoints(cls, paths: dict[str, str | os.PathLike], **kwargs) -> Predictor:
        """Load members by name from checkpoint files (see `app.model.checkpoint`)."""
        members = [load_checkpoint(path, name=name) for name, path in paths.items()]
        return cls(members, **kwargs)

    def enable_embeddings(self, names=None) -> None:
        """Return the embeddings of members `names` (default all) from now on, reloading an
        opaque member as its shipped static int8 embedding graph (`cnn1.embed.int8.pt`),
        else at the "int8" level frozen as one (logits, embedding) graph."""
        import dataclasses

        from app.model.optimize import optimize_member
        from app.model.static_int8 import embed_static_path, load_static

        names = set(names) if names is not None else set(self.names)
        for i, member in enumerate(self.members):
            if member.name in names and not can_embed(member.module):
                fresh = load_checkpoint(member.spec.path, name=member.name)
                spec = fresh.spec
                static, _note = load_static(fresh, embed_static_path(spec.path))
                if self.device.type == "cpu" and static is not None:  # the shipped int8
                    module = EmbeddingMember(static, spec.input_size, len(spec.labels),
                                             frozen=True)
                    module.static_file = str(embed_static_path(spec.path))
                    fresh = dataclasses.replace(fresh, module=module)
                elif self.device.type == "cpu":  # fold + int8 dense, one frozen graph
                    fresh = optimize_member(fresh, "int8", self.device)
                    fresh = dataclasses.replace(fresh, module=EmbeddingMember(
                        fresh.module.cpu().to(memory_format=torch.channels_last),
                        spec.input_size, len(spec.labels), spec.in_channels))
                fresh.module.to(self.device).eval()
                self.members[i] = fresh
        self.embed = True

    def predict_batch(self, images: Sequence[np.ndarray], embed: bool | None = None
                      ) -> BatchOutput:
        """`FusingPredictor.predict_batch`, with autograd off for the whole pass."""
        with torch.inference_mode():
            return super().predict_batch(images, embed)

    def _score_member(self, member: LoadedModel, images: Sequence[np.ndarray], embed: bool
                      ) -> tuple[np.ndarray, np.ndarray | None]:
        x = to_tensor(images, member.spec.input_size, member.spec.preprocess)
        probs, emb = scores_and_embeddings(member.module, x.to(self.device), self.flip, embed,
                                           member.spec.temperature)
        return (probs.cpu().numpy().astype(np.float64),
                None if emb is None else emb.cpu().numpy())
