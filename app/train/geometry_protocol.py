"""The geometry member's protocol: train on the mix, select on a seeded part of it, fit the
fusion exponent on validation faces, score the basket with and without it (issue 27, 4).

- Training mix: RAF-DB `train`, ExpW `all`, IMFDB `train` (the 20 hold-out actors are not
  in it), FER+ `Train` (a seeded sample: 48² faces, still meshed); the faces with a mesh.
- Selection: a seeded, class-stratified 10 % of each training set (`split_selection`),
  never trained on: the classifier's settings, its temperature.
- Fusion exponents (the pair's and the member's): fitted by NLL on FER+ `Valid` (the
  shipped pair picked its epochs on it, never trained on it); for a pair that never saw
  the mix (the stage-2 pair) also on that 10 % of RAF-DB, ExpW and IMFDB
  (`--exponents-on-mix`).
- Basket: app/train/basket.py's sets and rule. A face without a mesh keeps the CNN pair's
  answer, as in the app when the landmarker finds no face.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.train.geometry import GeometryClassifier, fused_log_probs
from app.train.geometry_features import features

MIX: tuple[tuple[str, str, int | None], ...] = (
    ("rafdb", "train", None), ("expw", "all", None), ("imfdb", "train", 8000),
    ("ferplus", "Train", 6000))
VALID: tuple[str, str, int | None] = ("ferplus", "Valid", None)
SELECTION_FRACTION = 0.1
SEED = 27


def split_selection(labels: np.ndarray, fraction: float = SELECTION_FRACTION,
                    seed: int = SEED) -> np.ndarray:
    """Boolean mask of a seeded, class-stratified `fraction` of the rows (at least one row
    of every class that has two or more)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        k = int(round(fraction * len(rows)))
        if len(rows) >= 2:
            k = min(max(k, 1), len(rows) - 1)
        mask[rng.choice(rows, k, replace=False)] = True
    return mask


def feature_matrix(cached: dict[str, np.ndarray]) -> np.ndarray:
    """(n, N_FEATURES) from a set's cached blendshapes and points (rows without a mesh are
    zeros; select them out with cached["ok"])."""
    return features(cached["blendshapes"], cached["points"])


def geometry_probs(model: GeometryClassifier, cached: dict[str, np.ndarray],
                   n: int) -> tuple[np.ndarray, np.ndarray]:
    """The member's probabilities for the `n` faces of a set (uniform where the set's cache
    has no mesh or does not cover the face) and the mask of faces it answered."""
    probs = np.full((n, 7), 1.0 / 7.0)
    answered = np.zeros(n, bool)
    rows = cached["index"][cached["ok"]]
    probs[rows] = model.probs(feature_matrix(cached)[cached["ok"]])
    answered[rows] = True
    return probs, answered


def fused(cnn_probs: np.ndarray, geo: np.ndarray, answered: np.ndarray,
          weight: float, cnn_weight: float = 1.0) -> np.ndarray:
    """The CNN pair's probabilities with the member multiplied in where it answered (the
    pair's exponent changes no answer where the member is silent, so it is left there)."""
    out = np.array(cnn_probs, dtype=np.float64)
    out[answered] = np.exp(fused_log_probs(cnn_probs[answered], geo[answered], weight,
                                           cnn_weight))
    return out


def set_scores(probs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    from app.metrics import evaluate_probs

    m = evaluate_probs(probs, labels)
    return {"n": m["n"], "accuracy": m["accuracy"], "uar": m["uar"]}


def basket_rows(cnn: dict[str, np.ndarray], geo: dict[str, tuple[np.ndarray, np.ndarray]],
                labels: dict[str, np.ndarray], weight: float,
                sets: Sequence[str], cnn_weight: float = 1.0) -> tuple[dict, dict, dict]:
    """Scores per basket set: the pair alone, the pair with the member, the member alone
    (on the faces it answered)."""
    pair, with_geo, alone = {}, {}, {}
    for s in sets:
        if s not in cnn:
            continue
        g, answered = geo[s]
        pair[s] = set_scores(cnn[s], labels[s])
        with_geo[s] = set_scores(fused(cnn[s], g, answered, weight, cnn_weight),
                                 labels[s])
        alone[s] = set_scores(g[answered], labels[s][answered]) | {
            "meshed": float(answered.mean())}
    return pair, with_geo, alone
