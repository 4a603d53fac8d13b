"""A profile at work: the frame session's hook, and what it needs of the predictor.

`ProfileHook` is the `Prediction -> Prediction` callable `FrameSession` applies to the
main face between fusion and the smoother; the returned prediction's probabilities are the
profile's (zero outside a subset profile's expressions), its members' stay the shipped
weights' so the UI can still show them. `activate` checks that the profile was fitted on
the loaded weights (refusing with a message otherwise) and, for a head that reads
embeddings, makes the predictor return them: a member loaded as one opaque graph (the
static int8 file, a frozen trace) is replaced by its shipped static int8 graph that returns
logits and embedding together (`cnn1.embed.int8.pt`, as fast as the plain one), else by
the "int8" level (folded BatchNorm, dynamic int8 dense layers) frozen as such a graph
(`EmbeddingMember`; slower, float convolutions).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from app.hashing import file_sha256
from app.profiles.features import Features
from app.profiles.profile import Profile, check_weights
from app.records import Prediction

_EPS = 1e-12


def prediction_features(prediction: Prediction) -> Features:
    """One face's head input: its embeddings, member and fused log-probabilities."""
    emb = {k: np.asarray(v, np.float32)[None] for k, v in prediction.embeddings.items()}
    logp = {k: np.log(np.clip(v, _EPS, None))[None] for k, v in prediction.members.items()}
    return Features(emb, logp, np.log(np.clip(prediction.probs, _EPS, None))[None])


class ProfileHook:
    """Applies one profile's head to a fused prediction (see the module docstring)."""

    def __init__(self, profile: Profile, active: bool = True) -> None:
        self.profile = profile
        self.head = profile.head
        # False until `activate` has checked the weights (the window builds the predictor
        # on its worker thread, after the hook is handed to the session): pass-through.
        self.active = active

    def __call__(self, prediction: Prediction) -> Prediction:
        if not self.active:
            return prediction
        missing = [m for m in self.head.members if m not in prediction.embeddings]
        if missing:
            raise RuntimeError(f"profile {self.profile.name!r} needs the embeddings of "
                               f"{missing}; activate it on the predictor first")
        logp = self.head.log_probs(prediction_features(prediction))[0]
        probs = np.exp(logp - logp.max())
        return dataclasses.replace(prediction, probs=probs / probs.sum(),
                                   fusion=f"{prediction.fusion}+profile")


def loaded_hashes(predictor) -> dict[str, str]:
    """SHA-256 of each member's checkpoint file, as a profile records them; a member that
    gives its embedding from the static int8 embedding graph adds that file's hash under
    "<name>.embed" (its int8 embeddings are what the profile was fitted on)."""
    out = {m.name: file_sha256(m.spec.path) for m in predictor.members if m.spec.path}
    for m in predictor.members:
        if getattr(m.module, "static_file", None):
            out[f"{m.name}.embed"] = file_sha256(m.module.static_file)
    return out


def activate(profile: Profile, predictor, hook: ProfileHook | None = None) -> ProfileHook:
    """Check the profile against the predictor's weights, prepare the predictor, and
    return `hook` (or a new one) switched on; ProfileError when the weights differ."""
    # a head fitted on the embedding graph's outputs reads them there, even one (fused)
    # whose fit gave the embedding no weight: same member log-probabilities as calibrated
    recorded = [k.split(".")[0] for k in profile.weights if k.endswith(".embed")]
    if profile.head.needs_embeddings or recorded:
        enable_embeddings(predictor, profile.head.members or recorded)
    check_weights(profile, loaded_hashes(predictor))
    hook = hook or ProfileHook(profile)
    hook.active = True
    return hook


def embed_static_path(checkpoint) -> Path:
    """The static int8 graph returning [logits | embedding]: `cnn1.pt` ->
    `cnn1.embed.int8.pt` (made by scripts/quantize_members.py --embed)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".embed.int8.pt")


def enable_embeddings(predictor, names=None) -> None:
    """Make `predictor` return embeddings of members `names` (default all), reloading an
    opaque member at the "int8" level (module docstring)."""
    import torch

    from app.model.checkpoint import load_checkpoint
    from app.model.optimize import optimize_member
    from app.model.predictor import EmbeddingMember, can_embed
    from app.model.static_int8 import load_static

    names = set(names) if names is not None else {m.name for m in predictor.members}
    for i, member in enumerate(predictor.members):
        if member.name in names and not can_embed(member.module):
            fresh = load_checkpoint(member.spec.path, name=member.name)
            spec = fresh.spec
            static, _note = load_static(fresh, embed_static_path(spec.path))
            if predictor.device.type == "cpu" and static is not None:  # the shipped int8
                module = EmbeddingMember(static, spec.input_size, len(spec.labels),
                                         frozen=True)
                module.static_file = str(embed_static_path(spec.path))
                fresh = dataclasses.replace(fresh, module=module)
            elif predictor.device.type == "cpu":  # fold + int8 dense, one frozen graph
                fresh = optimize_member(fresh, "int8", predictor.device)
                fresh = dataclasses.replace(fresh, module=EmbeddingMember(
                    fresh.module.cpu().to(memory_format=torch.channels_last),
                    spec.input_size, len(spec.labels), spec.in_channels))
            fresh.module.to(predictor.device).eval()
            predictor.members[i] = fresh
    predictor.embed = True

