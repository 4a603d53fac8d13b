"""Connects the music panel and shortcuts to the music controller (Qt-free, owned by the
music module). The window feeds it each result's smoothed state; the panel is refreshed on
the paint timer from the controller's snapshot. Without a controller the panel says so and
its buttons are disabled.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.config import AppConfig
from app.records import FrameResult
from app.ui.music_panel import MusicPanel, MusicView

PLACEHOLDER = ("Music: not connected — the music controller (app/music/controller.py) is not "
               "available in this build, so expressions do not switch music yet.")


class MusicBridge(QObject):
    def __init__(self, panel: MusicPanel, controller: object | None, config: AppConfig,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.controller = controller
        self.config = config
        self.message = PLACEHOLDER if controller is None else ""
        panel.play_pause_requested.connect(self.play_pause)
        panel.next_requested.connect(self.next)
        panel.previous_requested.connect(self.previous)
        panel.volume_requested.connect(self.set_volume)
        panel.lock_requested.connect(self.set_lock)
        self.refresh()

    def _call(self, name: str, *args) -> None:
        if self.controller is None:
            return
        try:
            getattr(self.controller, name)(*args)
        except Exception as exc:  # a music fault must never take the window down
            self.message = f"Music: {name} failed ({exc})"
        self.refresh()

    def on_result(self, result: FrameResult) -> None:
        """Hand the smoothed state of each processed frame to the controller."""
        if self.controller is not None and result.state is not None:
            self._call("update", result.state, result.frame.timestamp)

    def play_pause(self) -> None:
        self._call("play_pause")

    def next(self) -> None:
        self._call("next")

    def previous(self) -> None:
        self._call("previous")

    def set_volume(self, volume: int) -> None:
        self._call("set_volume", int(max(0, min(100, volume))))

    def change_volume(self, step: int) -> None:
        view = self.panel.view
        self.set_volume((view.volume if view is not None else 70) + step)

    def set_lock(self, on: bool) -> None:
        self._call("lock", bool(on))

    def toggle_lock(self, on: bool | None = None) -> None:
        view = self.panel.view
        self.set_lock(not (view.locked if view else False) if on is None else on)

    def apply_config(self, config: AppConfig) -> None:
        self.config = config
        if self.controller is not None and hasattr(self.controller, "apply_config"):
            self._call("apply_config", config)

    def view(self) -> MusicView:
        if self.controller is None:
            return MusicView(False, message=self.message)
        snap = self.controller.snapshot()
        return MusicView(
            True, now_playing=str(getattr(snap, "now_playing", "") or ""),
            playlist=tuple(str(t) for t in getattr(snap, "playlist", ()) or ()),
            current_index=int(getattr(snap, "current_index", -1)),
            reason=str(getattr(snap, "reason", "") or self.message),
            playing=bool(getattr(snap, "playing", False)),
            volume=int(getattr(snap, "volume", self.config.music.volume)),
            locked=bool(getattr(snap, "locked", False)))

    def refresh(self) -> None:
        try:
            self.panel.set_view(self.view())
        except Exception as exc:
            self.panel.set_view(MusicView(False, message=f"Music: unavailable ({exc})"))

    def close(self) -> None:
        if self.controller is not None and hasattr(self.controller, "close"):
            try:
                self.controller.close()
            except Exception:
                pass  # quitting anyway
