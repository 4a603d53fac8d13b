import numpy as np
import pytest

from app.labels import NUM_CLASSES
from app.model.checkpoint import load_checkpoint
from app.model.fusion import fuse
from app.model.predictor import Predictor, pick_device
from app.model.preprocess import prepare_image


def _faces(n, size=96, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]


@pytest.fixture()
def predictor(tiny_checkpoints):
    return Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1)


def test_batch_gives_members_and_fused(predictor):
    out = predictor.predict_batch(_faces(3))
    assert len(out.predictions) == 3
    assert set(out.timings_ms) == {"cnn1", "cnn2", "fusion"}
    for pred in out.predictions:
        assert set(pred.members) == {"cnn1", "cnn2"}
        assert pred.probs.shape == (NUM_CLASSES,)
        np.testing.assert_allclose(pred.probs, fuse("product", list(pred.members.values())))


def test_batching_gives_the_same_answer_as_one_by_one(predictor):
    faces = _faces(4, seed=3)
    batched = predictor.predict(faces)
    single = [predictor.predict([f])[0] for f in faces]
    for a, b in zip(batched, single, strict=True):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)


def test_sum_rule_and_weights(tiny_checkpoints):
    members = [load_checkpoint(p, name=n) for n, p in tiny_checkpoints.items()]
    pred = Predictor(members, fusion="sum", weights=[1, 3], device="cpu").predict(_faces(1))[0]
    a, b = pred.members["cnn1"], pred.members["cnn2"]
    np.testing.assert_allclose(pred.probs, 0.25 * a + 0.75 * b, atol=1e-9)


def test_empty_batch(predictor):
    assert predictor.predict([]) == []


def test_model_is_in_eval_mode(predictor):
    assert all(not m.module.training for m in predictor.members)
    faces = _faces(2)
    np.testing.assert_allclose(predictor.predict(faces)[0].probs,
                               predictor.predict(faces)[0].probs)  # dropout off


def test_invalid_fusion_rule_is_refused_at_construction(tiny_checkpoints):
    members = [load_checkpoint(p) for p in tiny_checkpoints.values()]
    with pytest.raises(ValueError, match="unknown fusion rule"):
        Predictor(members, fusion="vote", device="cpu")


def test_cuda_request_without_cuda_is_explained(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto").type == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA device"):
        pick_device("cuda")


@pytest.mark.parametrize("shape", [(60, 60), (60, 60, 3), (60, 60, 4), (96, 96, 3)])
def test_prepare_image_accepts_gray_rgb_rgba(shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = prepare_image(image, 48, "gray")
    assert out.shape == (48, 48, 3) and out.dtype == np.uint8
    assert np.array_equal(out[:, :, 0], out[:, :, 2])  # gray replicated


@pytest.mark.parametrize("shape", [(181, 143, 3), (40, 100, 3), (100, 40)])
def test_a_non_square_crop_is_padded_not_squashed(shape):
    """A centred disc stays a disc: the image is padded to a square with its edge pixels."""
    h, w = shape[:2]
    image = np.full(shape, 30, np.uint8)
    r = min(h, w) // 3
    yy, xx = np.mgrid[0:h, 0:w]
    image[(yy - h // 2) ** 2 + (xx - w // 2) ** 2 <= r * r] = 220
    out = prepare_image(image, 64, "rgb")[:, :, 0]
    assert out.shape == (64, 64)
    rows, cols = np.nonzero(out > 125)
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert abs(height - width) <= 1, (height, width)  # squashing would make an ellipse
    assert abs(rows.mean() - 31.5) < 1.5 and abs(cols.mean() - 31.5) < 1.5  # centred
    assert out[0, 0] == 30 and out[-1, -1] == 30  # padding repeats the edge, not black


def test_prepare_image_rgb_keeps_colour():
    image = np.zeros((48, 48, 3), np.uint8)
    image[:, :, 0] = 200
    out = prepare_image(image, 48, "rgb")
    assert out[0, 0].tolist() == [200, 0, 0]
    with pytest.raises(ValueError, match="colour mode"):
        prepare_image(image, 48, "hsv")


def test_flip_averages_each_member_over_the_face_and_its_mirror(tiny_checkpoints):
    plain = Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1)
    flipped = Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1, flip=True)
    faces = _faces(3, seed=5)
    mirrors = [np.ascontiguousarray(f[:, ::-1]) for f in faces]
    direct, mirrored = plain.predict(faces), plain.predict(mirrors)
    both = flipped.predict(faces)
    for d, m, b in zip(direct, mirrored, both, strict=True):
        for name in ("cnn1", "cnn2"):
            np.testing.assert_allclose(b.members[name], (d.members[name] + m.members[name]) / 2,
                                       atol=1e-5)
        np.testing.assert_allclose(b.probs, fuse("product", list(b.members.values())))
        assert not np.allclose(b.members["cnn1"], d.members["cnn1"])  # random faces differ
    # A mirror-symmetric face gives the same answer with or without the flip.
    sym = faces[0].copy()
    sym[:, 48:] = sym[:, :48][:, ::-1]
    np.testing.assert_allclose(flipped.predict([sym])[0].probs, plain.predict([sym])[0].probs,
                               atol=1e-5)
