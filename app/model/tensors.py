"""`preprocess.to_array` as a torch tensor, for training and the torch backend.

Kept apart from `app.model.preprocess` so the app's runtime reads its pixels without torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from app.model.preprocess import to_array


def to_tensor(images: Sequence[np.ndarray], size: int,
              preprocess: dict[str, Any]) -> torch.Tensor:
    """A float32 N x 3 x size x size batch, normalised as the checkpoint says."""
    return torch.from_numpy(to_array(images, size, preprocess))


__all__ = ["to_tensor"]
