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
(`EmbeddingMember`; slower, float convolutions). The app's ONNX graphs return both
already (app.train.onnx_export), so for them nothing is reloaded.
"""

from __future__ import annotations

import dataclasses

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
    """SHA-256 of each member's model file (the ONNX graph the app runs; the checkpoint on
    the torch backend), as a profile records them; a torch member that
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


def enable_embeddings(predictor, names=None) -> None:
    """Make `predictor` return embeddings of members `names` (default all). The ONNX
    predictor's graphs all give them; the torch `Predictor` reloads an opaque member
    (module docstring)."""
    predictor.enable_embeddings(names)
