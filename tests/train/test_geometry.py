"""The geometry member (issue 27, part 4): features, classifier, selection split, fusion
exponent — on tiny synthetic features — and the landmarker on a few real CK+ faces."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from app.records import BLENDSHAPE_NAMES, NUM_LANDMARKS
from app.train import geometry as geo
from app.train import geometry_protocol as gp
from app.train.geometry_features import (
    N_FEATURES,
    POINTS,
    crop_box,
    features,
    normalise_landmarks,
    sample_index,
)
from app.vision.landmarks import LEFT_EYE_OUTER, RIGHT_EYE_OUTER

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def _mesh(seed: int = 0) -> np.ndarray:
    pts = np.random.default_rng(seed).uniform(-1, 1, (NUM_LANDMARKS, 3))
    pts[RIGHT_EYE_OUTER, :2] = (-0.5, -0.2)
    pts[LEFT_EYE_OUTER, :2] = (0.5, -0.2)
    return pts


def _moved(pts: np.ndarray, dx: float, dy: float, scale: float, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    out = pts.copy()
    out[:, :2] = (pts[:, :2] @ rot.T) * scale + (dx, dy)
    return out


@pytest.mark.parametrize("dx, dy, scale, degrees", [
    (0, 0, 1, 0), (120, 40, 1, 0), (0, 0, 3.5, 0), (0, 0, 1, 25), (300, -7, 0.2, -40)])
def test_normalised_landmarks_forget_position_scale_and_roll(dx, dy, scale, degrees):
    base = normalise_landmarks(_mesh())
    got = normalise_landmarks(_moved(_mesh(), dx, dy, scale, degrees))
    assert got.shape == (len(POINTS), 2)
    np.testing.assert_allclose(got, base, atol=1e-9)


def test_normalised_eye_corners_sit_at_plus_minus_half():
    pts = _moved(_mesh(), 50, 60, 80, 10)
    pts = np.vstack([pts])  # the corners are in POINTS: find them there
    out = normalise_landmarks(pts)
    where = {int(p): i for i, p in enumerate(POINTS)}
    np.testing.assert_allclose(out[where[RIGHT_EYE_OUTER]], (-0.5, 0), atol=1e-9)
    np.testing.assert_allclose(out[where[LEFT_EYE_OUTER]], (0.5, 0), atol=1e-9)


def test_coincident_eye_corners_are_refused():
    pts = _mesh()
    pts[LEFT_EYE_OUTER] = pts[RIGHT_EYE_OUTER]
    with pytest.raises(ValueError, match="eye corners"):
        normalise_landmarks(pts)


def test_feature_vector_is_blendshapes_then_points():
    b = np.arange(len(BLENDSHAPE_NAMES), dtype=np.float32) / 100
    p = normalise_landmarks(_mesh())
    f = features(b, p)
    assert f.shape == (N_FEATURES,)
    np.testing.assert_allclose(f[:len(b)], b)
    np.testing.assert_allclose(f[len(b):], p.reshape(-1), rtol=1e-6)


@pytest.mark.parametrize("h, w, margin, box", [
    (64, 64, 0.12, (6, 6, 52, 52)), (48, 48, 0.12, (5, 5, 39, 39)),
    (64, 64, 0.0, (0, 0, 64, 64)), (181, 143, 0.12, (14, 33, 115, 115))])
def test_crop_box_undoes_the_app_margin(h, w, margin, box):
    b = crop_box(h, w, margin)
    assert (b.x, b.y, b.w, b.h) == box


@pytest.mark.parametrize("n, limit, size", [(10, None, 10), (10, 20, 10), (100, 7, 7)])
def test_sample_index_is_seeded_sorted_and_unique(n, limit, size):
    a, b = sample_index(n, limit), sample_index(n, limit)
    assert len(a) == size and len(set(a.tolist())) == size
    assert np.array_equal(a, b) and np.all(np.diff(a) > 0)


def test_selection_split_is_stratified_seeded_and_keeps_every_class():
    labels = np.repeat(np.arange(7), [200, 30, 2, 500, 400, 100, 10])
    mask = gp.split_selection(labels)
    assert np.array_equal(mask, gp.split_selection(labels))
    assert not np.array_equal(mask, gp.split_selection(labels, seed=1))
    for c, n in enumerate([200, 30, 2, 500, 400, 100, 10]):
        k = int(mask[labels == c].sum())
        assert 1 <= k < n and abs(k - 0.1 * n) <= 1


def _blobs(n: int, seed: int, classes: int = 3, d: int = 6, spread: float = 0.6):
    rng = np.random.default_rng(seed)
    centres = np.eye(classes, d) * 3
    y = rng.integers(0, classes, n)
    return centres[y] + rng.normal(0, spread, (n, d)), y


@pytest.mark.parametrize("hidden", [0, 16])
def test_classifier_learns_separable_classes_and_round_trips(hidden):
    x, y = _blobs(600, 0)
    model = geo.train(x, y, classes=3, hidden=hidden, epochs=15, lr=1e-2)
    xt, yt = _blobs(300, 1)
    assert (model.probs(xt).argmax(1) == yt).mean() > 0.95
    again = geo.GeometryClassifier.from_arrays(model.to_arrays())
    np.testing.assert_allclose(again.probs(xt), model.probs(xt), atol=1e-5)


def test_wrong_weight_arrays_are_refused():
    arrays = geo.train(*_blobs(60, 0), classes=3, epochs=1).to_arrays()
    arrays["w2"] = arrays["w0"]
    with pytest.raises(ValueError, match="2 or 4 weight arrays"):
        geo.GeometryClassifier.from_arrays(arrays)


@pytest.mark.parametrize("power, expect", [(0.0, (1.0, 1.0)), (1.0, (2.5, 0.625))])
def test_class_weights_balance_by_power(power, expect):
    w = geo.class_weights(np.array([0, 1, 1, 1, 1]), 2, power)
    assert w.mean() == pytest.approx(1.0)
    assert (w[0], w[1]) == pytest.approx(expect)
    if power == 1.0:  # fully balanced: each class weighs the same in all
        assert w[:1].sum() == pytest.approx(w[1:].sum())


def test_temperature_softens_an_overconfident_member():
    x, y = _blobs(400, 0, spread=2.0)
    model = geo.train(x, y, classes=3, epochs=30, lr=3e-2, l2=0.0)
    model.weights = [w * 5 for w in model.weights]  # made overconfident
    xv, yv = _blobs(400, 2, spread=2.0)
    assert geo.calibrate(model, xv, yv).temperature > 2.0


@pytest.mark.parametrize("geo_informative, low, high", [(True, 0.3, 2.0), (False, 0.0, 0.1)])
def test_fusion_exponent_follows_what_the_member_knows(geo_informative, low, high):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, 2000)
    cnn = np.full((2000, 7), 1 / 7) + rng.uniform(0, 0.05, (2000, 7))
    cnn[np.arange(2000), y] += 0.1  # weakly right
    cnn /= cnn.sum(1, keepdims=True)
    target = y if geo_informative else rng.integers(0, 7, 2000)
    g = np.full((2000, 7), 0.05)
    g[np.arange(2000), target] = 0.7
    weight, curve = geo.fit_weight(cnn, g, y)
    assert low <= weight <= high
    assert min(c[1] for c in curve) == dict(curve)[weight]


def test_faces_without_a_mesh_keep_the_pair_answer():
    cnn = np.tile([[0.6, 0.4] + [0.0] * 5], (3, 1))
    g = np.tile([[0.0, 1.0] + [0.0] * 5], (3, 1)) * 0.94 + 0.01
    answered = np.array([True, False, True])
    out = gp.fused(cnn, g, answered, 1.0)
    assert out[1].tolist() == cnn[1].tolist()
    assert out[0].argmax() == 1 and out[2].argmax() == 1


def test_geometry_probs_are_uniform_where_the_cache_has_no_mesh():
    x, y = _blobs(90, 0, classes=7, d=N_FEATURES)
    model = geo.train(x, y, classes=7, epochs=2)
    cached = {"index": np.array([0, 2, 3]), "ok": np.array([True, False, True]),
              "blendshapes": x[:3, :len(BLENDSHAPE_NAMES)].astype(np.float32),
              "points": x[:3, len(BLENDSHAPE_NAMES):].reshape(3, -1, 2).astype(np.float32)}
    probs, answered = gp.geometry_probs(model, cached, 5)
    assert answered.tolist() == [True, False, False, True, False]
    np.testing.assert_allclose(probs[[1, 2, 4]], 1 / 7)
    assert not np.allclose(probs[0], 1 / 7)


@pytest.mark.skipif(not (SHARED / "ckplus48.tar.gz").is_file(),
                    reason="../shared/datasets/ckplus48.tar.gz is not beside the project")
def test_real_ckplus_smiles_and_open_jaws_read_as_such():
    from app.paths import landmarker_model_path

    if not landmarker_model_path().is_file():
        pytest.skip(f"{landmarker_model_path()} is absent: run python "
                    "scripts/fetch_landmarker_model.py")
    from app.config import ModelConfig
    from app.train.datasets import load_faces
    from app.train.geometry_features import extract
    from app.vision.landmarks import OpenCVLandmarker

    faces = load_faces("ckplus", SHARED / "ckplus48.tar.gz", "all")
    labels = np.asarray(faces.labels)
    happy, surprise = np.flatnonzero(labels == 3)[:6], np.flatnonzero(labels == 6)[:6]
    got = extract([faces.image(int(i)) for i in (*happy, *surprise)],
                  OpenCVLandmarker(track=False), ModelConfig().crop_margin)
    assert got["ok"].sum() >= 10  # 48-px crops still give a mesh
    names = list(BLENDSHAPE_NAMES)
    smile = got["blendshapes"][:, [names.index("mouthSmileLeft"),
                                   names.index("mouthSmileRight")]].mean(1)
    jaw = got["blendshapes"][:, names.index("jawOpen")]
    ok_h, ok_s = got["ok"][:6], got["ok"][6:]
    assert smile[:6][ok_h].mean() > smile[6:][ok_s].mean() + 0.2
    assert jaw[6:][ok_s].mean() > jaw[:6][ok_h].mean() + 0.1


def test_an_overconfident_pair_is_tempered_before_the_member_counts():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 7, 3000)
    guess = np.where(rng.uniform(size=3000) < 0.6, y, rng.integers(0, 7, 3000))
    cnn = np.full((3000, 7), 1e-4)
    cnn[np.arange(3000), guess] = 1.0  # right 60 % of the time, always sure
    cnn /= cnn.sum(1, keepdims=True)
    g = np.full((3000, 7), 0.08)
    g[np.arange(3000), y] = 0.52  # a modest member that is always right
    fixed, _ = geo.fit_weight(cnn, g, y)
    cnn_w, w, surface = geo.fit_weights(cnn, g, y)
    assert cnn_w < 0.5 and w > 0.5
    nll = {(a, b): n for a, b, n in surface}
    assert nll[(cnn_w, w)] < nll[(1.0, fixed)]


def _onehot(c: int, p: float) -> np.ndarray:
    v = np.full(7, (1 - p) / 6)
    v[c] = p
    return v


@pytest.mark.parametrize("member, weight, cnn_weight, expect", [
    (_onehot(5, 0.99), 0.0, 1.0, 3),  # exponent 0: the pair alone
    (np.full(7, 1 / 7), 1.0, 1.0, 3),  # an undecided member changes nothing
    (_onehot(5, 0.99), 0.8, 1.0, 5),  # a sure member outvotes a 60 % pair
    (_onehot(5, 0.99), 0.35, 0.45, 5),  # only the ratio of the exponents picks the answer
    (_onehot(3, 0.99), 0.8, 1.0, 3),
])
def test_fused_log_probs_is_the_weighted_product_rule(member, weight, cnn_weight, expect):
    pair = _onehot(3, 0.6)
    out = np.exp(geo.fused_log_probs(pair, member, weight, cnn_weight))
    assert out.sum() == pytest.approx(1.0) and int(out.argmax()) == expect
    expected = pair ** cnn_weight * member ** weight
    np.testing.assert_allclose(out, expected / expected.sum(), rtol=1e-9)
