"""Algorithm 1: every named variant keeps shape and dtype, changes the image, and is
deterministic under a seed; offline 18x expansion and the on-the-fly modes."""

from __future__ import annotations

import numpy as np
import pytest
from trainhelp import face_image

from app.train.augment import (
    ALGORITHM1,
    MODES,
    augment_batch,
    augment_one,
    degrade,
    erase,
    expand_offline,
    lighting,
)


def test_seventeen_named_variants():
    assert len(ALGORITHM1) == 17
    assert sum(n.startswith("sharpen_") for n in ALGORITHM1) == 9


def _textured(rgb: bool) -> np.ndarray:
    img = face_image(3, 7, 48, rgb=rgb).astype(np.int16)
    yy, xx = np.mgrid[0:48, 0:48]
    ramp = (xx * 2 + yy)[..., None] if rgb else xx * 2 + yy
    return np.clip(img + ramp, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("rgb", [False, True], ids=["gray", "rgb"])
@pytest.mark.parametrize("name", list(ALGORITHM1))
def test_variant_keeps_shape_changes_image_and_is_seeded(name, rgb):
    image = _textured(rgb)
    fn = ALGORITHM1[name]
    a = fn(image.copy(), np.random.default_rng(5))
    b = fn(image.copy(), np.random.default_rng(5))
    assert a.shape == image.shape and a.dtype == np.uint8
    assert not np.array_equal(a, image), f"{name} left the image unchanged"
    np.testing.assert_array_equal(a, b)


def test_offline_expansion_is_18x_with_originals_first():
    images = np.stack([_textured(False), _textured(False)[::-1]])
    out, labels, names = expand_offline(images, np.array([2, 5]), seed=0)
    assert out.shape == (36, 48, 48) and list(labels) == [2] * 18 + [5] * 18
    assert names[0] == "original" and names[1:18] == list(ALGORITHM1)
    np.testing.assert_array_equal(out[18], images[1])


@pytest.mark.parametrize("mode", MODES)
def test_modes_keep_batch_shape_and_are_seeded(mode):
    batch = np.stack([_textured(False) for _ in range(6)])
    a = augment_batch(batch, mode, np.random.default_rng(1))
    b = augment_batch(batch, mode, np.random.default_rng(1))
    assert a.shape == batch.shape and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    if mode != "none":
        assert not np.array_equal(a, batch)


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match="unknown augmentation mode 'wild'"):
        augment_one(_textured(False), "wild", np.random.default_rng(0))


@pytest.mark.parametrize("rgb", [False, True], ids=["gray", "rgb"])
def test_erase_fills_one_rectangle_and_keeps_the_rest(rgb):
    image = _textured(rgb)
    out = erase(image, np.random.default_rng(3))
    changed = np.any(out != image, axis=-1) if rgb else out != image
    ys, xs = np.nonzero(changed)
    assert out.shape == image.shape and out.dtype == np.uint8 and len(ys)
    box = changed[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    assert box.mean() > 0.9  # noise rarely equals the original pixel: one filled box
    assert box.size <= 0.2 * 48 * 48 * 1.2


def test_lighting_keeps_order_of_intensities():
    image = _textured(False)
    out = lighting(image, np.random.default_rng(4))
    assert out.shape == image.shape and out.dtype == np.uint8
    assert not np.array_equal(out, image)
    flat_in, flat_out = image.ravel().astype(int), out.ravel().astype(int)
    brighter = flat_in[:, None] > flat_in[None, :]
    assert not np.any(brighter & (flat_out[:, None] < flat_out[None, :]))  # monotone map


@pytest.mark.parametrize("rgb", [False, True], ids=["gray", "rgb"])
def test_each_webcam_degradation_keeps_shape_and_loses_detail(rgb):
    image = _textured(rgb)
    picks = set()
    for seed in range(24):
        out = degrade(image, np.random.default_rng(seed))
        assert out.shape == image.shape and out.dtype == np.uint8
        assert not np.array_equal(out, image)
        picks.add(int(np.random.default_rng(seed).integers(0, 4)))
        assert np.array_equal(out, degrade(image, np.random.default_rng(seed)))  # seeded
    assert picks == {0, 1, 2, 3}  # blur, noise, JPEG and small face were all drawn
