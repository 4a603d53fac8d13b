"""The main window: live video, probability panel, guided check, music dock, status bar.

Results arrive from the pipeline worker one per processed frame; on arrival only cheap
book-keeping runs (latest result, fps, the guided check's counting). Painting happens on a
timer from the latest result and is skipped while the window is hidden or minimised, so
the UI thread never waits on inference and never falls behind the camera.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import AppConfig, save_config
from app.pipeline.check import GuidedCheck
from app.pipeline.neutral import status_text as neutral_status
from app.pipeline.stats import RateMeter, latency_text
from app.pipeline.worker import (
    PipelineRunner,
    PipelineWorker,
    ProcessorFactory,
    SourceFactory,
    app_processor_factory,
    app_source_factory,
    with_profile,
)
from app.records import FrameResult
from app.ui.actions import build_actions
from app.ui.banner import MessageBanner, split_message
from app.ui.calibrate_flow import CalibrationFlow
from app.ui.confusion_panel import ConfusionPanel
from app.ui.music_bridge import MusicBridge
from app.ui.music_panel import MusicPanel
from app.ui.prob_panel import ProbabilityPanel
from app.ui.theme import apply_theme
from app.ui.video_view import VideoView
from app.ui.window_actions import WindowActions

PAINT_INTERVAL_MS = 33


def ended_text(spec: str, message: str) -> str:
    """Why the picture stopped, in the words of what the source is: a failure is a failure,
    and only a video file "ended"."""
    if message.startswith("reading ") or "could not" in message or "none of" in message:
        return f"The source stopped: {message}."
    path = Path(spec)
    if spec.isdigit():
        return f"Camera {spec} stopped sending frames ({message})."
    if path.is_dir():
        return "The image folder has been shown to its end (looping is off in Settings)."
    return f"The video ended ({message})."


def settings_message(problems: tuple[str, ...] | list[str]) -> str:
    """The banner text for settings that could not be used: one headline, each problem a
    detail line (they were one wrapped paragraph of four or five lines before #25)."""
    if len(problems) == 1 and len(problems[0]) <= 90:
        return f"Settings: {problems[0]}"
    return (f"Settings: {len(problems)} values could not be used; the defaults apply "
            "(fix them in Settings).\n" + "\n".join(problems))


class MainWindow(WindowActions, QMainWindow):
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
        self.check = GuidedCheck(config.ui.check_seconds, config.ui.check_countdown_s)
        self.start_check_on_first_frame = False
        self.cameras: list[int] = []  # filled by probe_cameras()
        # Probe once the source is open (or failed): probing while the pipeline opens the
        # same camera could make that open fail.
        self.probe_cameras_when_started = False

        self.video = VideoView()
        self.probs = ProbabilityPanel()
        self.confusion = ConfusionPanel(self.check)
        self.banner = MessageBanner()  # one line, Details, close (issue #25)
        self._banner_kind: str | None = None
        # The probabilities above the check; in the high-contrast theme (large text) the two
        # are tabs instead, so neither is squeezed and the video keeps its size (issue #17).
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right_tabs = QTabWidget()
        self.right_tabs.setAccessibleName("Expressions and guided check")
        self.right_stack = QStackedWidget()
        self.right_stack.addWidget(self.right)
        self.right_stack.addWidget(self.right_tabs)
        self._arrange_right(tabs=False)
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
        dock = QDockWidget("Music", self)
        dock.setObjectName("music-dock")
        dock.setWidget(self.music_panel)
        dock.setAccessibleName("Music dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.music_dock = dock
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

        self.actions = build_actions(self)
        self.profile_path: str | None = None  # --profile, or the one chosen in the window
        self.calibration = CalibrationFlow(self)
        self.video.face_clicked.connect(self.pin_at)
        self.video.unpin_requested.connect(self.unpin)
        self.video.open_file_requested.connect(self.open_video_file)
        self.confusion.start_requested.connect(self.start_check)
        self.confusion.reset_requested.connect(self.reset_check)
        self.confusion.export_png_requested.connect(self.export_png)
        self.confusion.export_csv_requested.connect(self.export_csv)
        self.apply_theme(config.ui.theme)
        self._set_checked("members", True)
        self._set_checked("contrast", config.ui.theme == "high-contrast")
        if problems:
            self.show_banner(settings_message(problems))
        self.timer = QTimer(self)
        self.timer.setInterval(PAINT_INTERVAL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # -- pipeline ---------------------------------------------------------------------
    def start_pipeline(self, spec: str | None = None) -> None:
        """(Re)start capture and recognition on `spec` (camera index, file or folder)."""
        if spec is not None:
            self.source_spec = spec
        self.runner.stop(wait=False)
        self.calibration.cancel()
        self.latest = self._painted = None
        self.fps.reset()
        self.notice = None
        self.probs.set_notice(None)
        self.probs.set_result(None)
        self.video.set_message(f"Opening {self._describe(self.source_spec)}…")
        self.status_source.setText(self._describe(self.source_spec))
        sources = self._source_factory or app_source_factory(self.source_spec, self.config)
        processors = self._processor_factory or app_processor_factory(self.config)
        hook = None
        if self.profile_path:  # --profile NAME|PATH, or Settings > Profiles (app/profiles)
            processors, hook, refused = with_profile(processors, self.profile_path)
            if hook is not None:
                self.set_pause_shortcut(hook.profile.pause_shortcut)
            if refused:
                self.probs.set_notice(refused)
                self.statusBar().showMessage(split_message(refused)[0], 10000)
        worker = PipelineWorker(sources, processors, self.config.smoothing, pace=self._pace,
                                gestures=self.config.gestures, music=self.music.controller,
                                profile=hook, face_gestures=self.face_gesture_detector())
        worker.bounded = True  # on_result acknowledges each result (back-pressure)
        worker.result.connect(self.on_result)
        worker.error.connect(self.on_frame_error)
        worker.notice.connect(self.on_notice)
        worker.failed.connect(self.on_failed)
        worker.ended.connect(self.on_ended)
        worker.source_opened.connect(self.on_source_opened)
        worker.source_status.connect(self.on_source_status)
        self.runner.start(worker)
        self._set_checked("pause", False)

    def stop_pipeline(self) -> None:
        self.runner.stop(wait=False)
        self.video.set_message("Paused. Press F5 to resume.")

    @staticmethod
    def _describe(spec: str) -> str:
        return f"camera {spec}" if spec.isdigit() else Path(spec).name or spec

    def _current(self) -> bool:
        """Whether the signal being handled comes from the worker now running (an old
        worker's queued results must not land after a restart)."""
        return self.sender() is None or self.sender() is self.runner.worker

    @Slot(object)
    def on_result(self, result: FrameResult) -> None:
        sender = self.sender()
        if hasattr(sender, "result_taken"):
            sender.result_taken()  # let the worker queue the next one (back-pressure)
        if not self._current():
            return
        self.latest = result
        self.frames_seen += 1
        self.fps.tick(result.frame.timestamp)
        if self.start_check_on_first_frame:
            self.start_check_on_first_frame = False
            self.check.start(result.frame.timestamp)
        face = result.primary_face
        pred = face.prediction if face is not None else None
        self.check.update(pred.index if pred is not None else None, result.frame.timestamp)
        self.calibration.on_result(result)  # Check > Calibrate records this frame
        # The check asks for happy and surprise, which are also gestures: no gestures then.
        if self.runner.worker is not None:
            self.runner.worker.pause_gestures(self.check.running)
        self.music.on_result(result)
        self.frame_booked.emit(result)

    def _maybe_probe(self) -> None:
        if self.probe_cameras_when_started:
            self.probe_cameras_when_started = False
            self.probe_cameras()

    @Slot(str, float)
    def on_source_opened(self, description: str, fps: float) -> None:
        self._maybe_probe()
        if self._current():
            if self._banner_kind == "source":  # e.g. "camera 0 could not be opened": over
                self.show_banner("")
            self.video.set_message("Loading the face detector and models…")
            self.status_source.setText(f"{Path(description).name or description} "
                                       f"({fps:.0f} fps)")

    @Slot(str)
    def on_source_status(self, text: str) -> None:
        """A camera fault: say it over the (frozen) picture and in the banner; clear both
        once frames flow again."""
        if not self._current():
            return
        if text:
            self.video.set_message(text)
            self.show_banner(text, kind="source")
        else:
            self.video.set_message(None)
            if self._banner_kind == "source":
                self.show_banner("")
            self.statusBar().showMessage("The camera is back.", 5000)
        self.source_status.emit(text)

    def reset_visitor_state(self) -> None:
        """A new visitor (booth mode): smoothing, guided check, pin and music start over."""
        if self.runner.worker is not None:
            self.runner.worker.reset_state()
        self.reset_check()
        self.music.reset_for_visitor()

    @Slot(str)
    def on_frame_error(self, message: str) -> None:
        if self._current():
            self.statusBar().showMessage(f"A frame failed: {message}", 5000)

    @Slot(str)
    def on_notice(self, message: str) -> None:
        if self._current():
            self.notice = message
            self.probs.set_notice(message)
            self.statusBar().showMessage(split_message(message)[0], 10000)

    @Slot(str, str)
    def on_failed(self, kind: str, message: str) -> None:
        self._maybe_probe()
        if not self._current():
            return
        headline = split_message(message)[0]
        if kind == "source":
            self.video.set_message(f"No video: {headline}", offer_file=True)
        else:
            self.video.set_message(headline)
        self.show_banner(message, kind="source")
        self._set_checked("pause", True)  # F5 tries again
        self.pipeline_stopped.emit(message)

    @Slot(str)
    def on_ended(self, message: str) -> None:
        if self._current():
            what = ended_text(self.source_spec, message)
            self.video.set_message(f"{what} Open another source with Ctrl+O, or press F5 to "
                                   "start it again.", offer_file=True)
            self._set_checked("pause", True)  # F5 plays it again
            self.pipeline_stopped.emit(message)

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
        t = self.latest.frame.timestamp if self.latest is not None else None
        if t is not None:
            self.confusion.set_status(self.check.status(t))
        self.music.refresh()
        result = self.latest
        if result is None or result is self._painted:
            return
        self._painted = result
        if self.video.message and not self.video.offering_file:
            self.video.set_message(None)
        self.video.set_result(result, pinned=self._pinned())
        self.probs.set_result(result)
        self.status_fps.setText(f"{self.fps.rate():.1f} fps")
        self.status_latency.setText(latency_text(result.timings_ms))
        self.status_dropped.setText(f"dropped {result.dropped}")
        self.status_device.setText(f"device {result.device.upper()}")
        pred = result.primary_face.prediction if result.primary_face is not None else None
        self.status_neutral.setText(neutral_status(
            self.config.smoothing.auto_neutral, pred,
            pred is not None and "+profile" in pred.fusion))

    def _pinned(self) -> bool:
        worker = self.runner.worker
        return worker is not None and worker.pin is not None

    # -- settings -----------------------------------------------------------------------
    def apply_theme(self, name: str) -> None:
        theme = apply_theme(QApplication.instance(), name)
        for panel in (self.video, self.probs, self.confusion):
            panel.set_theme(theme)
        self._arrange_right(tabs=theme.name == "high-contrast")
        self.music_panel.set_compact(theme.name == "high-contrast")
        # The dock keeps the height it was given first; fit it to its content again, or it
        # overlaps the status bar on a short screen.
        self.resizeDocks([self.music_dock], [self.music_dock.minimumSizeHint().height()],
                         Qt.Orientation.Vertical)

    def _arrange_right(self, tabs: bool) -> None:
        """Probabilities and check stacked in a splitter, or as two tabs (large text)."""
        if tabs and self.right_stack.currentWidget() is not self.right_tabs:
            self.right_tabs.addTab(self.probs, "&Expressions")
            self.right_tabs.addTab(self.confusion, "&Guided check")
            self.right_stack.setCurrentWidget(self.right_tabs)
        elif not tabs and (self.right_stack.currentWidget() is not self.right
                           or self.right.count() == 0):
            self.right.addWidget(self.probs)
            self.right.addWidget(self.confusion)
            self.right.setStretchFactor(0, 2)
            self.right.setStretchFactor(1, 3)
            self.right.setSizes([330, 420])
            self.right_stack.setCurrentWidget(self.right)

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
            self.check = GuidedCheck(config.ui.check_seconds, config.ui.check_countdown_s)
            self.confusion.set_check(self.check)
            self.reset_check()
        self.music.apply_config(config)
        if old.gestures != config.gestures and self.runner.worker is not None:
            self.runner.worker.set_gesture_config(config.gestures)
        if old.face_gestures != config.face_gestures and self.runner.worker is not None:
            self.runner.worker.set_face_gestures(self.face_gesture_detector())
        changed = [f.name for f in dataclasses.fields(AppConfig)
                   if getattr(old, f.name) != getattr(config, f.name)]
        face_on = old.face_gestures.enabled != config.face_gestures.enabled  # the landmarker
        if {"capture", "model", "smoothing"} & set(changed) or face_on:
            self.start_pipeline(config.capture.source if old.capture.source !=
                                config.capture.source else None)

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
