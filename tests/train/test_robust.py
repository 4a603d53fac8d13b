"""Corruptions keep shape and dtype, really degrade, and repeat; TTA views."""

import numpy as np
import pytest

from app.train.robust import CORRUPTIONS, TTA_MODES, corrupt, crops, views


def _face(rgb=False):
    rng = np.random.default_rng(0)
    im = rng.integers(0, 255, (48, 48), dtype=np.uint8)
    im[10:20, :] = 250
    return np.stack([im] * 3, axis=2) if rgb else im


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
@pytest.mark.parametrize("rgb", [False, True])
def test_corruption_keeps_shape_changes_pixels_and_repeats(kind, rgb):
    im = _face(rgb)
    out = corrupt([im], kind, seed=3)[0]
    assert out.shape == im.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - im).mean() > 2
    assert np.array_equal(out, corrupt([im], kind, seed=3)[0])


def test_low_light_darkens_and_unknown_kind_is_named():
    im = _face()
    assert corrupt([im], "low-light")[0].mean() < 0.5 * im.mean()
    with pytest.raises(ValueError, match="blur"):
        corrupt([im], "fog")


@pytest.mark.parametrize(("mode", "count"), [("none", 1), ("flip", 2), ("flip+crops", 12)])
def test_views(mode, count):
    im = _face()
    out = views(im, mode)
    assert len(out) == count and all(v.shape == im.shape for v in out)
    assert mode in TTA_MODES
    if mode != "none":
        assert np.array_equal(out[1], im[:, ::-1])


def test_crops_differ():
    cs = crops(_face())
    assert len(cs) == 5 and not np.array_equal(cs[1], cs[4])
