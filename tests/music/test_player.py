"""Players: the VLC backend plays a generated WAV headless; the null backend stands in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.music.library import Track
from app.music.player import (
    MISSING_VLC,
    NullPlayer,
    PlayerUnavailable,
    make_player,
    vlc_instance,
)
from app.music.synth import render, write_wav

DUMMY = ("--aout=dummy", "--no-video", "--quiet")


def vlc_or_skip():
    try:
        vlc_instance(DUMMY)
    except PlayerUnavailable as exc:
        pytest.skip(f"libvlc is not installed ({exc}); run scripts/setup.sh as root or "
                    "apt-get install libvlc5 vlc-plugin-base")


def wait_for(predicate, timeout: float = 5.0):
    """Poll until predicate() is truthy; returns its value (None on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    return None


@pytest.fixture
def tracks(tmp_path) -> list[Track]:
    return [Track(write_wav(tmp_path / f"{e}.wav", render(e, seconds=s)), e)
            for e, s in (("happy", 6.0), ("sad", 1.5))]


def test_vlc_plays_pauses_nexts_sets_volume_and_ends(tracks):
    vlc_or_skip()
    player, message = make_player(DUMMY, backend="vlc")
    assert message is None and player.name == "vlc"
    try:
        player.play(tracks[0])
        assert wait_for(lambda: player.status().state == "playing")
        assert wait_for(lambda: player.status().length_s > 5.0)
        player.pause()
        assert wait_for(lambda: player.status().state == "paused")
        player.resume()
        assert wait_for(lambda: player.status().state == "playing")
        player.set_volume(35)
        assert player.status().volume == 35
        player.set_volume(250)
        assert player.status().volume == 100
        player.play(tracks[1])  # "next": a new track replaces the current one
        # "playing" includes VLC's Opening state, before the length is known (a race on a
        # loaded machine): wait for the length too
        status = wait_for(lambda: (s := player.status()).track == tracks[1]
                          and s.state == "playing" and s.length_s > 0 and s)
        assert status and 1.0 < status.length_s < 2.0
        player.chime(tracks[1].path)  # mixes over the music, leaves its state alone
        assert player.status().track == tracks[1]
        assert wait_for(player.take_event, timeout=6.0) == "ended"
        assert player.take_event() is None  # reported once
    finally:
        player.close()


def test_vlc_reports_unplayable_file(tmp_path):
    vlc_or_skip()
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really a wave file" * 10)
    player, _ = make_player(DUMMY, backend="vlc")
    try:
        player.play(Track(bad, "sad"))
        assert wait_for(player.take_event, timeout=5.0) in {"error", "ended"}
    finally:
        player.close()


def test_null_backend_keeps_state_and_simulates_end(tracks):
    player, message = make_player(backend="null")
    assert isinstance(player, NullPlayer) and message is None
    player.play(tracks[0])
    player.pause()
    assert player.status().state == "paused"
    player.resume()
    player.set_volume(-5)
    assert (player.status().state, player.status().volume) == ("playing", 0)
    player.finish()
    assert player.take_event() == "ended" and player.take_event() is None
    assert [c for c, _ in player.calls] == ["play", "pause", "resume"]


def test_missing_libvlc_falls_back_with_install_message(monkeypatch):
    import app.music.player as mod

    def broken(options):
        raise PlayerUnavailable(MISSING_VLC)

    monkeypatch.setattr(mod, "vlc_instance", broken)
    player, message = mod.make_player()
    assert isinstance(player, NullPlayer)
    assert "libvlc5 vlc-plugin-base" in message and player.message == message
    with pytest.raises(PlayerUnavailable):
        mod.make_player(backend="vlc")


def test_instance_is_shared():
    vlc_or_skip()
    assert vlc_instance(DUMMY) is vlc_instance(DUMMY)


def test_track_path_is_kept(tracks):
    assert isinstance(tracks[0].path, Path) and tracks[0].path.is_file()
