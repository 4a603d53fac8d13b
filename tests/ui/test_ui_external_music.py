"""The music dock and Settings > Music with the external back-end.

The dock is driven by `ExternalMusicController` over a scripted in-memory player (the
real-player checks, VLC over MPRIS, are in tests/music/test_mpris_vlc.py, and the
screenshot in docs/MUSIC.md shows the dock following a real VLC).
"""

from __future__ import annotations

import dataclasses

from uihelp import ListSource, ScriptedProcessor

from app.config import AppConfig
from app.music.external import ExternalStatus
from app.music.external_controller import ExternalMusicController
from app.ui.main_window import MainWindow
from app.ui.settings_music import MusicSettings


class ScriptedPlayer:
    """An ExternalPlayer whose status the test sets; records the commands it gets."""

    name = "fake"

    def __init__(self) -> None:
        self.now = ExternalStatus(player="Fake Player", bus_name="org.mpris.x", state="playing",
                                  title="Song", artist="Band", volume=40,
                                  can=frozenset({"play_pause", "next", "previous", "volume"}))
        self.calls: list[str] = []

    def refresh(self):
        return self.now

    def status(self):
        return self.now

    def __getattr__(self, command):
        if command in ("play_pause", "play", "pause", "next", "previous", "set_volume",
                       "activate_playlist", "close"):
            return lambda *args: self.calls.append(command)
        raise AttributeError(command)


def window(qtbot, player):
    config = dataclasses.replace(AppConfig(), music=dataclasses.replace(
        AppConfig().music, backend="external"))
    controller = ExternalMusicController(config.music, player, poll_s=0.0)
    controller.tick()
    w = MainWindow(config, music_controller=controller,
                   processor_factory=lambda: (ScriptedProcessor(lambda f: None), None),
                   source_factory=lambda: ListSource())
    qtbot.addWidget(w)
    w.show()
    return w, controller


def test_the_dock_follows_the_external_player_and_says_when_it_went_away(qtbot):
    player = ScriptedPlayer()
    w, controller = window(qtbot, player)
    w.music.refresh()
    panel = w.music_panel
    assert panel.now.text() == "Playing: Song — Band (in Fake Player)"
    assert panel.player.isVisibleTo(w) and panel.player.text().startswith(
        "Player: Fake Player (fake) · playing")
    assert "no playlists: the mood is shown, the music stays" in panel.player.text()
    assert panel.playlist.item(0).text() == "(Fake Player offers no playlists)"
    assert panel.volume.value() == 40  # the player's own volume is taken as the user's
    w.actions["next"].trigger()
    assert player.calls[-1] == "next"
    player.now = ExternalStatus(message="Fake Player went away; waiting for a player")
    controller.tick()
    w.music.refresh()
    assert panel.player.text() == "No player — Fake Player went away; waiting for a player"
    assert panel.now.text() == "Paused: no player to follow"
    assert panel.play_button.isEnabled()  # the buttons stay: they say there is no player
    w.actions["play_pause"].trigger()
    assert player.calls[-1] == "next"  # nothing was sent to a player that is not there


def test_the_builtin_dock_has_no_player_line(qtbot):
    from test_ui_music import window_with_music

    w, _player = window_with_music(qtbot)
    w.music.refresh()
    assert not w.music_panel.player.isVisibleTo(w)


def test_music_settings_choose_the_backend_player_and_playlists(qtbot):
    page = MusicSettings(AppConfig())
    qtbot.addWidget(page)
    assert page.backend.currentData() == "builtin" and not page.player.isEnabled()
    page.backend.setCurrentIndex(page.backend.findData("external"))
    assert page.player.isEnabled() and not page.library.isEnabled()
    page.player.setText(" spotify ")
    page.playlists.setText("happy = Party mix; joy = Dance; sad=Rainy day")
    assert "“joy” is not a mood" in page.playlist_note.text()
    music = page.apply(AppConfig()).music
    assert music.backend == "external" and music.player == "spotify"
    assert music.playlists == {"happy": "Party mix", "sad": "Rainy day"}
    again = MusicSettings(page.apply(AppConfig()))
    qtbot.addWidget(again)
    assert again.playlists.text() == "happy = Party mix; sad = Rainy day"
    assert again.backend.currentData() == "external"
