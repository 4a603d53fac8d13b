"""CNN_1 of the deep-fusion paper (Umer et al., Table 1).

Five blocks of Conv3x3 (32, 64, 96, 128, 64 filters, 'same' padding) + ReLU, MaxPool 2x2 and
BatchNorm, in that order; then Dense 256 + Dropout, Dense 256 + Dropout and Dense 7. The
input is a 3-channel N x N image. At N = 96 the model holds 476,135 numbers when BatchNorm's
running mean and variance are counted, as Keras (and so the paper) counts them.
"""

from __future__ import annotations

from torch import nn

from app.labels import NUM_CLASSES

CONV_WIDTHS: tuple[int, ...] = (32, 64, 96, 128, 64)
DENSE_WIDTHS: tuple[int, ...] = (256, 256)


def feature_side(input_size: int, pools: int) -> int:
    """Side of the feature map after `pools` 2x2 max-pools (floor, as Keras 'valid' pooling)."""
    side = input_size
    for _ in range(pools):
        side //= 2
    if side < 1:
        raise ValueError(f"input size {input_size} is too small for {pools} pooling steps")
    return side


class CNN1(nn.Module):
    """The paper's lighter network; `forward` returns logits (softmax is applied by callers)."""

    arch = "cnn1"

    def __init__(
        self,
        input_size: int = 96,
        in_channels: int = 3,
        num_classes: int = NUM_CLASSES,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        layers: list[nn.Module] = []
        prev = in_channels
        for width in CONV_WIDTHS:
            layers += [
                nn.Conv2d(prev, width, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
                nn.BatchNorm2d(width),
            ]
            prev = width
        self.features = nn.Sequential(*layers)
        side = feature_side(input_size, len(CONV_WIDTHS))
        flat = prev * side * side
        head: list[nn.Module] = [nn.Flatten()]
        for width in DENSE_WIDTHS:
            head += [nn.Linear(flat, width), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            flat = width
        head.append(nn.Linear(flat, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x):  # noqa: D102 - nn.Module contract
        return self.classifier(self.features(x))
