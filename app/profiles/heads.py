"""The candidate per-user heads, fitted on a few labelled frames of one person.

Every head scores only the classes the person calibrated (`classes`); `combine` then turns
its scores into seven probabilities:

- inside the calibrated set, the head's scores plus `lam` times the base model's
  log-probabilities (lam 0: the head alone; lam 1: head and shipped weights as a product of
  experts, so the base still counts where few frames were seen);
- a class the profile may show but was not calibrated (`allowed` minus `classes`: neutral
  left out of a subset, or every class in scope "all") keeps the base model's probability;
- a class outside `allowed` gets probability 0: a subset profile (neutral, happy,
  surprise) can never output anything else.

Kinds: "prototype" (cosine nearest class mean over the normalised embeddings, a fixed
scale), "linear" (multinomial logistic regression, L2-regularised), "bias" (a per-user
temperature and per-class bias on the fused log-probabilities; no embeddings), "finetune"
(each member's last layer, started from the shipped weights and pulled back towards them),
"fused" (the default, `app.profiles.fused`: class means over log-probabilities and
embedding relative to the person's neutral, the base's weight and temperature fitted per
person; its base is inside its scores, so it combines with `lam` 0). Fitting the first
four uses torch's L-BFGS on a few hundred numbers (imported only then); "fused" fits and
everything applies with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.labels import EMOTIONS, INDEX
from app.profiles.features import Features
from app.profiles.fused import fit_fused, fused_scores

KINDS = ("prototype", "linear", "bias", "finetune", "fused")
SCOPES = ("subset", "calibrated", "all")
PROTOTYPE_SCALE = 16.0  # cosine similarity x scale = logits; ~ a softmax temperature of 1/16
LINEAR_L2 = 1e-3
FINETUNE_PULL = 1e-2
_NEG = -1e9


@dataclass(frozen=True)
class Head:
    """A fitted head: which classes it scores, which it may output, how much of the base it
    keeps, and its parameters (plain arrays, saved in the profile file)."""

    kind: str
    classes: tuple[int, ...]
    allowed: tuple[int, ...]
    lam: float
    members: tuple[str, ...]
    params: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown head kind {self.kind!r}; choose one of {KINDS}")
        if not self.classes or not set(self.classes) <= set(self.allowed):
            raise ValueError(f"head classes {self.classes} must be a non-empty part of the "
                             f"allowed classes {self.allowed}")

    @property
    def needs_embeddings(self) -> bool:
        return bool(self.members) if self.kind == "fused" else self.kind != "bias"

    def scores(self, feats: Features) -> np.ndarray:
        """(N, len(classes)) unnormalised log-scores of the calibrated classes."""
        c = list(self.classes)
        p = self.params
        if self.kind == "fused":
            return fused_scores(feats, p, c, self.members)
        if self.kind == "bias":
            return feats.base_logp[:, c] / float(p["temperature"]) + p["bias"]
        if self.kind == "finetune":
            total = 0.0
            for name in self.members:
                z = feats.embeddings[name].astype(np.float64) @ p[f"w__{name}"].T \
                    + p[f"b__{name}"]
                total = total + _log_softmax(z)
            return total
        x = feats.head_input(self.members)
        if self.kind == "prototype":
            return float(p["scale"]) * (x @ p["means"].T)
        return x @ p["weight"].T + p["bias"]

    def log_probs(self, feats: Features) -> np.ndarray:
        """(N, 7) log-probabilities; -1e9 (probability 0) outside `allowed`."""
        return combine(self.scores(feats), feats.base_logp, self.classes, self.allowed,
                       self.lam)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def combine(scores: np.ndarray, base_logp: np.ndarray, classes: Sequence[int],
            allowed: Sequence[int], lam: float) -> np.ndarray:
    """Seven log-probabilities from a head's scores over `classes` (module docstring)."""
    classes, allowed = list(classes), list(allowed)
    base = np.exp(base_logp - base_logp.max(axis=1, keepdims=True))
    mask = np.zeros(len(EMOTIONS), bool)
    mask[allowed] = True
    base = np.where(mask, base, 0.0)
    base /= np.maximum(base.sum(axis=1, keepdims=True), 1e-300)
    inside = _log_softmax(scores + lam * base_logp[:, classes])
    mass = base[:, classes].sum(axis=1, keepdims=True)
    out = np.where(mask, np.log(np.maximum(base, 1e-300)), _NEG)
    if len(classes) == len(allowed):  # every allowed class calibrated: the head decides
        out[:, classes] = inside
    else:
        out[:, classes] = inside + np.log(np.maximum(mass, 1e-300))
    return out


def allowed_classes(classes: Sequence[int], scope: str) -> tuple[int, ...]:
    """What a profile may output: its calibrated classes plus neutral ("subset"), exactly
    its calibrated classes ("calibrated"), or all seven ("all")."""
    if scope not in SCOPES:
        raise ValueError(f"unknown profile scope {scope!r}; choose one of {SCOPES}")
    if scope == "all":
        return tuple(range(len(EMOTIONS)))
    if scope == "calibrated":
        return tuple(sorted(set(classes)))
    return tuple(sorted(set(classes) | {INDEX["neutral"]}))


