"""The int8 calibration faces: FER+ Train by default (the draw is unchanged), or a training mix."""

import numpy as np
import pytest

import app.train.datasets as datasets
from app.train.faceset import DatasetError, FaceSet
from app.train.onnx_export import calibration_faces


def fake_set(value: int, n: int) -> FaceSet:
    images = np.full((n, 8, 8), value, dtype=np.uint8) + np.arange(n, dtype=np.uint8)[:, None,
                                                                                        None]
    return FaceSet(images=images, labels=np.zeros(n, dtype=np.int64), name=str(value))


@pytest.fixture
def fake_sources(monkeypatch):
    sizes = {"ferplus": (0, 40), "rafdb": (100, 20), "imfdb": (200, 40)}
    asked = []

    def load_faces(kind, root=None, split=None, **kw):
        asked.append((kind, split))
        return fake_set(*sizes[kind])

    monkeypatch.setattr(datasets, "load_faces", load_faces)
    return asked


def test_default_is_ferplus_train_with_the_previous_draw(fake_sources):
    faces = calibration_faces(10, seed=0)
    expected = np.random.default_rng(0).choice(40, 10, replace=False)
    assert fake_sources == [("ferplus", "Train")]
    assert [int(f[0, 0]) for f in faces] == [int(i) for i in expected]


def test_a_mix_draws_from_every_source_and_only_training_splits(fake_sources):
    faces = calibration_faces(60, seed=1, sources="ferplus+rafdb+imfdb")
    assert fake_sources == [("ferplus", "Train"), ("rafdb", "train"), ("imfdb", "train")]
    origin = [int(f[0, 0]) // 100 for f in faces]
    assert len(faces) == 60 and set(origin) == {0, 1, 2}


@pytest.mark.parametrize("sources", ["ferplus+nope", "ferplus+ferplus"])
def test_unknown_or_repeated_sources_are_refused(fake_sources, sources):
    with pytest.raises(DatasetError):
        calibration_faces(10, sources=sources)
