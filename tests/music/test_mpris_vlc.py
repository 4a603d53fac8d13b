"""The external back-end against a REAL MPRIS player: VLC on a private session bus.

The fixture starts `dbus-daemon` and `vlc -I dummy --control dbus` playing the project's
demo tracks (tests/music/mprishelp.py); the tests drive play/pause/next/volume through
`ExternalMusicController`, read the state back from VLC, check the mood's volume lift
(VLC 3 offers no MPRIS playlists), and kill and restart VLC. The playlist path runs
against a small MPRIS service with playlists on the same bus (mpris_double.py). Skipped,
with what to install, where dbus-daemon, vlc or jeepney is missing.
"""

from __future__ import annotations

import dataclasses

import pytest

pytest.importorskip("jeepney", reason="jeepney (the D-Bus library) is not installed")

from app.config import AppConfig  # noqa: E402
from app.music.external import MprisPlayer  # noqa: E402
from app.music.external_controller import create_external_controller  # noqa: E402
from app.music.external_view import external_lines  # noqa: E402
from app.records import GestureEvent  # noqa: E402
from tests.music.mprishelp import Rig, wait_for  # noqa: E402
from tests.music.musichelp import states  # noqa: E402


@pytest.fixture(scope="module")
def rig():
    rig = Rig()
    yield rig
    rig.close()


def controller_for(rig: Rig, **music):
    base = AppConfig()
    music.setdefault("player", "vlc")
    config = dataclasses.replace(base, music=dataclasses.replace(
        base.music, backend="external", **music))
    return create_external_controller(config, platform="linux", address=rig.bus.address,
                                      poll_s=0.0)


def settled(controller, predicate, timeout: float = 5.0):
    """Tick (each tick polls the player) until predicate(snapshot) holds."""
    def check():
        controller.tick()
        snap = controller.snapshot()
        return snap if predicate(snap) else None
    return wait_for(check, timeout=timeout)


def test_follows_vlc_and_reads_its_track_state_and_volume(rig):
    player = MprisPlayer(wanted="vlc", address=rig.bus.address)
    status = wait_for(lambda: (s := player.refresh()).state == "playing" and s, timeout=10)
    player.close()
    assert status, "VLC never reported Playing"
    assert status.player == "VLC media player"
    assert status.title in rig.titles and status.length_s > 0
    assert {"play_pause", "next", "previous", "volume"} <= status.can
    assert "playlists" not in status.can  # VLC 3's MPRIS exports no Playlists interface
    assert status.volume is not None and status.message is None


def test_play_pause_next_and_volume_through_the_controller_read_back(rig):
    c = controller_for(rig)
    assert settled(c, lambda s: s.state == "playing"), c.snapshot()
    c.play_pause(source="manual")
    assert settled(c, lambda s: s.external.state == "paused"), c.snapshot()
    c.play_pause()
    assert settled(c, lambda s: s.external.state == "playing"), c.snapshot()
    first = c.snapshot().external.title
    action = c.next()
    assert action.kind == "next" and "VLC media player" in action.reason
    assert settled(c, lambda s: s.external.title != first), c.snapshot()
    c.set_volume(30)
    assert settled(c, lambda s: s.external.volume == 30), c.snapshot().external
    c.set_volume(80)
    assert settled(c, lambda s: s.external.volume == 80), c.snapshot().external
    c.close()


def test_a_gesture_drives_vlcs_transport(rig):
    c = controller_for(rig)
    assert settled(c, lambda s: s.external.state == "playing"), c.snapshot()
    _t, state = next(states([(0.1, "neutral", 0.3)]))
    done = c.update(state, GestureEvent("play_pause", "happy", 5.0, held_s=1.0), 5.0)
    assert done[-1].kind == "pause" and done[-1].source == "gesture"
    assert "gesture: held happy" in done[-1].reason
    assert settled(c, lambda s: s.external.state == "paused"), c.snapshot()
    c.update(state, GestureEvent("play_pause", "happy", 9.0, held_s=1.0), 9.0)
    assert settled(c, lambda s: s.external.state == "playing"), c.snapshot()
    c.close()


