"""Classification metrics and the confusion matrix, as plain data (no drawing here).

`ConfusionMatrix` holds counts (rows = true class, columns = predicted) and derives
accuracy, macro-F1, UAR (unweighted average recall, the mean of per-class recalls) and
per-class precision/recall from them. Classes absent from the true labels are left out of
the macro averages, so a six-class test set (CK+) is not penalised for "neutral".
`app.train.report` renders it to PNG; the UI panels render the same object. It lives
outside `app.train` because the runtime (the guided check, profiles, the window) uses it
and the runtime never imports research code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.labels import EMOTIONS


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts[i, j] = faces of true class i predicted as class j."""

    counts: np.ndarray
    labels: tuple[str, ...] = field(default=EMOTIONS)

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts)
        k = len(self.labels)
        if counts.shape != (k, k):
            raise ValueError(f"confusion counts must be {k} x {k}, got {counts.shape}")
        if np.any(counts < 0):
            raise ValueError("confusion counts must be non-negative")

    @classmethod
    def from_predictions(cls, y_true, y_pred, labels: tuple[str, ...] = EMOTIONS
                         ) -> ConfusionMatrix:
        y_true = np.asarray(y_true, dtype=np.int64)
        y_pred = np.asarray(y_pred, dtype=np.int64)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{y_true.shape} true labels vs {y_pred.shape} predictions")
        k = len(labels)
        counts = np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
        return cls(counts=counts, labels=labels)

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def present(self) -> np.ndarray:
        """Classes that occur among the true labels."""
        return self.counts.sum(axis=1) > 0

    def recall(self) -> np.ndarray:
        support = self.counts.sum(axis=1)
        return np.divide(np.diag(self.counts), support, out=np.zeros(len(support)),
                         where=support > 0)

    def precision(self) -> np.ndarray:
        predicted = self.counts.sum(axis=0)
        return np.divide(np.diag(self.counts), predicted, out=np.zeros(len(predicted)),
                         where=predicted > 0)

    def f1(self) -> np.ndarray:
        p, r = self.precision(), self.recall()
        return np.divide(2 * p * r, p + r, out=np.zeros(len(p)), where=(p + r) > 0)

    def accuracy(self) -> float:
        return float(np.trace(self.counts) / self.n) if self.n else 0.0

    def uar(self) -> float:
        return float(self.recall()[self.present].mean()) if self.present.any() else 0.0

    def macro_f1(self) -> float:
        return float(self.f1()[self.present].mean()) if self.present.any() else 0.0

    def normalized(self) -> np.ndarray:
        """Row-normalised (each true class sums to 1; absent classes stay 0)."""
        rows = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, rows, out=np.zeros(self.counts.shape), where=rows > 0)

    def per_class(self) -> dict[str, dict[str, float | int]]:
        p, r, f = self.precision(), self.recall(), self.f1()
        support = self.counts.sum(axis=1)
        return {name: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                       "f1": round(float(f[i]), 4), "support": int(support[i])}
                for i, name in enumerate(self.labels)}

    def to_dict(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "counts": self.counts.astype(int).tolist()}


def summarize(cm: ConfusionMatrix) -> dict[str, Any]:
    """The metric dict every evaluation reports for one model."""
    return {"n": cm.n, "accuracy": round(cm.accuracy(), 4), "macro_f1": round(cm.macro_f1(), 4),
            "uar": round(cm.uar(), 4), "per_class": cm.per_class(), "confusion": cm.to_dict()}


def evaluate_probs(probs: np.ndarray, y_true: np.ndarray,
                   restrict: np.ndarray | None = None) -> dict[str, Any]:
    """Metrics of arg-max predictions; `restrict` (bool per class) limits the choice.

    Restricting is how a seven-class model is scored on a six-class set (CK+ without
    neutral): the prediction is the most probable class among those the set can contain.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if restrict is not None:
        probs = np.where(np.asarray(restrict, dtype=bool)[None, :], probs, -1.0)
    cm = ConfusionMatrix.from_predictions(y_true, probs.argmax(axis=1))
    return summarize(cm)
