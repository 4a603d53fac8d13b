"""Confidence that means something: expected calibration error and temperature scaling.

A member's softmax is calibrated when, of the faces it scores 0.8, about 80 % are right.
The expected calibration error (ECE) bins faces by their top probability (15 equal-width
bins) and averages |accuracy - confidence| weighted by the bin's share. Temperature
scaling (Guo et al., 2017) divides the logits by one number T fitted on validation data
(FER+ Valid, never a test set) to minimise the negative log-likelihood; the arg-max of a
single member does not change, only how sure it says it is. The fit here is a
golden-section search over log T on the member's logits for the app's views (the face and,
with the test-time flip, its mirror image, whose softmax vectors are averaged after scaling
exactly as `app.model.predictor.softmax_scores` does).
"""

from __future__ import annotations

import math

import numpy as np

ECE_BINS = 15


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error of the top-1 probability (0 = perfectly calibrated)."""
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    if len(probs) == 0:
        raise ValueError("ECE needs at least one prediction")
    conf = probs.max(1)
    right = probs.argmax(1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.mean() * abs(right[sel].mean() - conf[sel].mean())
    return float(total)


def scaled_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of logits / T, averaged over views: logits (N, V, C) or (N, C)."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim == 2:
        z = z[:, None, :]
    z = z / temperature
    z = z - z.max(axis=2, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=2, keepdims=True)
    return p.mean(axis=1)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, low: float = 0.05,
                    high: float = 20.0, iters: int = 60) -> float:
    """The T in [low, high] minimising the NLL of `scaled_probs(logits, T)` on `labels`."""
    labels = np.asarray(labels, dtype=np.int64)
    a, b = math.log(low), math.log(high)
    ratio = (math.sqrt(5) - 1) / 2

    def cost(log_t: float) -> float:
        return nll(scaled_probs(logits, math.exp(log_t)), labels)

    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = cost(c), cost(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = cost(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = cost(d)
    return float(math.exp((a + b) / 2))


def set_temperature(src, dst, temperature: float):
    """Copy a checkpoint with its fitted temperature recorded (the Predictor applies it)."""
    import torch

    from app.model.checkpoint import read_checkpoint

    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    payload = read_checkpoint(src)
    payload["temperature"] = float(temperature)
    torch.save(payload, dst)
    return dst
