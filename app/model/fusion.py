"""Score-level fusion of member models' softmax outputs (numpy only).

The paper fuses CNN_1 and CNN_2 by the product rule, and reports the sum rule beside it.
Both take any number of members and optional weights. The product rule is computed in log
space: seven small probabilities multiplied over several members would underflow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RULES = ("product", "sum")
_EPS = 1e-12


def _stack(probs: Sequence[np.ndarray], weights: Sequence[float] | None) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    if len(probs) == 0:
        raise ValueError("fusion needs at least one member's probabilities")
    arr = np.stack([np.asarray(p, dtype=np.float64) for p in probs])  # (M, ..., C)
    if weights is None:
        w = np.ones(len(probs), dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(probs),):
            raise ValueError(f"got {len(w)} weights for {len(probs)} members")
        if np.any(w < 0) or not np.any(w > 0):
            raise ValueError(f"weights must be non-negative and not all zero, got {list(w)}")
    if np.any(arr < 0):
        raise ValueError("probabilities must be non-negative")
    return arr, w


def sum_rule(probs: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """Weighted mean of the members' probabilities (last axis = classes), renormalised."""
    arr, w = _stack(probs, weights)
    fused = np.tensordot(w / w.sum(), arr, axes=1)
    return fused / fused.sum(axis=-1, keepdims=True)


def product_rule(probs: Sequence[np.ndarray],
                 weights: Sequence[float] | None = None) -> np.ndarray:
    """prod_m p_m ** w_m over members (weights default to 1), normalised; via log-sum-exp."""
    arr, w = _stack(probs, weights)
    logs = np.log(np.clip(arr, _EPS, None))
    fused_log = np.tensordot(w, logs, axes=1)
    fused_log -= fused_log.max(axis=-1, keepdims=True)
    out = np.exp(fused_log)
    return out / out.sum(axis=-1, keepdims=True)


def fuse(rule: str, probs: Sequence[np.ndarray],
         weights: Sequence[float] | None = None) -> np.ndarray:
    """Fuse by rule name: 'product' or 'sum'."""
    if rule == "product":
        return product_rule(probs, weights)
    if rule == "sum":
        return sum_rule(probs, weights)
    raise ValueError(f"unknown fusion rule {rule!r}; choose one of {', '.join(RULES)}")
