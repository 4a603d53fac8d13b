"""The paper's Algorithm 1 augmentation, offline (18x) or on the fly.

Algorithm 1 of Umer et al. turns each face into 18: the original plus 17 variants. The
paper names the operations but not their parameters; ours are below, chosen so a 48x48
face stays recognisable. Each variant is a named function `(image, rng) -> image` that
keeps shape and dtype (uint8 gray H x W or RGB H x W x 3) and draws its random parameters
from the given numpy Generator, so a seed reproduces it.

1 bilateral filter, 2 unsharp mask, 3-11 sharpening with nine masks, 12 rotation (5-15
degrees either way), 13 scaling (x and y stretched differently, 0.85-1.15), 14 shearing
(0.1-0.25), 15 zooming (in, 1.1-1.3), 16 filling (a 6-15 % shift, the uncovered border
filled from the nearest pixels), 17 horizontal flip.

On-the-fly modes (`augment_batch`): "none", "flip", "flip-affine" (flip + small random
rotation/scale/shift: cheap and what most FER recipes use), "algorithm1" (one of the 18
variants drawn uniformly per face, then a random flip), "mixed" (flip-affine, then with
probability 0.5 one of Algorithm 1's eleven filters), "strong" (wider flip-affine, a
lighting change — contrast, brightness, gamma —, one of the eleven filters a third of the
time and a random erased patch half the time: for faces from a webcam rather than a
photo archive, and regularisation for long runs), "webcam" ("strong", and half the time
one webcam degradation before the erased patch: Gaussian blur of sigma 0.4-2.0 px at
48 px, sensor noise of sigma 3-15 grey levels, JPEG quality 10-60, or a face shrunk to
18-40 px and back up. The severities are drawn from ranges, so the fixed severities of the
robustness evaluation, `app.train.robust`, are one point among many rather than the
target).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]
_BORDER = cv2.BORDER_REPLICATE

SHARPEN_MASKS: tuple[np.ndarray, ...] = tuple(np.array(k, dtype=np.float32) for k in (
    [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    [[-1, -1, -1], [-1, 9, -1], [-1, -1, -1]],
    [[1, -2, 1], [-2, 5, -2], [1, -2, 1]],
    [[0, -0.5, 0], [-0.5, 3, -0.5], [0, -0.5, 0]],
    [[-0.5, -0.5, -0.5], [-0.5, 5, -0.5], [-0.5, -0.5, -0.5]],
    [[-1, 0, -1], [0, 5, 0], [-1, 0, -1]],
    [[0, 0, 0], [-1, 3, -1], [0, 0, 0]],
    [[0, -1, 0], [0, 3, 0], [0, -1, 0]],
    (np.array([[-1, -1, -1, -1, -1], [-1, 2, 2, 2, -1], [-1, 2, 8, 2, -1],
               [-1, 2, 2, 2, -1], [-1, -1, -1, -1, -1]]) / 8.0).tolist(),
))


def _warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.warpAffine(image, matrix.astype(np.float32), (w, h),
                          flags=cv2.INTER_LINEAR, borderMode=_BORDER)


def _about_centre(image: np.ndarray, linear: np.ndarray, shift=(0.0, 0.0)) -> np.ndarray:
    """Apply a 2x2 linear map about the image centre, then a shift in pixels."""
    h, w = image.shape[:2]
    c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    offset = c - linear @ c + np.asarray(shift)
    return _warp(image, np.hstack([linear, offset[:, None]]))


def _signed(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi) * rng.choice((-1.0, 1.0)))


def bilateral(image, rng):
    d = int(rng.choice((5, 7)))
    return cv2.bilateralFilter(image, d, float(rng.uniform(40, 80)), float(rng.uniform(40, 80)))


def unsharp(image, rng):
    sigma = float(rng.uniform(1.0, 2.0))
    amount = float(rng.uniform(0.8, 1.5))
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    return cv2.addWeighted(image, 1.0 + amount, blurred, -amount, 0)


def _sharpen_with(mask: np.ndarray) -> Transform:
    def sharpen(image, rng):
        return cv2.filter2D(image, -1, mask, borderType=_BORDER)
    return sharpen


def rotation(image, rng):
    angle = np.deg2rad(_signed(rng, 5.0, 15.0))
    c, s = np.cos(angle), np.sin(angle)
    return _about_centre(image, np.array([[c, -s], [s, c]]))


def scaling(image, rng):
    sx, sy = rng.uniform(0.85, 1.15, size=2)
    if abs(sx - sy) < 0.05:
        sy = sx + 0.08 if sx < 1.0 else sx - 0.08
    return _about_centre(image, np.diag([sx, sy]))


def shearing(image, rng):
    k = _signed(rng, 0.1, 0.25)
    return _about_centre(image, np.array([[1.0, k], [0.0, 1.0]]))


def zooming(image, rng):
    z = float(rng.uniform(1.1, 1.3))
    return _about_centre(image, np.diag([z, z]))


def filling(image, rng):
    h, w = image.shape[:2]
    shift = (_signed(rng, 0.06, 0.15) * w, _signed(rng, 0.06, 0.15) * h)
    return _about_centre(image, np.eye(2), shift)


def horizontal_flip(image, rng):
    return np.ascontiguousarray(image[:, ::-1])


ALGORITHM1: dict[str, Transform] = {"bilateral": bilateral, "unsharp": unsharp}
ALGORITHM1.update({f"sharpen_{i + 1}": _sharpen_with(m) for i, m in enumerate(SHARPEN_MASKS)})
ALGORITHM1.update({"rotation": rotation, "scaling": scaling, "shearing": shearing,
                   "zooming": zooming, "filling": filling, "horizontal_flip": horizontal_flip})
FILTERS = tuple(n for n in ALGORITHM1 if n == "bilateral" or n == "unsharp"
                or n.startswith("sharpen_"))
from app.train.config import MODES  # noqa: E402  (names live with the run config)


def expand_offline(images, labels, seed: int = 0):
    """The paper's 18x expansion: every image, then each of the 17 variants of it.

    Returns (images, labels, variant names) with 18 * N rows; image i's variants follow it.
    """
    rng = np.random.default_rng(seed)
    out, out_labels, names = [], [], []
    for image, label in zip(images, labels, strict=True):
        out.append(image)
        out_labels.append(label)
        names.append("original")
        for name, fn in ALGORITHM1.items():
            out.append(fn(image, rng))
            out_labels.append(label)
            names.append(name)
    stacked = np.stack(out) if all(o.shape == out[0].shape for o in out) else out
    return stacked, np.asarray(out_labels), names


def _random_flip_affine(image: np.ndarray, rng: np.random.Generator, degrees: float,
                        scale: float, shift: float) -> np.ndarray:
    """Flip half the time, then rotate within +-degrees, scale within 1 +- scale and shift
    within +-shift of the side, about the centre."""
    if rng.random() < 0.5:
        image = image[:, ::-1]
    angle = np.deg2rad(rng.uniform(-degrees, degrees))
    k = rng.uniform(1.0 - scale, 1.0 + scale)
    c, s = np.cos(angle) * k, np.sin(angle) * k
    h, w = image.shape[:2]
    offset = rng.uniform(-shift, shift, size=2) * (w, h)
    return _about_centre(np.ascontiguousarray(image), np.array([[c, -s], [s, c]]), offset)


def flip_affine(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random flip, rotation within 10 degrees, scale 0.9-1.1 and shift within 8 %."""
    return _random_flip_affine(image, rng, 10.0, 0.1, 0.08)


