"""ExpW / IMFDB readers (app framing, hold-out actors) and the mixed training set."""

import csv
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from app.labels import EMOTIONS
from app.records import FaceBox
from app.train.datasets import load_faces
from app.train.faceset import DatasetError, FaceSet, Store
from app.train.holdout import IMFDB_HOLDOUT_ACTORS, is_holdout_actor
from app.train.losses import per_face_terms
from app.train.mix import mix_sets, parse_sources, parse_terms, training_split
from app.train.wild import CROP_SIZE, iou, read_wild, select_rows
from tests.train.trainhelp import face_image, write_image

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


class FakeDetector:
    """Returns one fixed box per image (or none), like BlazeFace would."""

    def __init__(self, box=None):
        self.box = box
        self.calls = 0

    def detect(self, image, timestamp_ms=None):
        self.calls += 1
        return [] if self.box is None else [FaceBox(*self.box, 0.9)]

    def close(self):
        pass


def make_expw(root: Path, n: int = 4) -> Path:
    rows = [("file", "label", "source_image", "face_id", "box_x", "box_y", "box_w", "box_h",
             "detector_confidence")]
    for i in range(n):
        label = EMOTIONS[i % 7]
        name = f"expw/{label}/photo{i}_0.jpg"
        write_image(root / name, face_image(i % 7, i, size=100, rgb=True))
        rows.append((name, label, f"photo{i}.jpg", "0", "30", "30", "40", "40", "50"))
    with (root / "expw" / "label.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return root / "expw"


def make_imfdb(root: Path, actors=("Seen1", "Seen2", IMFDB_HOLDOUT_ACTORS[0],
                                   IMFDB_HOLDOUT_ACTORS[1])) -> Path:
    rows = [("file", "label", "actor", "movie", "gender", "illumination", "pose", "occlusion",
             "box_w", "box_h")]
    for a, actor in enumerate(actors):
        for j in range(2):
            label = EMOTIONS[(a + j) % 7]
            name = f"imfdb/{actor}/Film/{actor}_{j}.jpg"
            write_image(root / name, face_image((a + j) % 7, a * 10 + j, size=50))
            rows.append((name, label, actor, "Film", "MALE", "GOOD", "FRONTAL", "NONE",
                         "50", "50"))
    with (root / "imfdb" / "labels.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return root / "imfdb"


def test_iou():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)


@pytest.mark.parametrize(("box", "detected", "fallback"), [
    ((28, 28, 44, 44), 4, 0),   # agrees with the labelled box: the detector's box is used
    ((0, 0, 15, 15), 0, 4),     # another face: the labelled box is cropped instead
    (None, 0, 4),               # no face found: the labelled box
])
def test_expw_crops_on_detector_box_or_falls_back(tmp_path, box, detected, fallback):
    root = make_expw(tmp_path)
    faces = read_wild("expw", root, "all", detector=FakeDetector(box))
    assert len(faces) == 4 and faces.images.shape == (4, CROP_SIZE, CROP_SIZE)
    assert faces.images.dtype == np.uint8
    assert faces.notes[0] == (f"framing: {detected} faces cropped on the app's detector box, "
                              f"{fallback} on the given box (no agreeing detection)")
    assert [EMOTIONS[i] for i in faces.labels] == [EMOTIONS[i % 7] for i in range(4)]


def test_expw_reads_archive_and_unpacked_folder_alike(tmp_path):
    folder = make_expw(tmp_path / "src")
    archive = tmp_path / "expw.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(folder, arcname="expw")
    det = (28, 28, 44, 44)
    a = read_wild("expw", archive, "all", detector=FakeDetector(det))
    b = read_wild("expw", folder, "all", detector=FakeDetector(det))
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)


def test_imfdb_train_drops_holdout_actors_and_holdout_keeps_only_them(tmp_path):
    root = make_imfdb(tmp_path)
    train = read_wild("imfdb", root, "train", detector=FakeDetector(None))
    held = read_wild("imfdb", root, "holdout", detector=FakeDetector(None))
    assert set(train.subjects) == {"Seen1", "Seen2"}
    assert set(held.subjects) == set(IMFDB_HOLDOUT_ACTORS[:2])
    assert len(read_wild("imfdb", root, "all", detector=FakeDetector(None))) == 8


def test_imfdb_detects_on_a_padded_copy(tmp_path):
    root = make_imfdb(tmp_path, actors=("Seen1",))
    det = FakeDetector((22, 22, 48, 48))  # the 50 px face sits at (20, 20) after padding
    faces = read_wild("imfdb", root, "train", detector=det)
    assert det.calls == 2 and faces.notes[0].startswith("framing: 2 faces cropped on the app")


def test_split_errors(tmp_path):
    root = make_imfdb(tmp_path)
    with pytest.raises(DatasetError, match="no split 'Test'"):
        read_wild("imfdb", root, "Test")
    with pytest.raises(DatasetError, match="no labels.csv"):
        read_wild("imfdb", make_expw(tmp_path / "e"), "train")


