"""Library: playlists from folders and M3U files; bad entries skipped and reported."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from app.music.library import Track, load_library, resolve_root
from app.music.synth import MOODS, piece_name, render, write_wav


def touch_audio(path: Path, size: int = 64) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    return path


def test_folders_with_synonyms_and_formats(tmp_path):
    touch_audio(tmp_path / "Happiness" / "b.mp3")
    touch_audio(tmp_path / "Happiness" / "a.ogg")
    touch_audio(tmp_path / "Happiness" / "sub" / "c.FLAC")
    touch_audio(tmp_path / "Happiness" / "cover.jpg")
    touch_audio(tmp_path / "sad" / "empty.wav", size=0)
    touch_audio(tmp_path / "sad" / "ok.wav")
    (tmp_path / "sad" / ".hidden.wav").write_bytes(b"x")
    lib = load_library(tmp_path)
    assert [t.path.name for t in lib.tracks("happy")] == ["a.ogg", "b.mp3", "c.FLAC"]
    assert [t.path.name for t in lib.tracks("sad")] == ["ok.wav"]
    assert lib.emotions == ("happy", "sad")
    text = "\n".join(lib.problems)
    assert "cover.jpg skipped" in text and "empty.wav skipped (empty file)" in text
    assert "no playlist for angry, disgust, fear, neutral, surprise" in text


def test_m3u_relative_absolute_url_missing(tmp_path):
    music = tmp_path / "files"
    a = touch_audio(music / "a.mp3")
    touch_audio(music / "b b.wav")
    (tmp_path / "joy.m3u8").write_text(
        "#EXTM3U\n#EXTINF:1,A\nfiles/a.mp3\n\n"
        f"file://{(music / 'b%20b.wav').as_posix()}\n"
        "files/gone.mp3\nhttp://radio.example/stream\nfiles/notes.txt\n", encoding="utf-8")
    (tmp_path / "calm.m3u").write_text(f"{a}\n", encoding="utf-8")
    lib = load_library(tmp_path)
    assert [t.path.name for t in lib.tracks("happy")] == ["a.mp3", "b b.wav"]
    assert [t.path for t in lib.tracks("neutral")] == [a]
    text = "\n".join(lib.problems)
    assert "joy.m3u8 line 6" in text and "gone.mp3" in text
    assert "only local files" in text and "notes.txt skipped" in text
    assert "files ignored: its name is not an emotion" in text


def test_folder_and_m3u_for_same_emotion_merge(tmp_path):
    touch_audio(tmp_path / "sad" / "x.wav")
    y = touch_audio(tmp_path / "elsewhere" / "y.wav")
    (tmp_path / "sadness.m3u").write_text(str(y), encoding="utf-8")
    lib = load_library(tmp_path)
    assert [t.path.name for t in lib.tracks("sad")] == ["x.wav", "y.wav"]


def test_emotion_with_only_bad_files_is_reported_not_kept(tmp_path):
    touch_audio(tmp_path / "fear" / "broken.wav", size=0)
    lib = load_library(tmp_path)
    assert "fear" not in lib.playlists
    assert any("no playable music for fear" in p for p in lib.problems)


def test_missing_root_is_a_problem_not_a_crash(tmp_path):
    lib = load_library(tmp_path / "nope")
    assert lib.playlists == {} and "does not exist" in lib.problems[0]


@pytest.mark.parametrize("configured, expected_tail", [("", "resources/music"),
                                                       ("~/Music/emo", "Music/emo")])
def test_resolve_root(configured, expected_tail):
    assert resolve_root(configured).as_posix().endswith(expected_tail)


def test_track_title_and_validation(tmp_path):
    assert Track(tmp_path / "my_song.mp3", "happy").title == "my song"
    with pytest.raises(ValueError, match="unknown emotion"):
        Track(tmp_path / "x.mp3", "joyful")


@pytest.mark.parametrize("emotion", sorted(MOODS))
def test_demo_piece_is_a_valid_wav(tmp_path, emotion):
    path = write_wav(tmp_path / piece_name(emotion, 0), render(emotion, seconds=2.0))
    with wave.open(str(path)) as fh:
        assert (fh.getnchannels(), fh.getsampwidth()) == (1, 2)
        assert fh.getnframes() == 2 * fh.getframerate()
    assert load_library(tmp_path).problems  # not under an emotion folder: reported