def test_lift_mode_without_playlists_raises_the_volume_a_step(rig):
    c = controller_for(rig, mode="lift", dwell_s=0.5, cooldown_s=0.0)
    c.set_volume(50)
    assert settled(c, lambda s: s.external.volume == 50)
    assert "no playlists: the mood moves only the volume" in c.snapshot().message
    switches = []
    for t, state in states([(1.5, "sad", 0.9)]):
        switches += [a for a in c.update(state, None, 10 + t) if a.kind == "switch"]
    assert [a.playlist for a in switches] == ["happy"]
    assert "lift: volume a step up, 50 -> 60 (no happy playlist in VLC media player)" in \
        switches[0].reason
    assert settled(c, lambda s: s.external.volume == 60), c.snapshot().external
    for t, state in states([(1.5, "neutral", 0.9)]):  # a mood that is not lifted
        switches += [a for a in c.update(state, None, 20 + t) if a.kind == "switch"]
    assert "volume back, 60 -> 50 (no neutral playlist in VLC" in switches[-1].reason
    assert settled(c, lambda s: s.external.volume == 50), c.snapshot().external
    c.close()


def test_playlists_start_where_the_player_offers_them(rig):
    from tests.music.mpris_double import PlaylistPlayer

    double = PlaylistPlayer(rig.bus.address)
    double.start()
    try:
        c = controller_for(rig, player="emotunetest", dwell_s=0.5, cooldown_s=0.0,
                           playlists={"happy": "party MIX", "sad": "Rainy day",
                                      "neutral": "Nowhere"})
        snap = settled(c, lambda s: s.external.connected)
        assert snap.external.player == "Playlist Double"
        assert snap.external.playlists == ("Calm", "Party mix", "Rainy day")
        assert "the mood starts the playlists mapped" in snap.message
        action = c.select_playlist("happy", lock=False)
        assert double.active == "/pl/0" and "started Playlist Double's playlist" in \
            action.reason
        assert "has no playlist named “Nowhere”" in c.select_playlist("neutral",
                                                                       lock=False).reason
        c.play_pause()  # pause by hand: the next mood's playlist waits for the resume
        assert settled(c, lambda s: s.external.state == "paused")
        switches = []
        for t, state in states([(1.5, "sad", 0.9)]):
            switches += [a for a in c.update(state, None, 30 + t) if a.kind == "switch"]
        assert [a.playlist for a in switches] == ["sad"]
        assert "“Rainy day” starts when you resume" in switches[0].reason
        assert double.calls.count("ActivatePlaylist") == 1 and double.active == "/pl/0"
        c.play_pause()
        assert double.active == "/pl/1"
        assert double.calls.count("ActivatePlaylist") == 2
        c.close()
    finally:
        double.stop()


def test_follows_a_player_by_name_or_the_most_recently_active(rig):
    from tests.music.mpris_double import PlaylistPlayer

    double = PlaylistPlayer(rig.bus.address)
    double.start()
    try:
        named = MprisPlayer(wanted="VLC media player", address=rig.bus.address)
        assert named.refresh().bus_name == "org.mpris.MediaPlayer2.vlc"
        missing = MprisPlayer(wanted="spotify", address=rig.bus.address).refresh()
        assert not missing.connected and "no player named 'spotify'" in missing.message
        assert "VLC media player" in missing.message and "Playlist Double" in missing.message
        recent = MprisPlayer(address=rig.bus.address)
        assert wait_for(lambda: recent.refresh().state == "playing")
        assert recent.status().player == "VLC media player"  # the one playing
        recent.pause()  # VLC paused, then the double starts: it is now the active one
        double.state = "Playing"
        assert wait_for(lambda: recent.refresh().player == "Playlist Double"), recent.status()
        named.play()  # VLC plays on for the tests after this one
        for p in (named, recent):
            p.close()
    finally:
        double.stop()


def test_survives_vlc_killed_and_follows_the_new_one(rig):
    c = controller_for(rig)
    first = settled(c, lambda s: s.external.connected).external.bus_name
    assert first
    rig.vlc.kill()
    gone = settled(c, lambda s: not s.external.connected)
    assert gone is not None, c.snapshot()
    assert "VLC media player went away" in gone.message
    assert external_lines(gone)[1].startswith("No player — VLC media player went away")
    assert c.next().reason.startswith("no player: VLC media player went away")
    rig.vlc = rig.start()  # a new VLC process: a new connection on the bus
    back = settled(c, lambda s: s.external.connected, timeout=10)
    assert back is not None and back.external.player == "VLC media player"
    assert "went away" not in (back.message or "")
    assert external_lines(back)[1].startswith("Player: VLC media player (mpris) · ")
    c.play_pause()
    assert settled(c, lambda s: s.external.state == "paused"), c.snapshot()
    c.close()