def lighting(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Contrast 0.7-1.3 about the mean, brightness within 12 %, gamma 0.7-1.4."""
    x = image.astype(np.float32) / 255.0
    x = (x - x.mean()) * rng.uniform(0.7, 1.3) + x.mean() + rng.uniform(-0.12, 0.12)
    x = np.clip(x, 0.0, 1.0) ** rng.uniform(0.7, 1.4)
    return (x * 255.0 + 0.5).astype(np.uint8)


def erase(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random erasing: a rectangle of 2-20 % of the face filled with noise."""
    h, w = image.shape[:2]
    area = rng.uniform(0.02, 0.2) * h * w
    aspect = np.exp(rng.uniform(np.log(0.3), np.log(3.3)))
    eh = int(min(h, max(2, round(np.sqrt(area * aspect)))))
    ew = int(min(w, max(2, round(np.sqrt(area / aspect)))))
    y, x = int(rng.integers(0, h - eh + 1)), int(rng.integers(0, w - ew + 1))
    out = image.copy()
    out[y:y + eh, x:x + ew] = rng.integers(0, 256, out[y:y + eh, x:x + ew].shape,
                                           dtype=np.uint8)
    return out


def strong(image: np.ndarray, rng: np.random.Generator, webcam_p: float = 0.0) -> np.ndarray:
    """Flip, rotation within 15 degrees, scale 0.85-1.15, shift within 10 %, then a
    lighting change, a filter a third of the time, with probability `webcam_p` one webcam
    degradation (`degrade`), and an erased patch half the time. With `webcam_p` 0 no draw
    is made for the degradation, so "strong" draws exactly what it always drew."""
    image = lighting(_random_flip_affine(image, rng, 15.0, 0.15, 0.1), rng)
    if rng.random() < 1 / 3:
        image = ALGORITHM1[FILTERS[int(rng.integers(0, len(FILTERS)))]](image, rng)
    if webcam_p > 0 and rng.random() < webcam_p:
        image = degrade(image, rng)
    return erase(image, rng) if rng.random() < 0.5 else image


def degrade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One webcam degradation at a random severity: blur, noise, JPEG or a small face."""
    pick = int(rng.integers(0, 4))
    h, w = image.shape[:2]
    if pick == 0:
        return cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 2.0) * h / 48)
    if pick == 1:
        noisy = image.astype(np.float32) + rng.normal(0, rng.uniform(3, 15), image.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8)
    if pick == 2:
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image),
                               [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(10, 61))])
        if not ok:
            raise RuntimeError("JPEG encoding failed while augmenting")
        return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED).reshape(image.shape)
    side = int(rng.integers(18, 41))
    low = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
    return cv2.resize(low, (w, h), interpolation=cv2.INTER_LINEAR)


def augment_one(image: np.ndarray, mode: str, rng: np.random.Generator) -> np.ndarray:
    """One randomly augmented copy of `image` under an on-the-fly mode (see MODES)."""
    if mode == "none":
        return image
    if mode == "flip":
        return np.ascontiguousarray(image[:, ::-1]) if rng.random() < 0.5 else image
    if mode == "flip-affine":
        return flip_affine(image, rng)
    if mode == "algorithm1":
        pick = int(rng.integers(0, len(ALGORITHM1) + 1))
        if pick < len(ALGORITHM1):
            image = list(ALGORITHM1.values())[pick](image, rng)
        return np.ascontiguousarray(image[:, ::-1]) if rng.random() < 0.5 else image
    if mode == "mixed":
        image = flip_affine(image, rng)
        if rng.random() < 0.5:
            image = ALGORITHM1[FILTERS[int(rng.integers(0, len(FILTERS)))]](image, rng)
        return image
    if mode == "strong":
        return strong(image, rng)
    if mode == "webcam":
        return strong(image, rng, webcam_p=0.5)
    raise ValueError(f"unknown augmentation mode {mode!r}; choose one of {', '.join(MODES)}")


def augment_batch(images, mode: str, rng: np.random.Generator):
    """Augment each image of a batch independently; same container type out as in."""
    if mode not in MODES:
        raise ValueError(f"unknown augmentation mode {mode!r}; choose one of {', '.join(MODES)}")
    out = [augment_one(im, mode, rng) for im in images]
    return np.stack(out) if isinstance(images, np.ndarray) else out
