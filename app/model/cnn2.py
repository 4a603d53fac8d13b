"""CNN_2 of the deep-fusion paper (Umer et al., Table 2).

Conv3x3 32, 32, 64, 64, 128, 128 ('same' padding), each followed by BatchNorm and ReLU; a
2x2 MaxPool after each pair, Dropout after the second and third pool; then Dense 1024, 512
and 256, each with ReLU, BatchNorm and Dropout, and Dense 7. At N = 96 the model holds
19,829,287 numbers counting BatchNorm's running statistics (the paper's Keras count); the
first dense layer (18,432 x 1,024) is most of it.
"""

from __future__ import annotations

from torch import nn

from app.labels import NUM_CLASSES
from app.model.cnn1 import feature_side

CONV_PAIRS: tuple[int, ...] = (32, 64, 128)
DENSE_WIDTHS: tuple[int, ...] = (1024, 512, 256)


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class CNN2(nn.Module):
    """The paper's deeper network; `forward` returns logits (softmax is applied by callers)."""

    arch = "cnn2"

    def __init__(
        self,
        input_size: int = 96,
        in_channels: int = 3,
        num_classes: int = NUM_CLASSES,
        conv_dropout: float = 0.25,
        dense_dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        layers: list[nn.Module] = []
        prev = in_channels
        for i, width in enumerate(CONV_PAIRS):
            layers += _conv_bn_relu(prev, width) + _conv_bn_relu(width, width)
            layers.append(nn.MaxPool2d(2))
            if i >= 1:  # the paper drops out after the 2nd and 3rd pool only
                layers.append(nn.Dropout(conv_dropout))
            prev = width
        self.features = nn.Sequential(*layers)
        side = feature_side(input_size, len(CONV_PAIRS))
        flat = prev * side * side
        head: list[nn.Module] = [nn.Flatten()]
        for width in DENSE_WIDTHS:
            head += [
                nn.Linear(flat, width),
                nn.ReLU(inplace=True),
                nn.BatchNorm1d(width),
                nn.Dropout(dense_dropout),
            ]
            flat = width
        head.append(nn.Linear(flat, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x):  # noqa: D102 - nn.Module contract
        return self.classifier(self.features(x))
