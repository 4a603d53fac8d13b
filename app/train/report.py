"""Render a `ConfusionMatrix` as a labelled PNG with OpenCV (no Qt, no matplotlib).

Rows are the true classes, columns the predictions; each cell is shaded by the row-
normalised rate (recall on the diagonal) and shows the count and the percentage. The title
carries the model name, the set and the accuracy, so a PNG is understandable on its own.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.metrics import ConfusionMatrix

CELL = 64
LEFT = 110
TOP = 86
BOTTOM = 90
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _shade(rate: float) -> tuple[int, int, int]:
    """White to deep blue (BGR) by rate in [0, 1]."""
    r = float(np.clip(rate, 0.0, 1.0))
    return (255, int(255 - 190 * r), int(255 - 225 * r))


def _centered(img, text: str, cx: int, cy: int, scale: float, color, thick: int = 1) -> None:
    (w, h), _ = cv2.getTextSize(text, FONT, scale, thick)
    cv2.putText(img, text, (cx - w // 2, cy + h // 2), FONT, scale, color, thick, cv2.LINE_AA)


def render_confusion(cm: ConfusionMatrix, title: str = "") -> np.ndarray:
    """A BGR uint8 image of the matrix (rows true, columns predicted)."""
    k = len(cm.labels)
    width, height = LEFT + k * CELL + 20, TOP + k * CELL + BOTTOM
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    rates = cm.normalized()
    for i in range(k):
        for j in range(k):
            x0, y0 = LEFT + j * CELL, TOP + i * CELL
            cv2.rectangle(img, (x0, y0), (x0 + CELL, y0 + CELL), _shade(rates[i, j]), -1)
            cv2.rectangle(img, (x0, y0), (x0 + CELL, y0 + CELL), (200, 200, 200), 1)
            ink = (255, 255, 255) if rates[i, j] > 0.55 else (30, 30, 30)
            _centered(img, str(int(cm.counts[i, j])), x0 + CELL // 2, y0 + CELL // 2 - 9,
                      0.45, ink, 1)
            _centered(img, f"{100 * rates[i, j]:.0f}%", x0 + CELL // 2, y0 + CELL // 2 + 11,
                      0.4, ink, 1)
        _centered(img, cm.labels[i], LEFT // 2, TOP + i * CELL + CELL // 2, 0.45, (0, 0, 0))
    for j, name in enumerate(cm.labels):
        _centered(img, name, LEFT + j * CELL + CELL // 2, TOP + k * CELL + 14, 0.42, (0, 0, 0))
    _centered(img, "predicted", LEFT + k * CELL // 2, TOP + k * CELL + 40, 0.5, (80, 80, 80))
    cv2.putText(img, "true", (8, TOP - 10), FONT, 0.5, (80, 80, 80), 1, cv2.LINE_AA)
    head = title or "confusion matrix"
    cv2.putText(img, head[:60], (10, 26), FONT, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, f"n={cm.n}  accuracy {100 * cm.accuracy():.1f}%  UAR "
                f"{100 * cm.uar():.1f}%  macro-F1 {100 * cm.macro_f1():.1f}%",
                (10, 50), FONT, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
    return img


def save_confusion_png(cm: ConfusionMatrix, path: str | Path, title: str = "") -> Path:
    """Write the rendered matrix to `path` (PNG); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), render_confusion(cm, title)):
        raise OSError(f"could not write {path}")
    return path
