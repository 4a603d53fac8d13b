"""Starting, stopping and restarting the pipeline from the window, and what its worker says
about the source (opened, a camera fault, failed, ended, a notice, a bad frame).

`PipelineControl` makes each `PipelineWorker` (the source and processor factories, the
personal profile, the window's music controller and guided check), hands it to the
window's `PipelineRunner`, and turns the worker's signals into the video message, the
banner and the status bar. Only the worker now running may speak: an old worker's queued
signals are dropped after a restart.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog

from app.pipeline.primary import face_at
from app.pipeline.worker import (
    PipelineWorker,
    app_processor_factory,
    app_source_factory,
    with_profile,
)
from app.ui.banner import split_message


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


class PipelineControl(QObject):
    """The window's pipeline: (re)start, stop, the source's messages, the face pin."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window

    # -- pipeline ---------------------------------------------------------------------
    def start(self, spec: str | None = None) -> None:
        """(Re)start capture and recognition on `spec` (camera index, file or folder)."""
        w = self.window
        if spec is not None:
            w.source_spec = spec
        w.runner.stop(wait=False)
        w.calibration.cancel()  # a recording listens to the old worker: both stop with it
        if w.face_actions.face_flow is not None:
            w.face_actions.face_flow.cancel()
        w.latest = w._painted = None
        w.fps.reset()
        w.notice = None
        w.probs.set_notice(None)
        w.probs.set_result(None)
        w.video.set_message(f"Opening {self._describe(w.source_spec)}…")
        w.status_source.setText(self._describe(w.source_spec))
        sources = w._source_factory or app_source_factory(w.source_spec, w.config)
        processors = w._processor_factory or app_processor_factory(w.config)
        hook = None
        if w.profile_path:  # --profile NAME|PATH, or Settings > Profiles (app/profiles)
            processors, hook, refused = with_profile(processors, w.profile_path)
            if hook is not None:
                w.set_pause_shortcut(hook.profile.pause_shortcut)
            if refused:
                w.probs.set_notice(refused)
                w.statusBar().showMessage(split_message(refused)[0], 10000)
        worker = PipelineWorker(sources, processors, w.config.smoothing, pace=w._pace,
                                gestures=w.config.gestures, music=w.music.controller,
                                profile=hook,
                                face_gestures=w.face_actions.face_gesture_detector())
        worker.check = w.checks.steps  # the window's check outlives the worker
        worker.bounded = True  # on_result acknowledges each result (back-pressure)
        worker.result.connect(w.on_result)
        worker.error.connect(self.on_frame_error)
        worker.notice.connect(self.on_notice)
        worker.failed.connect(self.on_failed)
        worker.ended.connect(self.on_ended)
        worker.source_opened.connect(self.on_source_opened)
        worker.source_status.connect(self.on_source_status)
        w.runner.start(worker)
        w._set_checked("pause", False)

    def stop(self) -> None:
        self.window.runner.stop(wait=False)
        self.window.video.set_message("Paused. Press F5 to resume.")

    @staticmethod
    def _describe(spec: str) -> str:
        return f"camera {spec}" if spec.isdigit() else Path(spec).name or spec

    def _current(self) -> bool:
        """Whether the signal being handled comes from the worker now running (an old
        worker's queued results must not land after a restart)."""
        return self.sender() is None or self.sender() is self.window.runner.worker

    def _maybe_probe(self) -> None:
        if self.window.probe_cameras_when_started:
            self.window.probe_cameras_when_started = False
            self.probe_cameras()

    @Slot(str, float)
    def on_source_opened(self, description: str, fps: float) -> None:
        self._maybe_probe()
        w = self.window
        if self._current():
            if w._banner_kind == "source":  # e.g. "camera 0 could not be opened": over
                w.show_banner("")
            w.video.set_message("Loading the face detector and models…")
            w.status_source.setText(f"{Path(description).name or description} "
                                    f"({fps:.0f} fps)")

    @Slot(str)
    def on_source_status(self, text: str) -> None:
        """A camera fault: say it over the (frozen) picture and in the banner; clear both
        once frames flow again."""
        if not self._current():
            return
        w = self.window
        if text:
            w.video.set_message(text)
            w.show_banner(text, kind="source")
        else:
            w.video.set_message(None)
            if w._banner_kind == "source":
                w.show_banner("")
            w.statusBar().showMessage("The camera is back.", 5000)
        w.source_status.emit(text)

    @Slot(str)
    def on_frame_error(self, message: str) -> None:
        if self._current():
            self.window.statusBar().showMessage(f"A frame failed: {message}", 5000)

    @Slot(str)
    def on_notice(self, message: str) -> None:
        if self._current():
            self.window.notice = message
            self.window.probs.set_notice(message)
            self.window.statusBar().showMessage(split_message(message)[0], 10000)

    @Slot(str, str)
    def on_failed(self, kind: str, message: str) -> None:
        self._maybe_probe()
        if not self._current():
            return
        w = self.window
        headline = split_message(message)[0]
        if kind == "source":
            w.video.set_message(f"No video: {headline}", offer_file=True)
        else:
            w.video.set_message(headline)
        w.show_banner(message, kind="source")
        w._set_checked("pause", True)  # F5 tries again
        w.pipeline_stopped.emit(message)

    @Slot(str)
    def on_ended(self, message: str) -> None:
        if self._current():
            w = self.window
            what = ended_text(w.source_spec, message)
            w.video.set_message(f"{what} Open another source with Ctrl+O, or press F5 to "
                                "start it again.", offer_file=True)
            w._set_checked("pause", True)  # F5 plays it again
            w.pipeline_stopped.emit(message)

    # -- the File and Video menus' handlers (app.ui.actions.ACTIONS) ---------------------
    @Slot(float, float)
    def pin_at(self, x: float, y: float) -> None:
        w = self.window
        worker, result = w.runner.worker, w.latest
        if worker is None or result is None:
            return
        hit = face_at(result.faces, x, y)
        if hit is None:
            w.statusBar().showMessage("No face there; click inside a box to pin it", 3000)
            return
        box = result.faces[hit].box
        worker.set_pin((box.x + box.w / 2, box.y + box.h / 2))
        w.statusBar().showMessage("Face pinned (Esc or right-click to unpin)", 3000)

    @Slot()
    def unpin(self) -> None:
        if self.window.runner.worker is not None:
            self.window.runner.worker.set_pin(None)
            self.window.statusBar().showMessage("Unpinned: the largest face drives the app",
                                                3000)

    def pinned(self) -> bool:
        worker = self.window.runner.worker
        return worker is not None and worker.pin is not None

    def open_video_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open a video file", str(Path.home()),
            "Videos (*.mp4 *.avi *.mkv *.mov *.webm);;All files (*)")
        if path:
            self.window.start_pipeline(path)

    def open_image_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Open a folder of images",
                                                str(Path.home()))
        if path:
            self.window.start_pipeline(path)

    def use_camera(self) -> None:
        spec = self.window.config.capture.source
        self.window.start_pipeline(spec if spec.isdigit() else "0")

    def toggle_pause(self, paused: bool) -> None:
        if paused:
            self.stop()
        else:
            self.window.start_pipeline()

    def probe_cameras(self) -> None:
        """List the cameras on a background thread (opening each index can take a second);
        the settings dialog shows what was found by then."""
        from app.pipeline.worker import list_cameras

        def probe() -> None:
            self.window.cameras = list_cameras()

        threading.Thread(target=probe, name="emotune-camera-probe", daemon=True).start()
