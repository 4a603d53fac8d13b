"""A small residual member (`--arch resnet`), trained from scratch: the third-member candidate.

Shinde et al. fine-tune an ImageNet ResNet; no pretrained weights can be fetched here, so
this is a ResNet-style network sized for 48-64 px gray faces and two CPU cores: a 3x3 stem
and three stages of two basic blocks (32, 64, 128 channels; stride 2 entering stages 2 and
3), global average pooling and one dense layer. It keeps the members' layout (`features`,
then `classifier` whose last layer maps the penultimate embedding to the seven logits), so
checkpoints, the Predictor, fusion and the embedding losses treat it like CNN_1 and CNN_2.
Any input size >= 32 works (the pooling is global).
"""

from __future__ import annotations

from torch import nn

from app.labels import NUM_CLASSES

STAGES: tuple[int, ...] = (32, 64, 128)


class BasicBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the (projected) input, then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout))
        self.skip = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):  # noqa: D102 - nn.Module contract
        return self.relu(self.body(x) + self.skip(x))


class ResNetSmall(nn.Module):
    """Residual member; `forward` returns logits (softmax is applied by callers)."""

    arch = "resnet"

    def __init__(self, input_size: int = 48, in_channels: int = 3,
                 num_classes: int = NUM_CLASSES, dropout: float = 0.3) -> None:
        super().__init__()
        if input_size < 32:
            raise ValueError(f"input size {input_size} is too small for the residual member")
        self.input_size = input_size
        layers: list[nn.Module] = [nn.Conv2d(in_channels, STAGES[0], 3, padding=1, bias=False),
                                   nn.BatchNorm2d(STAGES[0]), nn.ReLU(inplace=True)]
        prev = STAGES[0]
        for i, width in enumerate(STAGES):
            layers += [BasicBlock(prev, width, 1 if i == 0 else 2), BasicBlock(width, width, 1)]
            prev = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Dropout(dropout), nn.Linear(prev, num_classes))

    def forward(self, x):  # noqa: D102 - nn.Module contract
        return self.classifier(self.features(x))
