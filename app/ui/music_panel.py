"""The music panel: now playing, the playlist, why the music last switched, and manual
controls (each with its shortcut). It renders a `MusicView` and emits what the user asked
for; the window forwards requests to the music controller, when one is available.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.ui.banner import ElidedLabel


@dataclass(frozen=True)
class MusicView:
    """What the panel shows; built by the window from the controller's snapshot."""

    available: bool
    now_playing: str = ""
    playlist: tuple[str, ...] = ()
    current_index: int = -1
    reason: str = ""
    playing: bool = False
    volume: int = 70
    locked: bool = False
    message: str = ""
    # Why nothing can be heard while the player plays ("no sound device was found"); any
    # backend (VLC, an external player) sets it and the panel says "No audio output".
    no_output: str = ""
    player_line: str = ""  # the external player: which, its state, what the mood can do

    @property
    def state_text(self) -> str:
        """The word the panel shows first: never "Playing" while nothing is heard."""
        if self.playing and self.no_output:
            return "No audio output"
        return "Playing" if self.playing else "Paused"


class MusicPanel(QWidget):
    play_pause_requested = Signal()
    next_requested = Signal()
    previous_requested = Signal()
    volume_requested = Signal(int)
    lock_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Music")
        # One line each, elided with the whole text in the tooltip: a long line wrapped and
        # was cut by the dock in the high-contrast theme at 1366x768 (issue #25).
        self.now = ElidedLabel()
        self.now.setAccessibleName("Now playing")
        self.reason = ElidedLabel()
        self.reason.setAccessibleName("Reason of the last switch")
        self.player = ElidedLabel()  # shown only with an external player (issue 26)
        self.player.setAccessibleName("External player")
        self.player.setVisible(False)
        self.playlist = QListWidget()
        self.playlist.setAccessibleName("Playlist")
        self.playlist.setMaximumHeight(72)
        self.prev_button = QPushButton("Previous (Ctrl+Left)")
        self.play_button = QPushButton("Play/Pause (Ctrl+P)")
        self.next_button = QPushButton("Next (Ctrl+Right)")
        self.lock = QCheckBox("Lock music (Ctrl+L)")
        self.lock.setAccessibleDescription("Keep the current music; expressions do not switch it")
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setAccessibleName("Volume")
        self.volume.setToolTip("Volume (Ctrl+Up / Ctrl+Down)")
        for button, signal in ((self.prev_button, self.previous_requested),
                               (self.play_button, self.play_pause_requested),
                               (self.next_button, self.next_requested)):
            button.clicked.connect(signal)
            button.setAccessibleName(button.text().split(" (")[0])
        self.volume.valueChanged.connect(self._volume_moved)
        self.lock.toggled.connect(self._lock_toggled)
        controls = QHBoxLayout()
        for w in (self.prev_button, self.play_button, self.next_button):
            controls.addWidget(w)
        self.levels = QHBoxLayout()  # beside the buttons, or beneath them when compact
        self.levels.addWidget(self.lock)
        self.levels.addWidget(QLabel("Volume"))
        self.levels.addWidget(self.volume, 1)
        self.levels_row = QWidget()
        self.levels_row.setLayout(self.levels)
        self.levels.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.levels_row, 1)
        self.controls = controls
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        info = QVBoxLayout()
        info.addWidget(self.now)
        info.addWidget(self.reason)
        info.addWidget(self.player)
        top.addLayout(info, 1)
        top.addWidget(self.playlist, 1)
        layout.addLayout(top)
        layout.addLayout(controls)
        self._layout = layout
        self._updating = False
        self.view: MusicView | None = None
        self.set_view(MusicView(False, message="Music: starting…"))

    def set_compact(self, compact: bool) -> None:
        """Large text: lock and volume go on a row of their own and the playlist list is
        hidden (the now-playing line names the track), so the dock fits a 768 px screen."""
        self.playlist.setVisible(not compact)
        if compact and self.controls.indexOf(self.levels_row) >= 0:
            self.controls.removeWidget(self.levels_row)
            self._layout.addWidget(self.levels_row)
        elif not compact and self.controls.indexOf(self.levels_row) < 0:
            self._layout.removeWidget(self.levels_row)
            self.controls.addWidget(self.levels_row, 1)

    def _volume_moved(self, value: int) -> None:
        if not self._updating:
            self.volume_requested.emit(value)

    def _lock_toggled(self, on: bool) -> None:
        if not self._updating:
            self.lock_requested.emit(on)

    def set_view(self, view: MusicView) -> None:
        if view == self.view:
            return
        self.view = view
        self._updating = True
        try:
            for w in (self.prev_button, self.play_button, self.next_button, self.lock,
                      self.volume):
                w.setEnabled(view.available)
            self.player.set_full_text(view.player_line)
            self.player.setVisible(bool(view.player_line))
            if not view.available:
                self.now.set_full_text(view.message or "Music is not available.")
                self.reason.set_full_text("")
                self.playlist.clear()
                return
            if view.playing and view.no_output:
                # Mood and gestures go on; only the sound is missing, and the panel says so.
                self.now.set_full_text(f"No audio output: {view.no_output} · "
                                       f"{view.now_playing or '—'}")
            else:
                self.now.set_full_text(f"{view.state_text}: {view.now_playing or '—'}")
            self.now.setObjectName("warning" if view.playing and view.no_output else "")
            self.now.style().unpolish(self.now)
            self.now.style().polish(self.now)
            self.reason.set_full_text(f"Last switch: {view.reason}" if view.reason else "")
            if [self.playlist.item(i).text() for i in range(self.playlist.count())] != \
                    list(view.playlist):
                self.playlist.clear()
                self.playlist.addItems(list(view.playlist))
            if 0 <= view.current_index < self.playlist.count():
                self.playlist.setCurrentRow(view.current_index)
            self.volume.setValue(view.volume)
            self.lock.setChecked(view.locked)
        finally:
            self._updating = False


def music_dock(window, panel: MusicPanel) -> QDockWidget:
    """The music panel in a movable, floatable dock at the bottom of `window`."""
    dock = QDockWidget("Music", window)
    dock.setObjectName("music-dock")
    dock.setWidget(panel)
    dock.setAccessibleName("Music dock")
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    return dock
