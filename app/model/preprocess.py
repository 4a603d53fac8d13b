"""Turn N x N RGB face crops into the tensor a member model was trained on.

Training and the live app call the same function, so both see the same pixels: a bilinear
resize to the model's input size when the crop size differs, the colour mode of the
checkpoint (grayscale replicated to three channels for models trained on gray datasets, or
RGB), scaling to [0, 1] and the checkpoint's mean/std normalisation. A crop that is not
square (SFEW's 143 x 181 aligned faces; the live app's crops always are) is first padded
to a square with its edge pixels, so the face keeps its proportions: squashing it to N x N
instead cost the shipped members 2 points on SFEW 2.0 Train (product 45.4 % padded, 43.3 %
squashed, 42.7 % centre-cropped; measured on Train, never on Val).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np


def prepare_image(image: np.ndarray, size: int, color: str = "gray") -> np.ndarray:
    """uint8 H x W x 3 (RGB) or H x W (gray) -> uint8 size x size x 3 in the model's colours."""
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    elif image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H x W, H x W x 3 or H x W x 4 image, got {image.shape}")
    h, w = image.shape[:2]
    if h != w:
        side = max(h, w)
        image = cv2.copyMakeBorder(image, (side - h) // 2, side - h - (side - h) // 2,
                                   (side - w) // 2, side - w - (side - w) // 2,
                                   cv2.BORDER_REPLICATE)
    if image.shape[0] != size or image.shape[1] != size:
        interp = cv2.INTER_AREA if image.shape[0] > size else cv2.INTER_LINEAR
        image = cv2.resize(image, (size, size), interpolation=interp)
    if color == "gray":
        gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
        image = np.repeat(gray[:, :, None], 3, axis=2)
    elif color != "rgb":
        raise ValueError(f"unknown colour mode {color!r} (gray or rgb)")
    return np.ascontiguousarray(image, dtype=np.uint8)


def to_array(images: Sequence[np.ndarray], size: int,
             preprocess: dict[str, Any]) -> np.ndarray:
    """A float32 N x 3 x size x size batch (numpy), normalised as the checkpoint says: what
    the ONNX runtime is fed, and what `to_tensor` wraps for torch (the same numbers)."""
    color = preprocess.get("color", "gray")
    batch = np.stack([prepare_image(im, size, color) for im in images])
    array = batch.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255.0)
    mean = np.float32(preprocess.get("mean", 0.5))
    std = np.float32(preprocess.get("std", 0.5))
    return np.ascontiguousarray((array - mean) / std)
