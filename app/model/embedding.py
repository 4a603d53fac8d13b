"""The penultimate embedding of a member: what the classifier's last layer sees.

Every member (CNN_1, CNN_2, the residual one) is `features` then a `classifier` Sequential
whose last module is the dense layer to the seven logits; the input of that layer is the
embedding the triplet and centre losses shape and that personal profiles can be fitted on.
"""

from __future__ import annotations

import torch
from torch import nn


def logits_and_embedding(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor,
                                                                      torch.Tensor]:
    """(logits, penultimate embedding) in one forward pass; equals `model(x)` for logits."""
    head = getattr(model, "classifier", None)
    if not isinstance(head, nn.Sequential) or not hasattr(model, "features"):
        raise TypeError(f"{type(model).__name__} has no features + classifier Sequential; "
                        "cannot take its penultimate embedding")
    emb = head[:-1](model.features(x))
    return head[-1](emb), emb
