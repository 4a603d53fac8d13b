"""Settings > Music: the library folder, mode and volume, and the files that were skipped.

The docs promised this page; without it a user whose music folder held undecodable files
had no way to learn which ones were left out. It edits `MusicConfig` only; the list of
skipped files comes from the music controller's library check (`app.music.probe`) and is
read-only. A group of its own so the settings dialog stays one list of sections.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from app.config import AppConfig
from app.music.external_view import BACKEND_LABELS, format_playlists, parse_playlists
from app.settings_rules import MUSIC_BACKENDS, MUSIC_MODES, bounds


class MusicSettings(QGroupBox):
    def __init__(self, config: AppConfig, skipped: tuple[str, ...] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__("Music", parent)
        m = config.music
        self.setAccessibleName("Music settings")
        self.enabled = QCheckBox("Play music")
        self.enabled.setChecked(m.enabled)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.library = QLineEdit(m.library_root)
        self.library.setPlaceholderText("the demo pieces (resources/music)")
        self.library.setAccessibleName("Music library folder")
        self.library.setMinimumWidth(220)
        browse = QPushButton("Browse…")
        browse.setAccessibleName("Browse for the music library folder")
        browse.clicked.connect(self._pick)
        line.addWidget(self.library, 1)
        line.addWidget(browse)
        self.mode = QComboBox()
        self.mode.addItems(list(MUSIC_MODES))
        self.mode.setCurrentText(m.mode)
        self.mode.setAccessibleName("Music mode: match the mood or lift it")
        self.volume = QSpinBox()
        self.volume.setRange(*map(int, bounds("music.volume")))
        self.volume.setValue(m.volume)
        self.volume.setAccessibleName("Music volume")
        self.skipped = QListWidget()
        self.skipped.setAccessibleName("Music files skipped")
        self.skipped.addItems(list(skipped) or ["none: every file in the library played"])
        self.skipped.setWordWrap(True)
        self.skipped.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # At least six lines (it showed four, and a long list was a keyhole, issue #25);
        # it grows with the spare height of the dialog and scrolls beyond.
        lines = self.skipped.fontMetrics().lineSpacing()
        self.skipped.setMinimumHeight(lines * 6 + 8)
        self.skipped.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._external_widgets(m)
        form = QFormLayout(self)
        form.addRow("", self.enabled)
        form.addRow("&Player", self.backend)
        form.addRow("&Library folder", row)
        form.addRow("Player &name", self.player)
        form.addRow("Mood p&laylists", self.playlists)
        form.addRow("", self.playlist_note)
        form.addRow("M&ode", self.mode)
        form.addRow("&Volume", self.volume)
        form.addRow(f"Skipped files ({len(skipped)})" if skipped else "Skipped files",
                    self.skipped)
        self._backend_changed()

    def _external_widgets(self, m) -> None:
        """The back-end choice and the external player's name and playlists (issue 26)."""
        self.backend = QComboBox()
        for key in MUSIC_BACKENDS:
            self.backend.addItem(BACKEND_LABELS[key], key)
        self.backend.setCurrentIndex(max(0, MUSIC_BACKENDS.index(m.backend)))
        self.backend.setAccessibleName("Music player: the built-in one or my own")
        self.backend.currentIndexChanged.connect(self._backend_changed)
        self.player = QLineEdit(m.player)
        self.player.setPlaceholderText("empty: the player that played last (e.g. vlc, spotify)")
        self.player.setAccessibleName("Name of my own player to follow")
        self.playlists = QLineEdit(format_playlists(m.playlists))
        self.playlists.setPlaceholderText("happy = Party mix; sad = Rainy day")
        self.playlists.setAccessibleName("My player's playlist for each mood")
        self.playlists.setToolTip("mood = the player's playlist name; separate with ;")
        self.playlists.textChanged.connect(self._playlists_changed)
        self.playlist_note = QLabel()
        self.playlist_note.setWordWrap(True)
        self._playlists_changed(self.playlists.text())

    def _backend_changed(self, _index: int = 0) -> None:
        external = self.backend.currentData() == "external"
        self.library.parentWidget().setEnabled(not external)  # the folder and Browse…
        self.player.setEnabled(external)
        self.playlists.setEnabled(external)

    def _playlists_changed(self, text: str) -> None:
        _mapping, problems = parse_playlists(text)
        self.playlist_note.setText("; ".join(problems) if problems else
                                   "Used where the player offers playlists; otherwise the "
                                   "mood moves only its volume. Applies at the next start.")

    def _pick(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the music folder (one sub-folder "
                                                "per emotion)", self.library.text())
        if path:
            self.library.setText(path)

    def apply(self, config: AppConfig) -> AppConfig:
        """`config` with this page's fields."""
        return dataclasses.replace(config, music=dataclasses.replace(
            config.music, enabled=self.enabled.isChecked(),
            library_root=self.library.text().strip(), mode=self.mode.currentText(),
            volume=self.volume.value(), backend=self.backend.currentData(),
            player=self.player.text().strip(),
            playlists=parse_playlists(self.playlists.text())[0]))
