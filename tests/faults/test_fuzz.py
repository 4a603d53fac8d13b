"""Issue #17, fuzzing (hypothesis): the settings parser, the settings file, the dataset
readers, the scripted-video reader, playlists and the music probe never fail with anything
but their own clear error, whatever they are fed. Derandomised, so CI runs are repeatable."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import AppConfig, config_from_dict, config_to_dict, load_config
from app.settings_rules import check_value

pytestmark = pytest.mark.faults
FUZZ = settings(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
SECTIONS = [k for k in config_to_dict(AppConfig())]
KEYS = {s: list(config_to_dict(AppConfig())[s]) for s in SECTIONS}


@st.composite
def settings_dicts(draw):
    """Mostly real section and key names (so values reach the checks), some strangers."""
    out = {}
    for section in draw(st.lists(st.sampled_from(SECTIONS + ["zzz"]), max_size=5)):
        keys = KEYS.get(section, ["x"]) + ["unknown"]
        out[section] = draw(st.one_of(values, st.dictionaries(st.sampled_from(keys), values,
                                                              max_size=6)))
    return out


@FUZZ
@given(settings_dicts())
def test_settings_parser_never_raises_and_keeps_every_rule(data):
    config, problems = config_from_dict(data)
    for section, table in config_to_dict(config).items():
        for key, value in table.items():
            value = tuple(value) if isinstance(value, list) else value
            assert check_value(f"{section}.{key}", value) is None, (section, key, value)
            if isinstance(value, float):
                assert math.isfinite(value)
    assert all(isinstance(p, str) and p for p in problems)


@FUZZ
@given(st.binary(max_size=400))
def test_any_settings_file_loads(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "settings.toml"
    path.write_bytes(data)
    loaded = load_config(path)
    assert isinstance(loaded.config, AppConfig)


@FUZZ
@given(st.one_of(values, st.fixed_dictionaries(
    {"fps": scalars, "segments": st.lists(st.dictionaries(
        st.sampled_from(["start_s", "end_s", "emotion"]), scalars), max_size=4)})))
def test_scripted_video_reader_accepts_or_says_why(data):
    from app.capture.facevideo import VideoScript

    try:
        script = VideoScript.from_dict(data)
    except ValueError as exc:
        assert str(exc)
        return
    assert script.fps > 0 and script.segments
    assert all(s.end_s > s.start_s for s in script.segments)


@FUZZ
@given(st.binary(max_size=300))
def test_image_decoder_never_raises(data):
    from app.train.faceset import decode_image

    image = decode_image(data)
    assert image is None or (image.dtype == np.uint8 and image.ndim in (2, 3))


@FUZZ
@given(st.lists(st.lists(st.integers(0, 10), min_size=10, max_size=10), min_size=1,
                max_size=20))
def test_ferplus_vote_rows_give_valid_targets(rows):
    from app.train.datasets import ferplus_targets

    keep, labels, soft = ferplus_targets(np.array(rows))
    assert ((labels >= 0) & (labels < 7)).all()
    assert np.allclose(soft[keep].sum(axis=1), 1.0)


@FUZZ
@given(st.lists(st.lists(st.text(alphabet="0123456789.,abc -", max_size=6), max_size=13),
                max_size=6))
def test_ferplus_label_file_is_read_or_refused_clearly(tmp_path_factory, rows):
    import csv
    import io

    import cv2

    from app.train.datasets import read_ferplus
    from app.train.faceset import DatasetError

    root = tmp_path_factory.mktemp("ferplus")
    folder = root / "FER2013Valid"
    folder.mkdir()
    cv2.imwrite(str(folder / "fer0.png"), np.zeros((48, 48), np.uint8))
    text = io.StringIO()
    csv.writer(text).writerows([["fer0.png", "(0, 0, 48, 48)", *r[:10]] if r else r
                                for r in rows])
    (folder / "label.csv").write_text(text.getvalue())
    try:
        faces = read_ferplus(root, "Valid")
    except DatasetError as exc:
        assert str(root) in str(exc)
        return
    assert len(faces.labels) >= 1


@FUZZ
@given(st.text(max_size=30))
def test_ck_file_names(name):
    from app.train.datasets import ck_subject
    from app.train.faceset import DatasetError

    try:
        subject = ck_subject(name)
    except DatasetError:
        return
    assert subject.startswith("S") and subject[1:].isdigit()


@FUZZ
@given(st.text(max_size=300))
def test_playlist_files_never_raise(tmp_path_factory, text):
    from app.music.library import read_m3u

    path = tmp_path_factory.mktemp("m3u") / "happy.m3u"
    path.write_bytes(text.encode("utf-8", "replace"))
    problems: list[str] = []
    tracks = read_m3u(path, "happy", problems)
    assert all(t.path.is_file() for t in tracks)


@FUZZ
@given(st.binary(max_size=64), st.sampled_from([".mp3", ".wav", ".ogg", ".flac", ".m4a",
                                                ".wma"]))
def test_music_probe_never_raises(tmp_path_factory, data, suffix):
    from app.music.probe import probe_header

    path = tmp_path_factory.mktemp("probe") / f"t{suffix}"
    path.write_bytes(data)
    verdict = probe_header(path)
    assert verdict is None or isinstance(verdict, str)
