import numpy as np
import pytest

from app.labels import INDEX
from app.profiles.heads import fit_head
from app.profiles.profile import (
    GestureBinding,
    Profile,
    ProfileError,
    check_weights,
    load_profile,
    save_profile,
)
from app.profiles.store import ProfileStore

HASHES = {"cnn1": "a" * 64, "cnn2": "b" * 64}


def _profile(make_features, name="Ana", images=None):
    labels = np.repeat([INDEX["neutral"], INDEX["happy"]], 5)
    feats = make_features(labels)
    head = fit_head("linear", feats, labels, "subset", 1.0)
    return Profile(name, head, dict(HASHES),
                   (GestureBinding("happy", "next", 0.6, 0.8),
                    GestureBinding("neutral", "lock", 0.9, 2.0)),
                   calibration={"labels": labels}, images=images), feats


def test_save_load_round_trip_gives_the_same_answers(tmp_path, make_features):
    profile, feats = _profile(make_features)
    path = save_profile(profile, tmp_path / "p.emoprofile.npz")
    back = load_profile(path)
    assert (back.name, back.weights, back.gestures) == (profile.name, HASHES, profile.gestures)
    np.testing.assert_allclose(back.head.log_probs(feats), profile.head.log_probs(feats))
    assert back.images is None
    assert [p.name for p in tmp_path.iterdir()] == ["p.emoprofile.npz"]  # no temp left


def test_face_images_are_kept_only_when_given(tmp_path, make_features):
    faces = np.zeros((2, 8, 8, 3), np.uint8)
    profile, _ = _profile(make_features, images=faces)
    back = load_profile(save_profile(profile, tmp_path / "p.emoprofile.npz"))
    assert back.images.shape == faces.shape


def test_store_rename_export_import_remove(tmp_path, make_features):
    store = ProfileStore(tmp_path / "profiles")
    profile, _ = _profile(make_features)
    store.save(profile)
    assert store.names() == ["Ana"]
    store.rename("Ana", "Ana at work")
    assert store.names() == ["Ana at work"]
    exported = store.export("Ana at work", tmp_path)
    store.remove("Ana at work")
    assert store.names() == []
    assert store.import_file(exported).name == "Ana at work"
    assert store.resolve("Ana at work") == store.path_for("Ana at work")
    assert store.resolve(str(exported)) == exported
    with pytest.raises(ProfileError, match="exists"):
        store.import_file(exported)
    with pytest.raises(ProfileError, match="no profile 'Bob'"):
        store.resolve("Bob")


@pytest.mark.parametrize("loaded,ok", [
    (HASHES, True),
    ({"cnn1": "a" * 64, "cnn2": "c" * 64}, False),
    ({"cnn1": "a" * 64}, False),
])
def test_profile_on_other_weights_is_refused(make_features, loaded, ok):
    profile, _ = _profile(make_features)
    if ok:
        check_weights(profile, loaded)
    else:
        with pytest.raises(ProfileError, match="fitted on other model weights"):
            check_weights(profile, loaded)


@pytest.mark.parametrize("content,message", [
    (b"not a zip", "damaged or not a profile"),
])
def test_damaged_files_are_refused(tmp_path, content, message):
    path = tmp_path / "x.emoprofile.npz"
    path.write_bytes(content)
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


def test_other_version_is_refused(tmp_path):
    np.savez(tmp_path / "v.npz", meta=np.array('{"format": "emotune-profile", "version": 9}'))
    with pytest.raises(ProfileError, match="version 9"):
        load_profile(tmp_path / "v.npz")


@pytest.mark.parametrize("kwargs", [dict(emotion="joy", action="next"),
                                    dict(emotion="happy", action="explode"),
                                    dict(emotion="happy", action="next", threshold=1.5)])
def test_bad_gestures_are_refused(kwargs):
    with pytest.raises(ProfileError):
        GestureBinding(**kwargs)


FACE = {"neutral": {"brows_up": 0.4}, "thresholds": {"brows_up": 0.2},
        "peaks": {"brows_up": 0.5}, "warnings": []}


@pytest.mark.parametrize(("stored", "expect"), [
    (FACE, FACE),  # the face-gesture calibration travels in the same file
    ({}, {}),  # a profile without one (every earlier file) loads as before
])
def test_face_gesture_calibration_round_trip(tmp_path, make_features, stored, expect):
    import dataclasses

    profile, _ = _profile(make_features)
    profile = dataclasses.replace(profile, face_gestures=stored)
    assert load_profile(save_profile(profile, tmp_path / "p.emoprofile.npz")).face_gestures \
        == expect


def test_damaged_face_gesture_calibration_is_refused(tmp_path, make_features):
    import dataclasses

    profile, _ = _profile(make_features)
    bad = dataclasses.replace(profile, face_gestures={"thresholds": {"smile": "high"}})
    path = save_profile(bad, tmp_path / "p.emoprofile.npz")
    with pytest.raises(ProfileError, match="face-gesture calibration"):
        load_profile(path)
