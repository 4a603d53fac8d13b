"""The default profile head ("fused"): the person's own class means over features that carry
to new pictures, plus the base model at a weight and temperature fitted for this person.

Numpy only (no torch: it fits and runs in the torch-free app). Per frame it reads blocks,
each relative to the person's neutral (the mean of the calibration's neutral frames, or of
all calibration frames when neutral was not recorded):

- "logp": every member's log-probabilities, centred over the classes (the members'
  checkpoint temperature is already applied by the Predictor, i.e. before fusion);
- "emb": the L2-normalised penultimate embedding of the head's members (CNN_1; none by
  default, `calibration.FUSED_MEMBERS`: it did not carry to other pictures);
- later "geometry" (blendshapes + normalised landmarks of the face landmarker): add a
  reader to `BLOCKS`; nothing else changes.

Each block scores class c by a Gaussian nearest-class-mean rule, -|x - mu_c|^2 / (2 v),
with v the pooled within-class spread (floored, so one frame per class still works). The
base enters as its log-probabilities over the calibrated classes at a per-person
temperature `base_t` (fitted by likelihood on the person's frames; equal to scaling every
member by 1/T before the product, since the product's log is their sum). The blocks' and
the base's weights come from cross-validation over the calibration: per expression its
frames are cut into contiguous chunks (in time for a recording), each chunk predicted by a
head fitted on the rest. Among the grid points within one standard error of the best
out-of-fold accuracy, a balanced mix of base and blocks wins when the person's frames
separate well (best >= `TRUST_CV`), the most base-heavy one otherwise (film stills of one
sitting per expression do not carry to other films: docs/PROFILES.md); one overall scale
is then fitted by likelihood so the probabilities are neither flat nor certain. Too few
frames to cross-validate (one per expression): `PRIOR` weights, and the head says so
(`params["fitted"]` 0).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from app.labels import INDEX
from app.profiles.features import Features

_CLIP = -12.0  # log-probabilities below this carry no more information (p < 6e-6)
FOLDS = 3
VAR_FLOOR = 0.25  # within-class spread at least this fraction of the class means' spread
BLOCK_GRID = (0.0, 0.5, 1.0)
BASE_GRID = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
SCALE_GRID = tuple(np.geomspace(0.05, 20.0, 40))
TRUST_CV = 0.9  # out-of-fold accuracy from which the person's frames count as much as the base
TEMP_GRID = tuple(np.geomspace(0.5, 64.0, 36))
# One frame per expression leaves nothing to cross-validate on: these weights (log-probs
# and base, no embedding: one shot of an embedding does not carry to another picture of
# the person, docs/PROFILES.md) stand in, and the head reports fitted = 0.
PRIOR = {"logp": 1.0, "emb": 0.0, "base": 1.0, "scale": 1.0}


def _centred_logp(feats: Features, _members) -> np.ndarray:
    parts = [np.maximum(np.asarray(feats.member_logp[m], np.float64), _CLIP)
             for m in sorted(feats.member_logp)]
    parts = [p - p.mean(axis=1, keepdims=True) for p in parts]
    return np.concatenate(parts, axis=1)


def _embedding(feats: Features, members) -> np.ndarray | None:
    return feats.head_input(members) if members else None


# name -> reader(features, members) -> (N, D) or None (the block is not available)
BLOCKS: dict[str, Callable[[Features, Sequence[str]], np.ndarray | None]] = {
    "logp": _centred_logp, "emb": _embedding}


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _nll(scores: np.ndarray, y: np.ndarray) -> float:
    return float(-_log_softmax(scores)[np.arange(len(y)), y].mean())


def read_blocks(feats: Features, members: Sequence[str]) -> dict[str, np.ndarray]:
    out = {}
    for name, reader in BLOCKS.items():
        x = reader(feats, members)
        if x is not None:
            out[name] = np.asarray(x, np.float64)
    return out


def _fit_block(x: np.ndarray, y: np.ndarray, n_classes: int, ref: np.ndarray
               ) -> dict[str, np.ndarray]:
    x = x - ref
    means = np.stack([x[y == i].mean(axis=0) for i in range(n_classes)])
    within = float(((x - means[y]) ** 2).sum(axis=1).mean())
    between = float(((means - means.mean(axis=0)) ** 2).sum(axis=1).mean())
    var = max(within, VAR_FLOOR * between, 1e-6)
    return {"ref": ref, "means": means, "var": np.array(var)}


def _block_scores(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    x = x - p["ref"]
    d2 = ((x[:, None, :] - p["means"][None]) ** 2).sum(axis=2)
    return -d2 / (2.0 * float(p["var"]))


def _base(feats: Features, classes: Sequence[int]) -> np.ndarray:
    return np.asarray(feats.base_logp, np.float64)[:, list(classes)]


def fit_base_temperature(base: np.ndarray, y: np.ndarray) -> float:
    """The temperature at which the base's answers over the calibrated classes best match
    the person's labels (a confidently wrong base gets a high one: it is flattened)."""
    return float(min(TEMP_GRID, key=lambda t: _nll(base / t, y)))


def _references(blocks: dict[str, np.ndarray], y: np.ndarray, classes: Sequence[int]
                ) -> dict[str, np.ndarray]:
    neutral = INDEX["neutral"]
    rows = y == list(classes).index(neutral) if neutral in classes else np.ones(len(y), bool)
    return {k: v[rows].mean(axis=0) for k, v in blocks.items()}


def _fit_parts(blocks, base, y, n_classes, classes):
    refs = _references(blocks, y, classes)
    parts = {k: _fit_block(v, y, n_classes, refs[k]) for k, v in blocks.items()}
    return parts, fit_base_temperature(base, y)


