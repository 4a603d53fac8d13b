"""The external back-end without a bus: media keys (a fake keyboard), no bus at all, settings.

Media keys cannot be tested for real here (Linux CI, no display, no player listening to
the keys): the fake keyboard checks which keys are pressed for which command, nothing more.
The real-player tests are in test_mpris_vlc.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from app.config import AppConfig, config_from_dict
from app.music.external_controller import ExternalMusicController, create_external_controller
from app.music.mediakeys import MediaKeysPlayer
from app.records import GestureEvent
from tests.music.musichelp import states


class FakeKeyboard:
    def __init__(self) -> None:
        self.pressed: list[str] = []

    def press(self, key: str) -> None:
        self.pressed.append(key)

    def release(self, key: str) -> None:
        pass


def keys_controller(**music) -> tuple[ExternalMusicController, FakeKeyboard]:
    keyboard = FakeKeyboard()
    cfg = dataclasses.replace(AppConfig().music, backend="external", **music)
    controller = ExternalMusicController(cfg, MediaKeysPlayer(keyboard, volume=cfg.volume),
                                         poll_s=0.0)
    controller.tick()
    return controller, keyboard


@pytest.mark.parametrize(("command", "keys"), [
    ("play_pause", ["media_play_pause"]),
    ("next", ["media_next"]),
    ("previous", ["media_previous"]),
])
def test_media_keys_press_the_key_of_each_command(command, keys):
    controller, keyboard = keys_controller()
    action = getattr(controller, command)()
    assert keyboard.pressed == keys
    assert "the system's media keys" in action.reason


@pytest.mark.parametrize(("volume", "presses"), [
    (70, []), (50, ["media_volume_down"] * 2), (100, ["media_volume_up"] * 3),
    (0, ["media_volume_down"] * 7),
])
def test_media_keys_volume_is_steps_of_the_volume_keys(volume, presses):
    controller, keyboard = keys_controller()
    controller.set_volume(volume)
    assert keyboard.pressed == presses


def test_media_keys_say_what_they_cannot_do_and_lift_by_volume():
    controller, keyboard = keys_controller(mode="lift", dwell_s=0.5, cooldown_s=0.0,
                                           playlists={"happy": "Party"})
    snap = controller.snapshot()
    assert snap.backend == "media-keys" and snap.external.state == "unknown"
    assert "cannot be read" in snap.message and "playlists cannot be chosen" in snap.message
    switches = []
    for t, state in states([(1.5, "sad", 0.9)]):
        switches += [a for a in controller.update(state, None, t) if a.kind == "switch"]
    assert len(switches) == 1 and "lift: volume a step up, 70 -> 80" in \
        switches[0].reason
    assert keyboard.pressed == ["media_volume_up"]
    controller.set_volume(100)  # no room for a step: nothing pressed, and it says why
    pressed = len(keyboard.pressed)
    controller.lock(False)
    controller.policy.playlist, controller.policy.last_switch_t = None, None
    switches = []
    for t, state in states([(1.5, "sad", 0.9)]):
        switches += [a for a in controller.update(state, None, 5 + t) if a.kind == "switch"]
    assert "lift: volume already at 100" in switches[0].reason
    assert len(keyboard.pressed) == pressed  # no key pressed for a step it cannot take
    # a gesture reaches the keys through the same update() path as in the session
    done = controller.update(state, GestureEvent("next", "surprise", 9.0, 1.0), 9.0)
    assert done[-1].source == "gesture" and keyboard.pressed[-1] == "media_next"


def test_without_a_session_bus_the_panel_says_so_and_commands_do_nothing(monkeypatch):
    pytest.importorskip("jeepney")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setattr("app.music.mpris.systemd_user_bus", lambda: "")
    config = dataclasses.replace(AppConfig(), music=dataclasses.replace(
        AppConfig().music, backend="external"))
    from app.music.factory import create_controller

    controller = create_controller(config)  # the window's and the booth's factory
    assert isinstance(controller, ExternalMusicController)
    snap = controller.snapshot()
    assert not snap.external.connected and "no D-Bus session bus" in snap.message
    assert controller.play_pause().reason.startswith("no player: no D-Bus session bus")
    controller.close()


def test_a_dead_bus_address_is_reported_not_raised():
    pytest.importorskip("jeepney")
    config = dataclasses.replace(AppConfig(), music=dataclasses.replace(
        AppConfig().music, backend="external"))
    controller = create_external_controller(
        config, platform="linux", address="unix:path=/nonexistent/emotune-bus", poll_s=0.0)
    assert "cannot connect to the session bus" in controller.snapshot().message


@pytest.mark.parametrize(("music", "problem"), [
    ({"backend": "external"}, None),
    ({"backend": "builtin"}, None),
    ({"backend": "spotify"}, "music.backend"),
    ({"player": "vlc"}, None),
    ({"playlists": {"happy": "Party mix", "sad": "Rainy"}}, None),
    ({"playlists": {"joy": "Party mix"}}, "music.playlists"),
    ({"playlists": {"happy": "  "}}, "music.playlists"),
    ({"playlists": {"happy": 3}}, "music.playlists"),
])
def test_external_settings_are_checked_where_loaded(music, problem):
    config, problems = config_from_dict({"music": music})
    if problem is None:
        assert problems == []
        for key, value in music.items():
            assert getattr(config.music, key) == value
    else:
        assert len(problems) == 1 and problems[0].startswith(problem)
        assert getattr(config.music, next(iter(music))) == getattr(AppConfig().music,
                                                                   next(iter(music)))


class ScriptedPlayer:
    """An ExternalPlayer whose status the test sets; records the commands it gets."""

    name = "fake"

    def __init__(self, **status) -> None:
        from app.music.external import ExternalStatus

        self.now = ExternalStatus(**{
            "player": "Fake", "bus_name": "org.mpris.MediaPlayer2.fake", "state": "playing",
            "title": "One", "volume": 50, "track_key": "1", "playlists": ("Party mix",),
            "can": frozenset({"play_pause", "next", "previous", "volume", "playlists"}),
            **status})
        self.calls: list[tuple] = []

    def refresh(self):
        return self.now

    def status(self):
        return self.now

    def activate_playlist(self, name):
        self.calls.append(("activate_playlist", name))
        return name.lower() == "party mix"

    def __getattr__(self, command):
        if command in ("play_pause", "play", "pause", "next", "previous", "set_volume",
                       "close"):
            return lambda *args: self.calls.append((command, *args))
        raise AttributeError(command)


def _track_finishing_controller(player):
    """A controller that lets the track finish, with "happy" mapped to "Party mix"."""
    cfg = dataclasses.replace(AppConfig().music, backend="external", dwell_s=0.5,
                              cooldown_s=0.0, let_track_finish=True,
                              playlists={"happy": "Party mix"})
    return ExternalMusicController(cfg, player, poll_s=0.0)


def test_let_track_finish_starts_the_playlist_when_the_players_track_changes():
    player = ScriptedPlayer()
    controller = _track_finishing_controller(player)
    done = []
    for t, state in states([(1.5, "neutral", 0.9), (1.5, "happy", 0.9)]):
        done += controller.update(state, None, t)
    # the first mood switches at once (nothing of ours is playing yet; no neutral playlist
    # mapped, so the music stays), the next waits for the player's track to end
    assert [a.kind for a in done] == ["switch", "queue"] and not player.calls
    assert controller.snapshot().pending == "happy"
    player.now = dataclasses.replace(player.now, title="Two", track_key="2")  # next track
    done = controller.tick(5.0)
    assert [a.kind for a in done] == ["switch"] and "the track finished" in done[0].reason
    assert player.calls == [("activate_playlist", "Party mix")]


def test_our_own_next_is_not_taken_for_the_end_of_a_track():
    player = ScriptedPlayer()
    controller = _track_finishing_controller(player)
    for t, state in states([(1.5, "neutral", 0.9), (1.5, "happy", 0.9)]):
        controller.update(state, None, t)
    controller.next()
    player.now = dataclasses.replace(player.now, title="Two", track_key="2")
    assert controller.tick(5.0) == [] and controller.snapshot().pending == "happy"


def test_reset_for_the_next_visitor_pauses_the_player_and_restores_the_volume():
    player = ScriptedPlayer()
    cfg = dataclasses.replace(AppConfig().music, backend="external", volume=65)
    controller = ExternalMusicController(cfg, player, poll_s=0.0)
    controller.tick()
    controller.set_volume(90)
    controller.lock(True)
    action = controller.reset(3.0)
    assert action.kind == "reset" and ("pause",) in player.calls
    assert player.calls[-1] == ("set_volume", 65) and not controller.policy.locked
    controller.close()
    assert player.calls[-1] == ("close",)  # let go; never stopped: it is the user's player
    assert ("stop",) not in player.calls


@pytest.mark.parametrize(("only", "switches"), [(False, 1), (True, 0)])
def test_gesture_only_mode_keeps_the_mood_away_from_the_external_player(only, switches):
    """face_gestures.only reaches the external controller as it reaches the built-in one:
    the mood changes nothing, a gesture still drives the player."""
    from app.music.factory import create_controller

    config, problems = config_from_dict({"music": {"backend": "external", "mode": "lift",
                                                   "dwell_s": 0.5, "cooldown_s": 0.0},
                                         "face_gestures": {"only": only}})
    assert problems == []
    controller = create_controller(config)
    keyboard = FakeKeyboard()
    controller.player = MediaKeysPlayer(keyboard, volume=config.music.volume)
    controller._poll_s = 0.0
    controller.tick()
    moods = []
    for t, state in states([(1.5, "sad", 0.9)]):
        moods += [a for a in controller.update(state, None, t) if a.kind == "switch"]
    assert len(moods) == switches and controller.follow_mood is not only
    done = controller.update(state, GestureEvent("next", "surprise", 9.0, 1.0), 9.0)
    assert done[-1].source == "gesture" and keyboard.pressed[-1] == "media_next"
