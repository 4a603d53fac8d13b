"""Connects the music panel and shortcuts to the Qt-free `MusicController`.

The frame stream reaches the controller in the worker thread: the pipeline's
`FrameSession` feeds it the smoothed state and any gesture (fed the smoothed probabilities,
exactly as in `bench-control`); the controller's lock lets this bridge's buttons call in
from the GUI thread. The bridge only remembers the last gesture of the results it is shown
and refreshes the panel on the paint timer from `controller.snapshot()`; player events
and fades are handled by `app.music.ticker.MusicTicker` on its own thread, never on the
GUI thread (a slow or failing `play()` froze the window). Without a controller (music
off, or none could be made) the panel says why and its buttons are disabled.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.config import AppConfig
from app.records import FrameResult
from app.ui.music_panel import MusicPanel, MusicView


def create_music_controller(config: AppConfig, backend: str = "auto"):
    """(controller or None, message): the library and a player from settings."""
    if not config.music.enabled:
        return None, "Music is switched off in the settings (music.enabled)."
    try:
        from app.music.factory import create_controller

        return create_controller(config, backend=backend), None
    except Exception as exc:  # the window runs without music rather than not at all
        return None, f"Music is unavailable: {exc}"


class MusicBridge(QObject):
    def __init__(self, panel: MusicPanel, controller, config: AppConfig,
                 message: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.controller = controller
        self.config = config
        self.message = message or ("" if controller is not None else "Music is not connected.")
        self.error: str | None = None
        self.last_gesture: str | None = None
        panel.play_pause_requested.connect(self.play_pause)
        panel.next_requested.connect(self.next)
        panel.previous_requested.connect(self.previous)
        panel.volume_requested.connect(self.set_volume)
        panel.lock_requested.connect(self.set_lock)
        self.ticker = None
        if controller is not None and hasattr(controller, "tick"):
            from app.music.ticker import MusicTicker

            self.ticker = MusicTicker(controller)  # player events off the GUI thread
            self.ticker.start()
        self.refresh()

    def _call(self, name: str, *args):
        if self.controller is None:
            return None
        try:
            out = getattr(self.controller, name)(*args)
            self.error = None
            return out
        except Exception as exc:  # a music fault must never take the window down
            self.error = f"Music: {name} failed ({type(exc).__name__}: {exc})"
            return None

    def on_result(self, result: FrameResult) -> None:
        """Remember the gesture the session fired on this frame (shown in the panel)."""
        if result.gesture is not None:
            self.last_gesture = result.gesture.reason

    def play_pause(self) -> None:
        self._call("play_pause")
        self.refresh()

    def next(self) -> None:
        self._call("next")
        self.refresh()

    def previous(self) -> None:
        self._call("previous")
        self.refresh()

    def set_volume(self, volume: int) -> None:
        self._call("set_volume", int(max(0, min(100, volume))))
        self.refresh()

    def change_volume(self, step: int) -> None:
        view = self.panel.view
        self.set_volume((view.volume if view is not None else self.config.music.volume) + step)

    def set_lock(self, on: bool) -> None:
        self._call("lock", bool(on))
        self.refresh()

    def toggle_lock(self, on: bool) -> None:
        self.set_lock(on)

    # the Music menu's handlers (app.ui.actions.ACTIONS)
    def music_play_pause(self) -> None:
        self.play_pause()

    def music_next(self) -> None:
        self.next()

    def music_previous(self) -> None:
        self.previous()

    def music_volume_up(self) -> None:
        self.change_volume(+10)

    def music_volume_down(self) -> None:
        self.change_volume(-10)

    def music_toggle_lock(self, on: bool) -> None:
        self.toggle_lock(on)

    def reset_for_visitor(self) -> None:
        """Music back to the start: nothing of the last visitor carries over (the session
        resets the gestures with the smoothing)."""
        self.last_gesture = None
        self._call("reset")
        self.refresh()

    def apply_config(self, config: AppConfig) -> None:
        """Music settings apply with the next start (gesture settings go to the session)."""
        self.config = config

    def view(self) -> MusicView:
        if self.controller is None:
            return MusicView(False, message=self.message)
        snap = self.controller.snapshot()
        ticker_error = self.ticker.error if self.ticker is not None else None
        external = snap.external is not None  # the user's own player: its own line
        notes = [n for n in (self.error, ticker_error, None if external else snap.message) if n]
        if not snap.tracks and snap.problems:
            notes.append(snap.problems[0])
        switch = snap.last_switch
        reason = f"{switch.reason} ({switch.source})" if switch is not None else "none yet"
        if self.last_gesture:
            reason += f" · last {self.last_gesture}"
        if snap.pending:
            reason += f" · queued: {snap.pending}"
        if notes:
            reason += " · " + " · ".join(notes)
        now = (f"{snap.track.title} — {snap.playlist} playlist" if snap.track is not None
               else "nothing yet (press Play or show an expression)")
        line = ""
        if external:
            from app.music.external_view import external_lines, external_playlists

            now, line = external_lines(snap)
        return MusicView(True, now_playing=now,
                         playlist=(external_playlists(snap) if external
                                   else tuple(t.title for t in snap.tracks)),
                         current_index=snap.index, reason=reason,
                         playing=snap.state == "playing", volume=snap.volume,
                         locked=snap.locked, no_output=getattr(snap, "output", ""),
                         player_line=line)

    def skipped_files(self) -> tuple[str, ...]:
        """What the library left out (unsupported, empty or undecodable files), for
        Settings > Music."""
        if self.controller is None:
            return ()
        try:
            problems = self.controller.snapshot().problems
        except Exception:  # a music fault must never take the window down
            return ()
        return tuple(p for p in problems if "skipped" in p)

    def refresh(self) -> None:
        try:
            self.panel.set_view(self.view())
        except Exception as exc:
            self.panel.set_view(MusicView(False, message=f"Music: unavailable ({exc})"))

    def close(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
            self.ticker = None
        if self.controller is not None:
            self._call("close")
            self.controller = None