def _folds(y: np.ndarray, n_folds: int) -> np.ndarray | None:
    """Fold id per frame: each class's frames (in the given order) cut into contiguous
    chunks; None when some class has a single frame (it could not be predicted)."""
    fold = np.zeros(len(y), np.int64)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if len(idx) < 2:
            return None
        for k, chunk in enumerate(np.array_split(idx, min(n_folds, len(idx)))):
            fold[chunk] = k
    return fold


def _cv_scores(blocks, base, y, n_classes, classes, fold):
    """Out-of-fold block scores and tempered base, one row per frame."""
    out = {k: np.zeros((len(y), n_classes)) for k in (*blocks, "base")}
    for k in np.unique(fold):
        tr, te = fold != k, fold == k
        if len(np.unique(y[tr])) < n_classes:
            return None
        parts, temp = _fit_parts({b: v[tr] for b, v in blocks.items()}, base[tr], y[tr],
                                 n_classes, classes)
        for b, v in blocks.items():
            out[b][te] = _block_scores(v[te], parts[b])
        out["base"][te] = _log_softmax(base[te] / temp)
    return out


def choose_weights(cv: dict[str, np.ndarray], y: np.ndarray) -> dict[str, float]:
    """Grid over the blocks' and the base's weights, judged out of fold (module docstring):
    the mixes within one standard error of the best accuracy are eligible (a few dozen
    frames cannot tell small gains from luck), then the balance rule, then the lowest
    negative log-likelihood at the mix's best overall scale (returned folded in)."""
    names = [b for b in cv if b != "base"]
    rows = []
    for combo in itertools.product(*([BLOCK_GRID] * len(names)), BASE_GRID):
        if not any(combo):
            continue
        total = sum(w * cv[n] for w, n in zip(combo, [*names, "base"], strict=True))
        acc = float((total.argmax(axis=1) == y).mean())
        rows.append((acc, combo, total))
    best_acc = max(r[0] for r in rows)
    margin = float(np.sqrt(best_acc * (1.0 - best_acc) / len(y)))
    best_key, best = None, None
    for acc, combo, total in rows:
        if acc < best_acc - margin - 1e-12:
            continue
        scale = min(SCALE_GRID, key=lambda s, t=total: _nll(s * t, y))
        rel = combo[-1] / max(sum(combo[:-1]), 1e-9)
        if best_acc >= TRUST_CV:  # the person's frames separate: base and frames balanced
            key = (rel < 1.0, abs(np.log(max(rel, 1e-3))), _nll(scale * total, y))
        else:  # they do not: the base leads (it carries better to other pictures)
            key = (-rel, _nll(scale * total, y))
        if best_key is None or key < best_key:
            best_key = key
            best = {**dict(zip(names, combo[:-1], strict=True)), "base": combo[-1],
                    "scale": float(scale), "cv_accuracy": acc}
    return best


def fit_fused(feats: Features, y: np.ndarray, classes: Sequence[int],
              members: Sequence[str]) -> dict[str, np.ndarray]:
    """The head's parameters (module docstring); `y` indexes `classes`, in time order."""
    y = np.asarray(y, np.int64)
    n = len(classes)
    blocks = read_blocks(feats, members)
    base = _base(feats, classes)
    fold = _folds(y, FOLDS)
    cv = _cv_scores(blocks, base, y, n, classes, fold) if fold is not None else None
    if cv is not None and n > 1:
        w = choose_weights(cv, y)
        fitted = 1.0
    else:
        w = {**{b: PRIOR.get(b, 0.0) for b in blocks}, "base": PRIOR["base"],
             "scale": PRIOR["scale"], "cv_accuracy": float("nan")}
        fitted = 0.0
    parts, temp = _fit_parts(blocks, base, y, n, classes)
    params: dict[str, np.ndarray] = {
        "blocks": np.array(list(blocks)), "base_t": np.array(temp),
        "w_base": np.array(w["scale"] * w["base"]), "fitted": np.array(fitted),
        "cv_accuracy": np.array(w["cv_accuracy"])}
    for b, p in parts.items():
        params[f"w_{b}"] = np.array(w["scale"] * w[b])
        params.update({f"{k}_{b}": v for k, v in p.items()})
    return params


def fused_scores(feats: Features, params: dict[str, np.ndarray], classes: Sequence[int],
                 members: Sequence[str]) -> np.ndarray:
    """(N, len(classes)) log-scores of a fitted fused head."""
    total = float(params["w_base"]) * _log_softmax(_base(feats, classes)
                                                   / float(params["base_t"]))
    names = [str(b) for b in np.atleast_1d(params["blocks"])]
    for b in names:
        w = float(params[f"w_{b}"])
        if w == 0.0:
            continue  # a block the fit switched off costs nothing at run time
        x = BLOCKS[b](feats, members)
        total = total + w * _block_scores(np.asarray(x, np.float64),
                                          {k: params[f"{k}_{b}"] for k in
                                           ("ref", "means", "var")})
    return total


def describe(params: dict[str, np.ndarray]) -> dict[str, float]:
    """The fitted weights, for the guard's report and the docs."""
    names = [str(b) for b in np.atleast_1d(params["blocks"])]
    return {"base_weight": round(float(params["w_base"]), 4),
            "base_temperature": round(float(params["base_t"]), 3),
            **{f"{b}_weight": round(float(params[f"w_{b}"]), 4) for b in names},
            "fitted": bool(float(params["fitted"]))}
