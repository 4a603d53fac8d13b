"""Webcam-like corruptions and test-time views, for the robustness and TTA evaluations.

Each corruption maps a uint8 face (gray or RGB) to a degraded copy of the same size, with a
fixed severity so the figures repeat: Gaussian blur (sigma 1.5 px at 48 px), sensor noise
(Gaussian, sigma 12 grey levels, seeded), low light (brightness x 0.35 and gamma 1.6, the
under-exposed webcam), JPEG quality 15, and a small face (downscaled to 24 or 32 px and
back up, what a face 24-32 px tall in the frame carries). Views for test-time augmentation:
the face, its mirror image, and four corner crops plus a centre crop of 90 % of the side
(each resized back), the classic ten-crop scheme reduced to what two cores can afford.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def _blur(im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = 1.5 * im.shape[0] / 48
    return cv2.GaussianBlur(im, (0, 0), sigma)


def _noise(im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(im.astype(np.float32) + rng.normal(0, 12, im.shape), 0, 255).astype(np.uint8)


def _low_light(im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = (im.astype(np.float32) / 255.0) ** 1.6 * 0.35
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _jpeg(im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 15])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def _small(side: int) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    def down_up(im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        h, w = im.shape[:2]
        low = cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA)
        return cv2.resize(low, (w, h), interpolation=cv2.INTER_LINEAR)
    return down_up


CORRUPTIONS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "blur": _blur, "noise": _noise, "low-light": _low_light, "jpeg": _jpeg,
    "face-32px": _small(32), "face-24px": _small(24),
}


def corrupt(images, kind: str, seed: int = 0) -> list[np.ndarray]:
    """Every image with one corruption (seeded, so repeated runs give the same pixels)."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose one of {', '.join(CORRUPTIONS)}")
    rng = np.random.default_rng(seed)
    return [CORRUPTIONS[kind](np.asarray(im), rng) for im in images]


TTA_MODES = ("none", "flip", "flip+crops")


def crops(im: np.ndarray, frac: float = 0.9) -> list[np.ndarray]:
    """Centre and four corner crops of `frac` of the side, resized back to the side."""
    h, w = im.shape[:2]
    ch, cw = int(round(h * frac)), int(round(w * frac))
    offsets = [((h - ch) // 2, (w - cw) // 2), (0, 0), (0, w - cw), (h - ch, 0),
               (h - ch, w - cw)]
    return [cv2.resize(im[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_LINEAR)
            for y, x in offsets]


def views(im: np.ndarray, mode: str) -> list[np.ndarray]:
    """The test-time views of one face under `mode` (their softmax vectors are averaged)."""
    if mode == "none":
        return [im]
    if mode == "flip":
        return [im, im[:, ::-1]]
    if mode == "flip+crops":
        return [im, im[:, ::-1]] + crops(im) + [c[:, ::-1] for c in crops(im)]
    raise ValueError(f"unknown TTA mode {mode!r}; choose one of {', '.join(TTA_MODES)}")