def _lbfgs(params: list, loss_fn, iters: int = 60) -> None:
    import torch

    opt = torch.optim.LBFGS(params, lr=1.0, max_iter=iters, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    opt.step(closure)


def _targets(labels: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    pos = {c: i for i, c in enumerate(classes)}
    return np.asarray([pos[int(y)] for y in labels], dtype=np.int64)


def fit_head(kind: str, feats: Features, labels: np.ndarray, scope: str = "subset",
             lam: float = 0.0, members: Sequence[str] | None = None,
             last_layers: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> Head:
    """Fit one head on labelled features of one person. `last_layers` (member -> weight
    (7, D), bias (7,)) is the shipped class layer, needed by "finetune" only."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) != len(feats) or not len(labels):
        raise ValueError(f"need one label per frame; got {len(labels)} for {len(feats)}")
    classes = tuple(sorted({int(y) for y in labels}))
    allowed = allowed_classes(classes, scope)
    members = tuple(members if members is not None else feats.embeddings)
    y = _targets(labels, classes)
    if kind == "fused":  # numpy only; drops the embedding when the fit gives it no weight
        params = fit_fused(feats, y, classes, members)
        used = members if float(params.get("w_emb", 0.0)) != 0.0 else ()
        return Head(kind, classes, allowed, 0.0, used, params)
    if kind == "prototype":  # numpy: the window's head needs no torch
        params = _fit_prototype(feats, y, classes, members, last_layers)
    elif kind in _FITTERS:
        import torch

        torch.manual_seed(0)
        with torch.enable_grad():
            params = _FITTERS[kind](feats, torch.from_numpy(y), classes, members, last_layers)
    else:
        raise ValueError(f"unknown head kind {kind!r}; choose one of {KINDS}")
    return Head(kind, classes, allowed, float(lam), members if kind != "bias" else (),
                params)


def _fit_prototype(feats, y, classes, members, _last) -> dict[str, np.ndarray]:
    x = feats.head_input(members)
    means = np.stack([x[y == i].mean(axis=0) for i in range(len(classes))])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    return {"means": means, "scale": np.array(PROTOTYPE_SCALE)}


def _fit_linear(feats, y, classes, members, _last) -> dict[str, np.ndarray]:
    import torch

    x = torch.from_numpy(feats.head_input(members))
    w = torch.zeros(len(classes), x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(len(classes), dtype=torch.float64, requires_grad=True)

    def loss():
        z = x @ w.T + b
        return torch.nn.functional.cross_entropy(z, y) + LINEAR_L2 * (w * w).sum()

    if len(classes) > 1:
        _lbfgs([w, b], loss)
    return {"weight": w.detach().numpy(), "bias": b.detach().numpy()}


def _fit_bias(feats, y, classes, _members, _last) -> dict[str, np.ndarray]:
    import torch

    base = torch.from_numpy(np.asarray(feats.base_logp[:, list(classes)], np.float64))
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(len(classes), dtype=torch.float64, requires_grad=True)

    def loss():  # a weak pull keeps T and the biases finite on separable frames
        z = base / log_t.exp() + bias
        return torch.nn.functional.cross_entropy(z, y) + 1e-3 * (bias * bias).sum() \
            + 1e-3 * log_t * log_t

    if len(classes) > 1:
        _lbfgs([log_t, bias], loss)
    return {"temperature": np.array(float(log_t.detach().exp())), "bias": bias.detach().numpy()}


def _fit_finetune(feats, y, classes, members, last) -> dict[str, np.ndarray]:
    import torch

    if not last:
        raise ValueError("a finetune head needs the members' shipped class layers")
    rows = list(classes)
    start = {m: (torch.tensor(last[m][0][rows], dtype=torch.float64),
                 torch.tensor(last[m][1][rows], dtype=torch.float64)) for m in members}
    emb = {m: torch.from_numpy(feats.embeddings[m].astype(np.float64)) for m in members}
    live = {m: (w.clone().requires_grad_(True), b.clone().requires_grad_(True))
            for m, (w, b) in start.items()}

    def loss():
        z = sum(torch.log_softmax(emb[m] @ w.T + b, dim=1) for m, (w, b) in live.items())
        pull = sum(((w - start[m][0]) ** 2).sum() + ((b - start[m][1]) ** 2).sum()
                   for m, (w, b) in live.items())
        return torch.nn.functional.cross_entropy(z, y) + FINETUNE_PULL * pull

    _lbfgs([t for pair in live.values() for t in pair], loss)
    out = {}
    for m, (w, b) in live.items():
        out[f"w__{m}"], out[f"b__{m}"] = w.detach().numpy(), b.detach().numpy()
    return out


_FITTERS = {"linear": _fit_linear, "bias": _fit_bias, "finetune": _fit_finetune}


def last_layers(predictor) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each able member's shipped class layer (weight, bias), for "finetune" heads (torch
    members only: an ONNX graph has no layers to read; fit those with --backend torch)."""
    out = {}
    for m in predictor.members:
        head = getattr(m.module, "classifier", None)
        if head is None:
            continue
        import torch

        layer = head[-1] if isinstance(head, torch.nn.Sequential) else None
        if isinstance(layer, torch.nn.Linear):
            out[m.name] = (layer.weight.detach().cpu().double().numpy(),
                           layer.bias.detach().cpu().double().numpy())
    return out
