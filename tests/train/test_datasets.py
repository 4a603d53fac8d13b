"""Dataset readers on tiny generated sets: every layout, folders and archives, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from trainhelp import (
    make_archive,
    make_ckplus,
    make_class_folders,
    make_fer2013,
    make_ferplus,
    make_sfew,
)

from app.labels import EMOTIONS, INDEX
from app.train.datasets import (
    ferplus_targets,
    load_faces,
    read_ckplus,
    read_fer2013,
    read_ferplus,
    read_folder,
    read_sfew,
)
from app.train.faceset import DatasetError, load_cached
from app.train.protocols import subject_folds

SYNONYM_FOLDERS = {"angry": "Anger", "disgust": "disgusted", "fear": "Fearful",
                   "happy": "HAPPINESS", "neutral": "calm", "sad": "sadness",
                   "surprise": "Surprised"}


@pytest.mark.parametrize("as_archive", [False, True])
@pytest.mark.parametrize("names", [None, SYNONYM_FOLDERS], ids=["plain", "synonyms"])
def test_class_folders_read_all_classes(tmp_path, as_archive, names):
    root = make_class_folders(tmp_path / "set", per_class=2, names=names)
    src = make_archive(root, tmp_path / "set.tar.gz") if as_archive else root
    faces = read_folder(src)
    assert len(faces) == 14
    assert faces.counts() == {e: 2 for e in EMOTIONS}
    assert faces.images.shape == (14, 48, 48) and faces.images.dtype == np.uint8


def test_class_folders_subset_of_classes_and_rgb(tmp_path):
    root = make_class_folders(tmp_path / "s", per_class=1, rgb=True,
                              names={"happy": "happy", "sad": "sad"})
    faces = read_folder(root)
    assert faces.counts()["happy"] == 1 and faces.counts()["angry"] == 0
    assert faces.images.shape[1:] == (48, 48, 3)


@pytest.mark.parametrize("bad_folder", ["bored", "excited"])
def test_unknown_class_names_are_an_error_listing_found_and_expected(tmp_path, bad_folder):
    root = make_class_folders(tmp_path / "s", per_class=1, names={"happy": "happy"})
    make_class_folders(root, per_class=2, names={"happy": bad_folder})
    with pytest.raises(DatasetError) as err:
        read_folder(root)
    assert f"{bad_folder} (2)" in str(err.value) and "angry" in str(err.value)
    assert len(read_folder(root, skip_unknown=True)) == 1


def test_unreadable_files_are_skipped_and_counted(tmp_path):
    root = make_class_folders(tmp_path / "s", per_class=2, names={"sad": "sad"})
    (root / "sad" / "broken.png").write_bytes(b"\x89PNG garbage")
    faces = read_folder(root)
    assert len(faces) == 2 and faces.skipped == 1
    assert any("unreadable" in n for n in faces.notes)


@pytest.mark.parametrize("setup, message", [
    (lambda p: p.mkdir(), "no images found"),
    (lambda p: (p.mkdir(), (p / "x.txt").write_text("hi")), "no images found"),
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("plain file"), "not an archive"),
])
def test_empty_missing_or_wrong_sources(tmp_path, setup, message):
    path = tmp_path / "data"
    setup(path)
    with pytest.raises(DatasetError, match=message):
        read_folder(path)


def test_damaged_archive_is_an_error(tmp_path):
    bad = tmp_path / "x.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 broken gzip")
    with pytest.raises(DatasetError, match="cannot read the archive"):
        read_folder(bad)


@pytest.mark.parametrize("split, prefix", [("Training", "Training"),
                                           ("PublicTest", "PublicTest"),
                                           ("PrivateTest", "PrivateTest")])
@pytest.mark.parametrize("as_archive", [False, True])
def test_fer2013_split_from_file_name_prefix(tmp_path, split, prefix, as_archive):
    root = make_fer2013(tmp_path / "fer2013")
    src = make_archive(root, tmp_path / "fer.tar.gz") if as_archive else root
    faces = read_fer2013(src, split)
    assert len(faces) == 14
    assert all(f.rsplit("/", 1)[1].startswith(prefix) for f in faces.files)


def test_fer2013_rejects_mixed_up_archive(tmp_path):
    ck = make_archive(make_ckplus(tmp_path / "CK+48"), tmp_path / "ck.tar.gz")
    with pytest.raises(DatasetError, match="no PrivateTest_"):
        read_fer2013(ck, "PrivateTest")
    with pytest.raises(DatasetError, match="no FER2013Test/label.csv"):
        read_ferplus(ck, "Test")


@pytest.mark.parametrize("as_archive", [False, True])
def test_ferplus_majority_soft_and_drops(tmp_path, as_archive):
    root = make_ferplus(tmp_path / "ferplus")
    src = make_archive(root, tmp_path / "fp.tar.gz") if as_archive else root
    faces = read_ferplus(src, "Test")
    assert [EMOTIONS[i] for i in faces.labels] == ["happy", "neutral", "angry", "surprise"]
    np.testing.assert_allclose(faces.soft.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(faces.soft[1, INDEX["neutral"]], 0.6, atol=1e-6)
    np.testing.assert_allclose(faces.soft[1, INDEX["sad"]], 0.4, atol=1e-6)
    assert "2 faces whose majority vote is contempt, unknown or NF" in faces.notes[0]


def test_ferplus_unreadable_image_skipped(tmp_path):
    root = make_ferplus(tmp_path / "ferplus", broken="fer0000000.png")
    faces = read_ferplus(root, "Train")
    assert len(faces) == 3 and faces.skipped == 1


@pytest.mark.parametrize("votes, keep, label", [
    ([0, 10, 0, 0, 0, 0, 0, 0, 0, 0], True, "happy"),
    ([3, 0, 3, 0, 0, 0, 0, 0, 4, 0], False, None),  # unknown wins
    ([4, 0, 0, 0, 0, 0, 0, 4, 0, 0], True, "neutral"),  # tie neutral/contempt -> neutral
    ([0, 0, 0, 0, 0, 0, 2, 0, 0, 0], True, "fear"),
])
def test_ferplus_targets_rows(votes, keep, label):
    k, labels, soft = ferplus_targets(np.array([votes]))
    assert bool(k[0]) is keep
    if keep:
        assert EMOTIONS[labels[0]] == label
        assert soft[0].argmax() == INDEX[label]


def test_ckplus_subjects_and_contempt_left_out(tmp_path):
    faces = read_ckplus(make_ckplus(tmp_path / "CK+48", subjects=4))
    assert len(faces) == 4 * 6 * 2
    assert set(faces.subjects) == {"S100", "S101", "S102", "S103"}
    assert faces.counts()["neutral"] == 0
    assert any("contempt" in n for n in faces.notes)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_subject_folds_never_split_a_subject(k):
    subjects = [f"S{i % 7:03d}" for i in range(70)]
    folds = subject_folds(subjects, k, seed=1)
    assert set(folds) == set(range(k))
    for s in set(subjects):
        assert len({f for f, t in zip(folds, subjects, strict=True) if t == s}) == 1
    np.testing.assert_array_equal(folds, subject_folds(subjects, k, seed=1))


def test_subject_folds_too_few_subjects():
    with pytest.raises(DatasetError, match="2 subjects cannot fill 10"):
        subject_folds(["S1", "S2"], 10)


@pytest.mark.parametrize("split, n", [("Train", 14), ("Val", 14)])
def test_sfew_splits(tmp_path, split, n):
    faces = read_sfew(make_sfew(tmp_path / "sfew2"), split)
    assert len(faces) == n and faces.images.shape[-1] == 3


@pytest.mark.parametrize("kind, split", [("sfew", "Test"), ("ferplus", "Training"),
                                         ("fer2013", "Train"), ("nope", None)])
def test_wrong_kind_or_split(tmp_path, kind, split):
    with pytest.raises(DatasetError):
        load_faces(kind, tmp_path, split)


def test_load_faces_caches_uniform_sets(tmp_path):
    root = make_ferplus(tmp_path / "ferplus")
    first = load_faces("ferplus", root, "Valid")
    again = load_faces("ferplus", root, "Valid")
    np.testing.assert_array_equal(first.images, again.images)
    np.testing.assert_array_equal(first.soft, again.soft)
    assert again.files == first.files
    assert load_cached("nonexistent", "ferplus-Valid") is None
