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
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.config import AppConfig
from app.settings_rules import MUSIC_MODES, bounds


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
        self.skipped.setMaximumHeight(96)
        form = QFormLayout(self)
        form.addRow("", self.enabled)
        form.addRow("&Library folder", row)
        form.addRow("M&ode", self.mode)
        form.addRow("&Volume", self.volume)
        form.addRow("Skipped files", self.skipped)

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
            volume=self.volume.value()))