@pytest.mark.parametrize("split", ["holdout", "all"])
def test_training_never_takes_the_holdout_actors(split):
    with pytest.raises(DatasetError, match="hold-out actors"):
        training_split("imfdb", split)
    assert training_split("imfdb", None) == "train"
    assert training_split("ferplus", None) == "Train"


def test_train_command_refuses_imfdb_holdout(tmp_path, capsys):
    from app.__main__ import main

    code = main(["train", "--run-dir", str(tmp_path / "r"), "--data", "imfdb",
                 "--root", str(make_imfdb(tmp_path)), "--train-split", "holdout"])
    assert code == 2 and "hold-out actors" in capsys.readouterr().err


def test_load_faces_caches_wild_sets(tmp_path, monkeypatch):
    root = make_imfdb(tmp_path)
    calls = []
    import app.train.wild as wild

    real = wild.read_wild
    monkeypatch.setattr(wild, "read_wild", lambda *a, **k: calls.append(1) or
                        real(*a, detector=FakeDetector(None), **k))
    first = load_faces("imfdb", root, "train")
    second = load_faces("imfdb", root, "train")
    assert calls == [1] and np.array_equal(first.images, second.images)
    assert second.subjects == first.subjects


@pytest.mark.parametrize(("spec", "ok"), [("ferplus+expw+imfdb", True), ("ferplus", True),
                                          ("ferplus+ferplus", False), ("ferplus+nope", False),
                                          ("", False)])
def test_parse_sources(spec, ok):
    if ok:
        assert parse_sources(spec) == spec.split("+")
    else:
        with pytest.raises(DatasetError):
            parse_sources(spec)


def test_parse_terms():
    kinds = ["ferplus", "expw"]
    assert parse_terms("expw=0.5", kinds, "source-weights", 10) == {"expw": 0.5}
    assert parse_terms("", kinds, "source-weights", 10) == {}
    for bad in ("imfdb=0.5", "expw=x", "expw=-1", "expw"):
        with pytest.raises(DatasetError, match="SOURCE=VALUE"):
            parse_terms(bad, kinds, "source-weights", 10)


def test_mix_sets_resizes_fills_soft_and_carries_terms():
    fer = FaceSet(images=np.zeros((3, 48, 48), np.uint8), labels=np.array([0, 1, 2]),
                  soft=np.full((3, 7), 1 / 7, np.float32), files=("a", "b", "c"))
    wild = FaceSet(images=np.full((2, 64, 64, 3), 200, np.uint8), labels=np.array([3, 4]))
    mix = mix_sets([("ferplus", fer), ("expw", wild)], 48, {"expw": 0.5}, {"expw": 0.2})
    assert mix.images.shape == (5, 48, 48) and mix.name == "ferplus+expw"
    assert np.allclose(mix.soft[:3], 1 / 7) and np.array_equal(mix.soft[3:], np.eye(7)[[3, 4]])
    assert mix.weights.tolist() == [1, 1, 1, 0.5, 0.5]
    assert np.allclose(mix.smoothing, [0, 0, 0, 0.2, 0.2])
    sub = mix.subset([4, 0])
    assert sub.weights.tolist() == [0.5, 1.0] and np.allclose(sub.smoothing, [0.2, 0.0])


def test_per_face_terms():
    faces = FaceSet(images=np.zeros((2, 8, 8), np.uint8), labels=np.array([0, 1]),
                    weights=np.array([1.0, 0.5], np.float32),
                    smoothing=np.array([0.0, 0.7], np.float32))
    y = torch.eye(7)[[0, 1]]
    out, w = per_face_terms(faces, np.array([0, 1]), y, torch.tensor([2.0, 2.0]))
    assert torch.allclose(out[0], y[0])
    assert out[1, 1] == pytest.approx(0.3 + 0.1) and out[1, 0] == pytest.approx(0.1)
    assert w.tolist() == [2.0, 1.0]
    plain = FaceSet(images=np.zeros((1, 8, 8), np.uint8), labels=np.array([0]))
    first = y[:1]
    same, none = per_face_terms(plain, np.array([0]), first, None)
    assert same is first and none is None


def test_real_imfdb_training_split_holds_no_holdout_actor():
    archive = SHARED / "imfdb.tar.gz"
    if not archive.exists():
        pytest.skip(f"IMFDB archive not found at {archive}")
    with tarfile.open(archive) as tf:  # read the labels only, no image decoding
        text = tf.extractfile("imfdb/labels.csv").read().decode()
    rows = list(csv.DictReader(io.StringIO(text)))

    class CsvOnly(Store):
        def names(self):
            return ["imfdb/labels.csv"] + [r["file"] for r in rows]

        def read_text(self, name):
            return text

    store = CsvOnly(archive)
    train = select_rows("imfdb", store, "train")
    held = select_rows("imfdb", store, "holdout")
    assert not any(is_holdout_actor(r["actor"]) for r in train)
    assert {r["actor"] for r in held} == set(IMFDB_HOLDOUT_ACTORS)
    assert len(train) + len(held) == len(rows)
