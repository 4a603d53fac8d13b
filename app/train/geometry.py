"""The geometry member (issue 27, part 4): a small numpy classifier over blendshapes +
normalised landmarks (app/train/geometry_features.py), and its product-rule fusion with the
temperature-calibrated CNNs.

numpy only, so the app could run it without torch: standardised inputs, then either a
multinomial logistic regression (`hidden=0`) or one hidden ReLU layer, trained by Adam on
mini-batches with L2 and optional class-balanced weights (the ship rule counts UAR). Its
temperature is fitted afterwards on held-out faces, as the CNNs' are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.train.temperature import fit_temperature

__all__ = ["GeometryClassifier", "calibrate", "class_weights", "fit_weight", "fit_weights",
           "fused_log_probs", "log_softmax", "train"]


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@dataclass
class GeometryClassifier:
    """Standardised inputs, then a linear layer (2 weight arrays) or one hidden ReLU layer
    (4), logits divided by the fitted temperature."""

    mean: np.ndarray
    std: np.ndarray
    weights: list[np.ndarray]  # W1, b1[, W2, b2]
    temperature: float = 1.0
    meta: dict = field(default_factory=dict)

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = (np.asarray(x, np.float64) - self.mean) / self.std
        w = self.weights
        if len(w) == 4:
            h = np.maximum(h @ w[0] + w[1], 0.0)
            return h @ w[2] + w[3]
        return h @ w[0] + w[1]

    def probs(self, x: np.ndarray) -> np.ndarray:
        return np.exp(log_softmax(self.logits(x) / self.temperature))

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {"mean": self.mean, "std": self.std, "temperature": np.float64(self.temperature)}
        out |= {f"w{i}": w.astype(np.float32) for i, w in enumerate(self.weights)}
        return out

    @classmethod
    def from_arrays(cls, z) -> GeometryClassifier:
        n = sum(1 for k in z if k.startswith("w") and k[1:].isdigit())
        if n not in (2, 4):
            raise ValueError(f"a geometry member has 2 or 4 weight arrays, got {n}")
        return cls(np.asarray(z["mean"], np.float64), np.asarray(z["std"], np.float64),
                   [np.asarray(z[f"w{i}"], np.float64) for i in range(n)],
                   float(z["temperature"]))


def class_weights(labels: np.ndarray, classes: int, power: float) -> np.ndarray:
    """Per-face loss weights ∝ frequency^-power (0: none, 1: fully balanced), mean 1."""
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    per_class = np.where(counts > 0, np.maximum(counts, 1.0) ** -power, 0.0)
    w = per_class[labels]
    return w / w.mean()


def train(x: np.ndarray, y: np.ndarray, classes: int = 7, hidden: int = 0, l2: float = 1e-4,
          epochs: int = 30, lr: float = 3e-3, balance: float = 0.5, batch: int = 256,
          seed: int = 0) -> GeometryClassifier:
    """Fit the classifier (cross-entropy, Adam, L2 on the weight matrices)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.int64)
    mean, std = x.mean(0), x.std(0) + 1e-6
    xs = (x - mean) / std
    d = xs.shape[1]
    if hidden:
        params = [rng.normal(0, np.sqrt(2.0 / d), (d, hidden)), np.zeros(hidden),
                  rng.normal(0, np.sqrt(1.0 / hidden), (hidden, classes)), np.zeros(classes)]
    else:
        params = [np.zeros((d, classes)), np.zeros(classes)]
    sw = class_weights(y, classes, balance)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            idx = order[start:start + batch]
            grads = _grads(params, xs[idx], y[idx], sw[idx], classes, l2)
            step += 1
            for p, g, mi, vi in zip(params, grads, m, v, strict=True):
                mi *= 0.9
                mi += 0.1 * g
                vi *= 0.999
                vi += 0.001 * g * g
                p -= lr * (mi / (1 - 0.9 ** step)) / (np.sqrt(vi / (1 - 0.999 ** step)) + 1e-8)
    return GeometryClassifier(mean, std, params,
                              meta={"hidden": hidden, "l2": l2, "epochs": epochs,
                                    "balance": balance, "lr": lr, "seed": seed})


def _grads(params, xb, yb, wb, classes, l2):
    onehot = np.eye(classes)[yb]
    if len(params) == 4:
        pre = xb @ params[0] + params[1]
        h = np.maximum(pre, 0.0)
        logits = h @ params[2] + params[3]
    else:
        h, logits = xb, xb @ params[0] + params[1]
    p = np.exp(log_softmax(logits))
    dlog = (p - onehot) * wb[:, None] / len(yb)
    if len(params) == 4:
        gw2 = h.T @ dlog + l2 * params[2]
        dh = (dlog @ params[2].T) * (pre > 0)
        return [xb.T @ dh + l2 * params[0], dh.sum(0), gw2, dlog.sum(0)]
    return [xb.T @ dlog + l2 * params[0], dlog.sum(0)]


def calibrate(model: GeometryClassifier, x: np.ndarray, y: np.ndarray) -> GeometryClassifier:
    """The same classifier with its temperature fitted on held-out faces (x, y)."""
    model.temperature = fit_temperature(model.logits(x), y)
    return model


def fused_log_probs(cnn_probs: np.ndarray, geo_probs: np.ndarray, weight: float,
                    cnn_weight: float = 1.0) -> np.ndarray:
    """Product rule: the calibrated CNN pair's fused probabilities to the power
    `cnn_weight` times the geometry member's to the power `weight`, normalised (as logs)."""
    z = cnn_weight * np.log(np.clip(cnn_probs, 1e-12, None)) \
        + weight * np.log(np.clip(geo_probs, 1e-12, None))
    return log_softmax(z)


def fit_weights(cnn_probs: np.ndarray, geo_probs: np.ndarray, labels: np.ndarray,
                grid: np.ndarray | None = None, cnn_grid: np.ndarray | None = None
                ) -> tuple[float, float, list[tuple[float, float, float]]]:
    """Both exponents of the product (the pair's, the member's) that minimise the mean
    negative log-likelihood on validation faces, and the whole surface
    [(cnn_weight, weight, nll)]. The pair's exponent matters: the product of two members
    counts shared evidence twice, so the pair alone may be overconfident; with its exponent
    fixed at 1 the member can only add confidence, never correct it."""
    grid = np.round(np.arange(0.0, 2.0001, 0.05), 2) if grid is None else grid
    cnn_grid = np.round(np.arange(0.1, 1.5001, 0.05), 2) if cnn_grid is None else cnn_grid
    rows = np.arange(len(labels))
    surface = [(float(a), float(w),
                float(-fused_log_probs(cnn_probs, geo_probs, w, a)[rows, labels].mean()))
               for a in cnn_grid for w in grid]
    best = min(surface, key=lambda c: c[2])
    return best[0], best[1], surface


def fit_weight(cnn_probs: np.ndarray, geo_probs: np.ndarray, labels: np.ndarray,
               grid: np.ndarray | None = None) -> tuple[float, list[tuple[float, float]]]:
    """The member's exponent alone (the pair's fixed at 1) by NLL; also [(weight, nll)]."""
    a, w, surface = fit_weights(cnn_probs, geo_probs, labels, grid, np.array([1.0]))
    return w, [(w_, n) for _, w_, n in surface]
