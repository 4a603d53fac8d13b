"""The main window: live video, probability panel, guided check, music dock, status bar.

Results arrive from the pipeline worker one per processed frame; on arrival only cheap
book-keeping runs (latest result, fps; the guided check was already stepped in the session
and its state came with the result). Painting happens on a timer from the latest result and
is skipped while the window is hidden or minimised, so the UI thread never waits on
inference and never falls behind the camera.

The window lays out the panels and paints; small parts own the rest: `restart.
PipelineControl` (starting and restarting the pipeline, the source's messages, the pin),
`check_controller.CheckController` (the guided check), `profile_actions.ProfileActions`
(settings, profiles, calibration, the pause-all key), `face_actions.FaceActions` (face
gestures), `music_bridge.MusicBridge` (the dock) and `calibrate_flow.CalibrationFlow`. Menu
actions find their handler on the window or on one of these (`actions.handler_of`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.config import AppConfig, save_config
from app.pipeline.neutral import status_text as neutral_status
from app.pipeline.stats import RateMeter, latency_text
from app.pipeline.worker import PipelineRunner, ProcessorFactory, SourceFactory
from app.records import CheckState, FrameResult
from app.ui.actions import build_actions, show_shortcuts
from app.ui.banner import MessageBanner, settings_message
from app.ui.calibrate_flow import CalibrationFlow
from app.ui.check_controller import CheckController
from app.ui.confusion_panel import ConfusionPanel
from app.ui.face_actions import FaceActions
from app.ui.music_bridge import MusicBridge
from app.ui.music_panel import MusicPanel, music_dock
from app.ui.prob_panel import ProbabilityPanel
from app.ui.profile_actions import ProfileActions
from app.ui.restart import PipelineControl
from app.ui.right_panels import RightPanels
from app.ui.theme import apply_theme
from app.ui.video_view import VideoView

PAINT_INTERVAL_MS = 33


class MainWindow(QMainWindow):
    pipeline_stopped = Signal(str)  # the source failed to open, or ended
    frame_booked = Signal(object)  # every result after the window booked it (booth mode)
    source_status = Signal(str)  # camera fault / reconnection text; "" when it is over
    def __init__(self, config: AppConfig, config_file: Path | None = None,
                 problems: tuple[str, ...] = (), source: str | None = None,
                 processor_factory: ProcessorFactory | None = None,
                 source_factory: SourceFactory | None = None, pace: bool = True,
                 music_controller: object | None = None,
                 music_message: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Emotune — expressions that play music")
        self.config = config
        self.config_file = config_file
        self.source_spec = source or config.capture.source
        self._processor_factory = processor_factory
        self._source_factory = source_factory
        self._pace = pace
        self.runner = PipelineRunner(self)
        self.latest: FrameResult | None = None
        self._painted: FrameResult | None = None
        self.frames_seen = 0
        self.fps = RateMeter()
        self.notice: str | None = None
        self.checks = CheckController(self)  # the guided check (stepped in the session)
        self.start_check_on_first_frame = False
        self.cameras: list[int] = []  # filled by probe_cameras()
        # Probe once the source is open (or failed): probing while the pipeline opens the
        # same camera could make that open fail.
        self.probe_cameras_when_started = False

        self.video = VideoView()
        self.probs = ProbabilityPanel()
        self.confusion = ConfusionPanel(self.checks.state)
        self.banner = MessageBanner()  # one line, Details, close (issue #25)
        self._banner_kind: str | None = None
        self.right_stack = RightPanels(self.probs, self.confusion)
        self.right, self.right_tabs = self.right_stack.split, self.right_stack.tabs
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.video)
        split.addWidget(self.right_stack)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([780, 560])
        self.split = split
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        self.setCentralWidget(central)

        self.music_panel = MusicPanel()
        self.music_dock = music_dock(self, self.music_panel)
        self.music = MusicBridge(self.music_panel, music_controller, config, music_message,
                                 self)

        self.status_fps = QLabel("– fps")
        self.status_latency = QLabel("no timings yet")
        self.status_dropped = QLabel("dropped 0")
        self.status_device = QLabel("device –")
        self.status_source = QLabel("")
        self.status_neutral = QLabel("")  # issue 27: the automatic neutral's state
        for w, name in ((self.status_neutral, "Automatic neutral"),
                        (self.status_fps, "Processed frames per second"),
                        (self.status_latency, "Latency per stage"),
                        (self.status_dropped, "Dropped frames"),
                        (self.status_device, "Inference device"),
                        (self.status_source, "Video source")):
            w.setAccessibleName(name)
            self.statusBar().addPermanentWidget(w)

        self.pipeline = PipelineControl(self)  # start, restart, the source's messages
        self.profile_actions = ProfileActions(self)  # settings, profiles, calibrate
        self.face_actions = FaceActions(self)  # face-gesture detector and calibration
        self.parts = (self.pipeline, self.checks, self.profile_actions, self.face_actions,
                      self.music)
        self.actions = build_actions(self)
        self.profile_path: str | None = None  # --profile, or the one chosen in the window
        self.calibration = CalibrationFlow(self)
        self.video.face_clicked.connect(self.pipeline.pin_at)
        self.video.unpin_requested.connect(self.pipeline.unpin)
        self.video.open_file_requested.connect(self.pipeline.open_video_file)
        self.confusion.start_requested.connect(self.start_check)
        self.confusion.reset_requested.connect(self.reset_check)
        self.confusion.export_png_requested.connect(self.checks.export_png)
        self.confusion.export_csv_requested.connect(self.checks.export_csv)
        self.apply_theme(config.ui.theme)
        self._set_checked("members", True)
        self._set_checked("contrast", config.ui.theme == "high-contrast")
        if problems:
            self.show_banner(settings_message(problems))
        self.timer = QTimer(self)
        self.timer.setInterval(PAINT_INTERVAL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # -- what menus, tests, the booth and the calibration call here; the parts do it -------
    def start_pipeline(self, spec: str | None = None) -> None:
        self.pipeline.start(spec)

    @property
    def check(self) -> CheckState:
        """The guided check as the newest result (or a start or reset) left it."""
        return self.checks.state

    def start_check(self) -> None:
        self.checks.start_check()

    def reset_check(self) -> None:
        self.checks.reset_check()

    def start_calibration(self, expressions=None) -> bool:
        return self.profile_actions.start_calibration(expressions)

    def set_pause_shortcut(self, key: str | None) -> None:
        self.profile_actions.set_pause_shortcut(key)

    @Slot(object)
    def on_result(self, result: FrameResult) -> None:
        sender = self.sender()
        if hasattr(sender, "result_taken"):
            sender.result_taken()  # let the worker queue the next one (back-pressure)
        if sender is not None and sender is not self.runner.worker:
            return  # an old worker's queued result, after a restart
        self.latest = result
        self.frames_seen += 1
        self.fps.tick(result.frame.timestamp)
        if self.start_check_on_first_frame:
            self.start_check_on_first_frame = False
            self.checks.start(t=result.frame.timestamp)
        self.checks.on_result(result)  # the session counted it; keep the state to paint
        self.calibration.on_result(result)  # Check > Calibrate records this frame
        self.music.on_result(result)
        self.frame_booked.emit(result)

    def reset_visitor_state(self) -> None:
        """A new visitor (booth mode): smoothing, guided check, pin and music start over."""
        if self.runner.worker is not None:
            self.runner.worker.reset_state()
        self.reset_check()
        self.music.reset_for_visitor()

    def show_banner(self, text: str, kind: str = "settings") -> None:
        """Show (or with "" hide) the red banner; `kind` says what clears it ("source": a
        source opening, e.g. a video after "camera 0 could not be opened")."""
        self._banner_kind = kind if text else None
        self.banner.show_message(text)

    # -- painting ---------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Paint the latest result, once; nothing while hidden or minimised."""
        if not self.isVisible() or self.isMinimized():
            return
        if self.latest is not None:
            self.checks.refresh()
        self.music.refresh()
        result = self.latest
        if result is None or result is self._painted:
            return
        self._painted = result
        if self.video.message and not self.video.offering_file:
            self.video.set_message(None)
        self.video.set_result(result, pinned=self.pipeline.pinned())
        self.probs.set_result(result)
        self.status_fps.setText(f"{self.fps.rate():.1f} fps")
        self.status_latency.setText(latency_text(result.timings_ms))
        self.status_dropped.setText(f"dropped {result.dropped}")
        self.status_device.setText(f"device {result.device.upper()}")
        pred = result.primary_face.prediction if result.primary_face is not None else None
        self.status_neutral.setText(neutral_status(
            self.config.smoothing.auto_neutral, pred,
            pred is not None and "+profile" in pred.fusion))

    # -- settings -----------------------------------------------------------------------
    def apply_theme(self, name: str) -> None:
        theme = apply_theme(QApplication.instance(), name)
        for panel in (self.video, self.probs, self.confusion):
            panel.set_theme(theme)
        self.right_stack.arrange(tabs=theme.name == "high-contrast")
        self.music_panel.set_compact(theme.name == "high-contrast")
        # The dock keeps the height it was given first; fit it to its content again, or it
        # overlaps the status bar on a short screen.
        self.resizeDocks([self.music_dock], [self.music_dock.minimumSizeHint().height()],
                         Qt.Orientation.Vertical)

    def apply_config(self, config: AppConfig, save: bool = True) -> None:
        """Use new settings; restart the pipeline when capture, model or smoothing changed."""
        old, self.config = self.config, config
        if save:
            try:
                save_config(config, self.config_file)
            except OSError as exc:
                self.show_banner(f"Settings could not be saved ({exc}); they apply until you "
                                 "quit.")
        self.apply_theme(config.ui.theme)
        if (old.ui.check_seconds, old.ui.check_countdown_s) != (config.ui.check_seconds,
                                                                config.ui.check_countdown_s):
            self.reset_check()  # a new check with the new timing (counts cleared)
        self.music.apply_config(config)
        if old.gestures != config.gestures and self.runner.worker is not None:
            self.runner.worker.set_gesture_config(config.gestures)
        if old.face_gestures != config.face_gestures and self.runner.worker is not None:
            self.runner.worker.set_face_gestures(self.face_actions.face_gesture_detector())
        changed = [f.name for f in dataclasses.fields(AppConfig)
                   if getattr(old, f.name) != getattr(config, f.name)]
        face_on = old.face_gestures.enabled != config.face_gestures.enabled  # the landmarker
        if {"capture", "model", "smoothing"} & set(changed) or face_on:
            self.start_pipeline(config.capture.source if old.capture.source !=
                                config.capture.source else None)

    # -- the View and Help menus' handlers (app.ui.actions.ACTIONS) -------------------------
    def toggle_members(self, on: bool) -> None:
        self.probs.set_show_members(on)

    def toggle_contrast(self, on: bool) -> None:
        theme = "high-contrast" if on else ("light" if self.config.ui.theme == "high-contrast"
                                            else self.config.ui.theme)
        self.apply_config(dataclasses.replace(
            self.config, ui=dataclasses.replace(self.config.ui, theme=theme)))

    def toggle_fullscreen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def show_shortcuts(self) -> None:
        show_shortcuts(self)

    def _set_checked(self, key: str, on: bool) -> None:
        action = self.actions[key]
        action.blockSignals(True)
        action.setChecked(on)
        action.blockSignals(False)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.timer.stop()
        self.runner.stop(wait=True, timeout_ms=1500)
        self.runner.wait_all(1500)
        self.calibration.close()
        self.music.close()
        super().closeEvent(event)
