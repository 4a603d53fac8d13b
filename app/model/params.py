"""Parameter counts as the paper reports them."""

from __future__ import annotations

from torch import nn


def keras_param_count(module: nn.Module) -> int:
    """Trainable weights plus BatchNorm running mean and variance, as Keras counts them.

    PyTorch keeps the running statistics as buffers; the paper's totals (476,135 for CNN_1
    and 19,829,287 for CNN_2 at 96 x 96) include them. `num_batches_tracked` is not counted.
    """
    params = sum(p.numel() for p in module.parameters())
    stats = sum(b.numel() for name, b in module.named_buffers()
                if name.endswith(("running_mean", "running_var")))
    return params + stats
