"""The settings dialog: camera and resolution, models and fusion rule, smoothing and
thresholds, theme (page General), and the personal profiles (page Profiles). It edits a
copy of `AppConfig`; the window saves it (atomically, via `app.config.save_config`) and
restarts the pipeline when capture or model settings changed.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import AppConfig
from app.model import fusion
from app.settings_rules import THEME_NAMES, bounds
from app.ui.gestures_page import GesturesPage
from app.ui.profiles_view import ProfilesSection
from app.ui.rule_spin import rule_spin as _spin
from app.ui.settings_music import MusicSettings

RESOLUTIONS = ((320, 240), (640, 480), (1280, 720), (1920, 1080))


def _path_row(text: str, name: str, pick) -> tuple[QWidget, QLineEdit]:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    edit = QLineEdit(text)
    edit.setAccessibleName(name)
    edit.setPlaceholderText("shipped weights")
    edit.setMinimumWidth(220)
    button = QPushButton("Browse…")
    button.setAccessibleName(f"Browse for {name}")
    button.clicked.connect(lambda: pick(edit))
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row, edit


class SettingsDialog(QDialog):
    def __init__(self, config: AppConfig, cameras: list[int] | None = None,
                 parent: QWidget | None = None, music_skipped: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Emotune settings")
        self.setAccessibleName("Settings")
        self._base = config
        c = config
        # Capture
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.setAccessibleName("Camera or video source")
        self.source.setAccessibleDescription("A camera from the list, or type a video file "
                                             "or image folder path")
        for index in cameras or []:
            self.source.addItem(f"Camera {index}", str(index))
        self._select_source(c.capture.source)
        self.resolution = QComboBox()
        self.resolution.setAccessibleName("Camera resolution")
        # Item data is a "WxH" string: Qt turns a Python tuple into a list, which findData
        # then never matches.
        for w, h in RESOLUTIONS:
            self.resolution.addItem(f"{w} × {h}", f"{w}x{h}")
        current = f"{c.capture.width}x{c.capture.height}"
        found = self.resolution.findData(current)
        if found < 0:
            self.resolution.addItem(current.replace("x", " × "), current)
            found = self.resolution.count() - 1
        self.resolution.setCurrentIndex(found)
        self.loop_video = QCheckBox("Loop video files")
        self.loop_video.setChecked(c.capture.loop_video)
        # Models
        cnn1_row, self.cnn1 = _path_row(c.model.cnn1, "CNN_1 checkpoint", self._pick_model)
        cnn2_row, self.cnn2 = _path_row(c.model.cnn2, "CNN_2 checkpoint", self._pick_model)
        self.use_cnn1 = QCheckBox("Use CNN_1")
        self.use_cnn1.setChecked("cnn1" in c.model.members)
        self.use_cnn2 = QCheckBox("Use CNN_2")
        self.use_cnn2.setChecked("cnn2" in c.model.members)
        self.fusion = QComboBox()
        self.fusion.addItems(list(fusion.RULES))
        self.fusion.setCurrentText(c.model.fusion)
        self.fusion.setAccessibleName("Fusion rule")
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setCurrentText(c.model.device)
        self.device.setAccessibleName("Inference device")
        self.flip = QCheckBox("Also score the mirror image (steadier, ~15 % slower)")
        self.flip.setChecked(c.model.flip)
        self.detect_every = QSpinBox()
        self.detect_every.setRange(*map(int, bounds("model.detect_every")))
        self.detect_every.setValue(c.model.detect_every)
        self.detect_every.setAccessibleName("Detect faces every n-th frame, track in between")
        # Smoothing and thresholds
        s = c.smoothing
        self.ema_alpha = _spin(s.ema_alpha, "smoothing.ema_alpha", 0.05,
                               "Smoothing: weight of newest frame")
        self.dwell_s = _spin(s.dwell_s, "smoothing.dwell_s", 0.1, "Dwell time in seconds")
        self.enter_threshold = _spin(s.enter_threshold, "smoothing.enter_threshold", 0.05,
                                     "Enter threshold")
        self.hysteresis = _spin(s.hysteresis, "smoothing.hysteresis", 0.05, "Hysteresis margin")
        self.face_lost_s = _spin(s.face_lost_s, "smoothing.face_lost_s", 0.1,
                                 "Face lost after seconds")
        self.auto_neutral = QCheckBox("Learn each person's resting face (automatic neutral)")
        self.auto_neutral.setChecked(s.auto_neutral)
        self.auto_neutral.setAccessibleName("Automatic neutral")
        self.detect_score = _spin(c.model.detect_score, "model.detect_score", 0.05,
                                  "Face detection score")
        self.min_face_px = QSpinBox()
        self.min_face_px.setRange(*map(int, bounds("model.min_face_px")))
        self.min_face_px.setValue(c.model.min_face_px)
        self.min_face_px.setAccessibleName("Smallest face in pixels")
        self.music_conf = _spin(c.music.min_confidence, "music.min_confidence", 0.05,
                                "Music: minimum confidence")
        self.gesture_threshold = _spin(c.gestures.threshold, "gestures.threshold", 0.05,
                                       "Gesture threshold")
        # Appearance and check
        self.theme = QComboBox()
        self.theme.addItems(list(THEME_NAMES))
        self.theme.setCurrentText(c.ui.theme if c.ui.theme in THEME_NAMES else "light")
        self.theme.setAccessibleName("Theme")
        self.check_seconds = _spin(c.ui.check_seconds, "ui.check_seconds", 0.5,
                                   "Guided check seconds per expression", 1)
        self.check_countdown = _spin(c.ui.check_countdown_s, "ui.check_countdown_s", 0.5,
                                     "Guided check countdown seconds", 1)

        layout = QVBoxLayout(self)
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left)
        columns.addLayout(right)
        layout.addWidget(self._pages(columns))
        for column, title, rows in (
                (left, "Camera", [("&Source", self.source), ("&Resolution", self.resolution),
                            ("", self.loop_video)]),
                (left, "Models", [("CNN_&1", cnn1_row), ("CNN_&2", cnn2_row), ("", self.use_cnn1),
                            ("", self.use_cnn2), ("&Fusion rule", self.fusion),
                            ("&Device", self.device), ("", self.flip),
                            ("Detect e&very (frames)", self.detect_every)]),
                (right, "Smoothing and thresholds", [
                    ("EMA &weight", self.ema_alpha), ("D&well (s)", self.dwell_s),
                    ("E&nter threshold", self.enter_threshold),
                    ("&Hysteresis", self.hysteresis), ("Face &lost after (s)", self.face_lost_s),
                    ("", self.auto_neutral),
                    ("Detection s&core", self.detect_score),
                    ("S&mallest face (px)", self.min_face_px),
                    ("Music min. confidence", self.music_conf),
                    ("Gesture threshold", self.gesture_threshold)]),
                (left, "Appearance and check", [("&Theme", self.theme),
                                                ("Check seconds each", self.check_seconds),
                                                ("Check countdown (s)", self.check_countdown)])):
            group = QGroupBox(title)
            form = QFormLayout(group)
            for label, widget in rows:
                form.addRow(label, widget)
            column.addWidget(group)
        self.music = MusicSettings(c, music_skipped)
        right.addWidget(self.music, 1)  # its skipped-files list takes the spare height
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _pages(self, columns: QHBoxLayout) -> QTabWidget:
        """General (every setting above) and Profiles (the user's personal profiles: use,
        rename, export, import, remove, and each profile's gestures; saved by its own
        buttons, not by OK)."""
        self.pages = QTabWidget()
        general = QWidget()
        general.setLayout(columns)
        # Large text made the page taller than a 768 px screen (the OK button went off it):
        # it scrolls instead, and the dialog is never taller than the screen (issue #25).
        scroll = QScrollArea()
        scroll.setWidget(general)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._general = general
        self.pages.addTab(scroll, "&General")
        self.gestures_page = GesturesPage(self._base)
        self.pages.addTab(self.gestures_page, "Ges&tures")
        self.profiles = ProfilesSection()
        self.pages.addTab(self.profiles, "&Profiles")
        return self.pages

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Size to the General page once the theme has polished it, within the screen."""
        super().showEvent(event)
        screen = QGuiApplication.primaryScreen()
        if screen is None or getattr(self, "_sized", False):
            return
        self._sized = True
        room = screen.availableGeometry()
        page = self._general.sizeHint()
        extra_w, extra_h = 60, self.buttons.sizeHint().height() + 90
        self.resize(min(page.width() + extra_w, room.width() - 20),
                    min(page.height() + extra_h, room.height() - 40))

    def _select_source(self, spec: str) -> None:
        found = self.source.findData(spec)
        if found < 0:
            self.source.addItem(spec if not spec.isdigit() else f"Camera {spec}", spec)
            found = self.source.count() - 1
        self.source.setCurrentIndex(found)

    def _pick_model(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a checkpoint", edit.text(),
                                              "PyTorch checkpoints (*.pt *.pth);;All files (*)")
        if path:
            edit.setText(path)

    def source_spec(self) -> str:
        text = self.source.currentText().strip()
        index = self.source.currentIndex()
        if index >= 0 and self.source.itemText(index) == text:
            return str(self.source.itemData(index))
        return text  # typed by the user

    def config(self) -> AppConfig:
        """The edited settings (the dialog's fields over the config it was opened with)."""
        c = self.gestures_page.apply(self.music.apply(self._base))
        w, h = (int(v) for v in self.resolution.currentData().split("x"))
        members = tuple(m for m, box in (("cnn1", self.use_cnn1), ("cnn2", self.use_cnn2))
                        if box.isChecked()) or c.model.members
        return dataclasses.replace(
            c,
            capture=dataclasses.replace(c.capture, source=self.source_spec(), width=w, height=h,
                                        loop_video=self.loop_video.isChecked()),
            model=dataclasses.replace(c.model, cnn1=self.cnn1.text().strip(),
                                      cnn2=self.cnn2.text().strip(), members=members,
                                      fusion=self.fusion.currentText(),
                                      device=self.device.currentText(),
                                      flip=self.flip.isChecked(),
                                      detect_every=self.detect_every.value(),
                                      detect_score=self.detect_score.value(),
                                      min_face_px=self.min_face_px.value()),
            smoothing=dataclasses.replace(c.smoothing, ema_alpha=self.ema_alpha.value(),
                                          dwell_s=self.dwell_s.value(),
                                          enter_threshold=self.enter_threshold.value(),
                                          hysteresis=self.hysteresis.value(),
                                          face_lost_s=self.face_lost_s.value(),
                                          auto_neutral=self.auto_neutral.isChecked()),
            music=dataclasses.replace(c.music, min_confidence=self.music_conf.value()),
            gestures=dataclasses.replace(c.gestures, threshold=self.gesture_threshold.value()),
            ui=dataclasses.replace(c.ui, theme=self.theme.currentText(),
                                   check_seconds=self.check_seconds.value(),
                                   check_countdown_s=self.check_countdown.value()))
