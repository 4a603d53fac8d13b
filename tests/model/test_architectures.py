import pytest
import torch

from app.labels import NUM_CLASSES
from app.model.checkpoint import build_model
from app.model.params import keras_param_count


@pytest.mark.parametrize(("arch", "expected"), [("cnn1", 476_135), ("cnn2", 19_829_287)])
def test_parameter_totals_match_the_paper_at_96(arch, expected):
    assert keras_param_count(build_model(arch, 96)) == expected


@pytest.mark.parametrize("arch", ["cnn1", "cnn2"])
@pytest.mark.parametrize("size", [48, 64, 96])
def test_forward_gives_seven_logits_per_image(arch, size):
    model = build_model(arch, size).eval()
    with torch.inference_mode():
        out = model(torch.zeros(2, 3, size, size))
    assert out.shape == (2, NUM_CLASSES)


@pytest.mark.parametrize(("arch", "size"), [("cnn1", 16), ("cnn2", 4)])
def test_too_small_input_is_refused(arch, size):
    with pytest.raises(ValueError, match="too small"):
        build_model(arch, size)


def test_cnn1_layer_sequence_is_conv_relu_pool_bn():
    model = build_model("cnn1", 96)
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "BatchNorm2d"] * 5
    assert [m.out_channels for m in model.features if hasattr(m, "out_channels")] == \
        [32, 64, 96, 128, 64]


def test_cnn2_dense_head_widths():
    model = build_model("cnn2", 96)
    widths = [m.out_features for m in model.classifier if hasattr(m, "out_features")]
    assert widths == [1024, 512, 256, 7]
    assert model.classifier[1].in_features == 18_432


def test_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="vgg16"):
        build_model("vgg16", 96)
