"""MusicController with the null player: switches, fades, manual wins, gestures, track ends."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from musichelp import states

from app.config import MusicConfig
from app.labels import EMOTIONS
from app.music.controller import MusicController
from app.music.library import Library, Playlist, Track
from app.music.player import NullPlayer
from app.records import GestureEvent

CFG = MusicConfig()


def library(emotions=EMOTIONS, per=3) -> Library:
    lists = {e: Playlist(e, tuple(Track(Path(f"/m/{e}/{i}.wav"), e) for i in range(per)))
             for e in emotions}
    return Library(Path("/m"), lists, ("demo problem",))


def make(cfg=CFG, emotions=EMOTIONS):
    player = NullPlayer()
    return MusicController(cfg, library(emotions), player), player


def feed(ctl, segments, fps=10.0, gestures=None, t0=0.0):
    """Run states through the controller; `gestures` maps frame time -> GestureEvent."""
    actions = []
    for t, s in states(segments, fps):
        g = (gestures or {}).get(round(t, 1))
        actions += ctl.update(s, g, t + t0)
    return actions


def test_first_mood_plays_its_playlist_with_fade_in():
    ctl, player = make()
    actions = feed(ctl, [(2.5, "happy", 0.8)])
    assert [(a.kind, a.playlist) for a in actions] == [("switch", "happy")]
    snap = ctl.snapshot()
    assert snap.state == "playing" and snap.track.path.name == "0.wav"
    assert snap.playlist == "happy" and "happy held" in snap.last_switch.reason
    assert 0 < player.status().volume < CFG.volume  # fading in (ramp 1 s, 0.5 s done)
    feed(ctl, [(1.0, "happy", 0.8)], t0=2.5)
    assert player.status().volume == CFG.volume


def test_switch_fades_out_then_changes_track():
    ctl, player = make()
    feed(ctl, [(12, "neutral", 0.8), (2.5, "sad", 0.8)])  # switch to sad at 14.0
    assert ctl.snapshot().playlist == "sad"
    assert player.status().track.emotion == "neutral"  # still fading out at 14.4
    feed(ctl, [(1.0, "sad", 0.8)], t0=14.5)
    assert player.status().track.emotion == "sad"


def test_flicker_never_switches_the_player():
    ctl, player = make()
    feed(ctl, [(0.5, "happy", 0.9), (0.5, "angry", 0.9)] * 20)
    assert player.calls == [] and ctl.snapshot().playlist is None


def test_manual_pause_is_not_undone_by_a_switch():
    ctl, player = make()
    feed(ctl, [(3, "neutral", 0.8)])
    ctl.play_pause(t=3.0)
    feed(ctl, [(12, "happy", 0.8)], t0=3.0)
    snap = ctl.snapshot()
    assert snap.playlist == "happy" and snap.state == "paused"
    assert player.status().track.emotion == "neutral"
    ctl.play_pause(t=16.0)  # resume starts the new playlist
    assert player.status().track.emotion == "happy" and ctl.snapshot().state == "playing"


def test_lock_and_manual_select_win():
    ctl, player = make()
    feed(ctl, [(3, "neutral", 0.8)])
    ctl.lock(True, t=3.0)
    feed(ctl, [(12, "sad", 0.9)], t0=3.0)
    assert ctl.snapshot().playlist == "neutral" and ctl.snapshot().locked
    ctl.select_playlist("happy", t=15.0)
    feed(ctl, [(12, "sad", 0.9)], t0=16.0)
    assert ctl.snapshot().playlist == "happy"
    assert ctl.snapshot().last_switch.source == "manual"


@pytest.mark.parametrize("action, check", [
    ("next", lambda snap, p: snap.index == 1),
    ("previous", lambda snap, p: snap.index == 2),
    ("play_pause", lambda snap, p: snap.state == "paused"),
    ("lock", lambda snap, p: snap.locked),
    ("volume_up", lambda snap, p: snap.volume == CFG.volume + 10),
    ("volume_down", lambda snap, p: snap.volume == CFG.volume - 10),
])
def test_gesture_actions(action, check):
    ctl, player = make()
    feed(ctl, [(4, "neutral", 0.8)])
    gesture = GestureEvent(action, "surprise", 4.0, 1.0)
    done = feed(ctl, [(0.2, "neutral", 0.8)], gestures={0.0: gesture}, t0=4.0)
    assert done[-1].source == "gesture" and done[-1].reason.startswith("gesture: held surprise")
    assert check(ctl.snapshot(), player)


def test_track_end_goes_on_and_queued_switch_waits_for_it():
    ctl, player = make(dataclasses.replace(CFG, let_track_finish=True))
    feed(ctl, [(3, "neutral", 0.8)])
    player.finish()
    feed(ctl, [(0.1, "neutral", 0.8)], t0=3.0)
    assert ctl.snapshot().index == 1
    done = feed(ctl, [(12, "sad", 0.8)], t0=3.1)
    assert [a.kind for a in done] == ["queue"] and ctl.snapshot().pending == "sad"
    assert player.status().track.emotion == "neutral"
    player.finish()
    done = ctl.tick(16.0)
    assert [(a.kind, a.playlist) for a in done] == [("switch", "sad")]
    assert player.status().track.emotion == "sad"


def test_unplayable_tracks_are_skipped_but_not_forever():
    ctl, player = make()
    feed(ctl, [(3, "neutral", 0.8)])
    for _ in range(5):
        player.finish("error")
        ctl.tick(4.0)
    skips = [a for a in ctl.history if a.kind == "skip"]
    assert len(skips) == 5 and "could not be played" in skips[0].reason
    assert [c for c, _ in player.calls].count("play") == 3  # 1 + 2 retries in a 3-track list


def test_play_pause_with_nothing_loaded_starts_neutral():
    ctl, player = make()
    action = ctl.play_pause(t=0.0)
    assert action.kind == "play" and ctl.snapshot().playlist == "neutral"
    assert player.status().state == "playing"


def test_play_with_empty_library_explains():
    ctl = MusicController(CFG, Library(Path("/none"), {}, ("music folder missing",)),
                          NullPlayer("libvlc was not found"))
    action = ctl.play_pause(t=0.0)
    assert "no music found" in action.reason and "music folder missing" in action.reason
    snap = ctl.snapshot()
    assert snap.message == "libvlc was not found" and snap.backend == "null"


def test_manual_volume_is_clamped_and_applied():
    ctl, player = make()
    ctl.set_volume(130, t=0.0)
    assert ctl.snapshot().volume == 100 and player.status().volume == 100


def test_gesture_chime_is_played_when_configured(tmp_path):
    chime = tmp_path / "chime.wav"
    chime.write_bytes(b"x")
    player = NullPlayer()
    ctl = MusicController(CFG, library(), player, chime=chime)
    feed(ctl, [(0.2, "neutral", 0.8)], gestures={0.0: GestureEvent("next", "surprise", 0.0)})
    assert ("chime", chime) in player.calls


def test_create_controller_from_settings(tmp_path):
    from app.config import AppConfig, GestureConfig
    from app.music.factory import create_controller
    from app.music.synth import render, write_wav

    write_wav(tmp_path / "sad" / "a.wav", render("sad", 1.0))
    config = AppConfig(music=dataclasses.replace(CFG, library_root=str(tmp_path)),
                       gestures=GestureConfig(sound=True))
    ctl = create_controller(config, backend="null")
    snap = ctl.snapshot()
    assert ctl.library.emotions == ("sad",) and snap.backend == "null"
    assert ctl.chime is not None and ctl.chime.name == "gesture-chime.wav"
    assert any("no playlist for" in p for p in snap.problems)
