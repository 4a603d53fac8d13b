"""Issue #17, problem 1 and "music that cannot fail the window": undecodable files are
found by a probe off the GUI thread and left out (listed), and VLC/ALSA chatter goes to
our log, not the terminal."""

from __future__ import annotations

import threading

import pytest

from app.music.library import load_library
from app.music.probe import LibraryProber, probe_header, probe_library
from tests.faults.audiohelp import play_in_child, wav

pytestmark = pytest.mark.faults


@pytest.fixture
def hostile_library(tmp_path):
    wav(tmp_path / "happy" / "good.wav", 0.5)
    (tmp_path / "happy" / "text.mp3").write_text("this is not music" * 20)
    (tmp_path / "happy" / "half.wav").write_bytes(b"RIFF\x00\x00")
    (tmp_path / "sad").mkdir()
    (tmp_path / "sad" / "fake.flac").write_bytes(b"\x00" * 400)
    return tmp_path


@pytest.mark.parametrize("name,data,ok", [
    # An ID3 tag and no audio frame behind it: left out since issue #25 (frame walk).
    ("a.mp3", b"ID3\x04" + b"\x00" * 40, False), ("a.mp3", b"hello world" * 4, False),
    ("a.mp3", b"ID3\x04" + b"\x00" * 6 + b"\xff\xfb\x90\x64" + b"\x00" * 413, True),
    ("a.ogg", b"OggS" + b"\x00" * 40, True), ("a.flac", b"fLaC" + b"\x00" * 40, True),
    ("a.flac", b"OggS" + b"\x00" * 40, False), ("a.m4a", b"\x00\x00\x00\x20ftypM4A ", True),
    ("a.m4a", b"<html>" * 8, False), ("a.wav", b"RIFF\x00\x00\x00\x00WAVE", False),
])
def test_probe_header(tmp_path, name, data, ok):
    path = tmp_path / name
    path.write_bytes(data)
    assert (probe_header(path) is None) == ok


def test_undecodable_tracks_are_left_out_and_listed(hostile_library):
    library, skipped = probe_library(load_library(hostile_library))
    assert [t.path.name for t in library.tracks("happy")] == ["good.wav"]
    assert "sad" not in library.playlists
    assert {p.name for p, _ in skipped} == {"text.mp3", "half.wav", "fake.flac"}
    assert any("text.mp3 skipped" in p for p in library.problems)
    assert any("no playable music for sad" in p for p in library.problems)


def test_the_prober_runs_on_its_own_thread(hostile_library):
    seen = {}
    done = threading.Event()

    def finished(library, skipped):
        seen["thread"] = threading.current_thread().name
        seen["skipped"] = len(skipped)
        done.set()

    LibraryProber(load_library(hostile_library), finished).start()
    assert done.wait(30)
    assert seen == {"thread": "emotune-music-probe", "skipped": 3}


def test_a_probe_that_raises_skips_the_track_not_the_library(hostile_library):
    def flaky(path):
        if path.name == "good.wav":
            raise RuntimeError("boom")
        return None

    library, skipped = probe_library(load_library(hostile_library), flaky)
    assert "good.wav" in {p.name for p, _ in skipped}
    assert "could not be checked (boom)" in dict((p.name, w) for p, w in skipped)["good.wav"]


def test_vlc_probe_finds_a_misnamed_file(hostile_library):
    vlc = pytest.importorskip("vlc")
    from app.music.player import PlayerUnavailable, vlc_instance
    from app.music.probe import vlc_probe

    try:
        instance = vlc_instance(("--no-video", "--quiet", "--aout=dummy"))
    except PlayerUnavailable:
        pytest.skip("libvlc is not installed")
    assert vlc is not None
    probe = vlc_probe(instance)
    assert probe(hostile_library / "happy" / "good.wav") is None
    assert probe(hostile_library / "happy" / "text.mp3") is not None


def test_vlc_and_alsa_lines_stay_off_the_terminal(tmp_path):
    log = ("import logging; logging.basicConfig(level=logging.DEBUG, "
           f"filename={str(tmp_path / 'log.txt')!r})")
    out = play_in_child(wav(tmp_path / "t.wav", 1.0), 1.0, prelude=log)
    assert "ALSA lib" not in out.stderr and "[0000" not in out.stderr, out.stderr[:500]


def test_the_controller_takes_the_checked_library_from_the_probe_thread(hostile_library):
    from app.config import MusicConfig
    from app.music.controller import MusicController
    from app.music.player import NullPlayer
    from app.music.probe import check_in_background

    controller = MusicController(MusicConfig(ramp_s=0.0), load_library(hostile_library),
                                 NullPlayer())
    assert len(controller.library.tracks("happy")) == 3  # before the check: all three
    check_in_background(controller).join(30)
    assert [t.path.name for t in controller.library.tracks("happy")] == ["good.wav"]
    assert any("text.mp3 skipped" in p for p in controller.snapshot().problems)
    controller.play_pause(t=0.0)
    assert controller.player.status().track.path.name == "good.wav"
