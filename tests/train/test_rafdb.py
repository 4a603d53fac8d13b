"""RAF-DB's training split: app framing, the seeded class-stratified 10 % held out for selection."""

from pathlib import Path

import pytest

from app.labels import EMOTIONS
from app.train.faceset import DatasetError, Store
from app.train.mix import training_split
from app.train.wild import read_wild, select_rows
from tests.train.test_wild import FakeDetector
from tests.train.trainhelp import face_image, write_image

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def make_rafdb(root: Path, per_class: int = 20) -> Path:
    for c, label in enumerate(EMOTIONS):
        for i in range(per_class):
            write_image(root / "rafdb" / "train" / label / f"train_{c:02d}{i:03d}_aligned.jpg",
                        face_image(c, i, size=80, rgb=True))
    return root / "rafdb"


def test_val_is_a_stratified_tenth_disjoint_from_train(tmp_path):
    store = Store(make_rafdb(tmp_path))
    train, val, every = (select_rows("rafdb", store, s) for s in ("train", "val", "all"))
    assert len(every) == 7 * 20 and len(val) == 7 * 2 and len(train) == 7 * 18
    assert {r["path"] for r in train}.isdisjoint(r["path"] for r in val)
    assert sorted(r["label"] for r in val) == sorted(EMOTIONS * 2)
    # the draw is fixed: the same files every time
    assert [r["path"] for r in val] == [r["path"] for r in select_rows("rafdb", store, "val")]


def test_read_wild_frames_rafdb_through_the_app_cropper(tmp_path):
    faces = read_wild("rafdb", make_rafdb(tmp_path, per_class=10), "val",
                      detector=FakeDetector(None))
    assert len(faces) == 7 and faces.images.shape[1:] == (64, 64)
    assert "7 on the given box" in faces.notes[0]


def test_training_never_takes_the_selection_faces():
    assert training_split("rafdb", None) == "train"
    for split in ("val", "all"):
        with pytest.raises(DatasetError, match="selection"):
            training_split("rafdb", split)


def test_wrong_layout_is_named(tmp_path):
    (tmp_path / "rafdb" / "test").mkdir(parents=True)
    with pytest.raises(DatasetError, match="RAF-DB layout"):
        select_rows("rafdb", Store(tmp_path / "rafdb"), "all")


@pytest.mark.skipif(not (SHARED / "rafdb.tar.gz").is_file(),
                    reason="../shared/datasets/rafdb.tar.gz is not beside the project")
def test_real_rafdb_val_counts():
    store = Store(SHARED / "rafdb.tar.gz")
    val = select_rows("rafdb", store, "val")
    every = select_rows("rafdb", store, "all")
    assert len(every) == 12271
    assert 1200 <= len(val) <= 1250
