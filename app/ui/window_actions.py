"""The window's user actions (menus, shortcuts, buttons), kept apart from the window's
pipeline and painting code. `MainWindow` mixes them in; each is one small step that calls
the worker, the check, the music bridge or a dialog."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Slot
from PySide6.QtWidgets import QFileDialog

from app.atomic import atomic_write_bytes
from app.pipeline.primary import face_at
from app.ui.actions import show_shortcuts


def save_image_atomically(image, path: str) -> bool:
    """Encode a QImage in memory, then write it with `app.atomic` (a crash mid-export never
    leaves a truncated PNG over an earlier one)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    fmt = Path(path).suffix.lstrip(".").upper() or "PNG"
    if not image.save(buffer, fmt):
        return False
    try:
        atomic_write_bytes(path, bytes(data.data()))
    except OSError:
        return False
    return True


class WindowActions:
    """Handlers named in `app.ui.actions.ACTIONS`; `self` is the MainWindow."""

    face_calibration = None  # a profile's FaceCalibration (app/music/face_calibration.py)

    def face_gesture_detector(self):
        """The face-gesture detector from the settings and the active calibration."""
        from app.music.face_gestures import FaceGestureDetector

        cal = self.face_calibration
        if cal is None:
            return FaceGestureDetector(self.config.face_gestures)
        return FaceGestureDetector(self.config.face_gestures, neutral=cal.neutral,
                                   thresholds=cal.thresholds)

    @Slot(float, float)
    def pin_at(self, x: float, y: float) -> None:
        worker, result = self.runner.worker, self.latest
        if worker is None or result is None:
            return
        hit = face_at(result.faces, x, y)
        if hit is None:
            self.statusBar().showMessage("No face there; click inside a box to pin it", 3000)
            return
        box = result.faces[hit].box
        worker.set_pin((box.x + box.w / 2, box.y + box.h / 2))
        self.statusBar().showMessage("Face pinned (Esc or right-click to unpin)", 3000)

    @Slot()
    def unpin(self) -> None:
        if self.runner.worker is not None:
            self.runner.worker.set_pin(None)
            self.statusBar().showMessage("Unpinned: the largest face drives the app", 3000)

    def open_video_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a video file", str(Path.home()),
            "Videos (*.mp4 *.avi *.mkv *.mov *.webm);;All files (*)")
        if path:
            self.start_pipeline(path)

    def open_image_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images", str(Path.home()))
        if path:
            self.start_pipeline(path)

    def start_check(self) -> None:
        self.calibration.cancel()  # the plain check replaces a calibration under way
        if self.right_stack.currentWidget() is self.right_tabs:
            self.right_tabs.setCurrentWidget(self.confusion)
        t = self.latest.frame.timestamp if self.latest is not None else 0.0
        self.confusion.set_status(self.check.start(t))

    def reset_check(self) -> None:
        self.calibration.cancel()
        self.confusion.set_status(self.check.reset())

    def export_png(self, path: str | None = None) -> str | None:
        path = path or QFileDialog.getSaveFileName(self, "Export the confusion matrix",
                                                   "emotune-check.png", "PNG (*.png)")[0]
        if path and save_image_atomically(self.confusion.render_image(), path):
            self.statusBar().showMessage(f"Saved {path}", 5000)
            return path
        return None

    def export_csv(self, path: str | None = None) -> str | None:
        path = path or QFileDialog.getSaveFileName(self, "Export the counts",
                                                   "emotune-check.csv", "CSV (*.csv)")[0]
        if path:
            self.check.write_csv(path)
            self.statusBar().showMessage(f"Saved {path}", 5000)
            return path
        return None

    def use_camera(self) -> None:
        spec = self.config.capture.source
        self.start_pipeline(spec if spec.isdigit() else "0")

    def toggle_pause(self, paused: bool) -> None:
        if paused:
            self.stop_pipeline()
        else:
            self.start_pipeline()

    def toggle_members(self, on: bool) -> None:
        self.probs.set_show_members(on)

    def toggle_contrast(self, on: bool) -> None:
        theme = "high-contrast" if on else ("light" if self.config.ui.theme == "high-contrast"
                                            else self.config.ui.theme)
        self.apply_config(dataclasses.replace(
            self.config, ui=dataclasses.replace(self.config.ui, theme=theme)))

    def toggle_fullscreen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def probe_cameras(self) -> None:
        """List the cameras on a background thread (opening each index can take a second);
        the settings dialog shows what was found by then."""
        from app.pipeline.worker import list_cameras

        def probe() -> None:
            self.cameras = list_cameras()

        threading.Thread(target=probe, name="emotune-camera-probe", daemon=True).start()

    def open_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.config, list(self.cameras), self,
                                music_skipped=self.music.skipped_files())
        self._wire_profiles_page(dialog)
        if dialog.exec():
            self.apply_config(dialog.config())

    def _wire_profiles_page(self, dialog) -> None:
        """Settings > Profiles: "Use" switches the running session's profile, and each
        gesture's live bar follows the newest smoothed probabilities while it is open."""
        from PySide6.QtCore import QTimer

        dialog.profiles.store = self.calibration.store
        dialog.profiles.refresh()
        dialog.profiles.use_requested.connect(self.use_profile_named)
        live = QTimer(dialog)
        live.setInterval(100)
        live.timeout.connect(lambda: dialog.profiles.set_live(
            self.latest.state.probs if self.latest is not None and self.latest.state
            else None))
        live.timeout.connect(lambda: dialog.gestures_page.set_live(
            *((self.latest.face_levels, self.latest.hold) if self.latest is not None
              else (None, None))))
        live.start()

    def use_profile_named(self, name: str) -> None:
        """Use the stored profile `name` from now on ("" = none), in the running session."""
        from app.profiles.profile import ProfileError

        if not name:
            self.calibration.use(None, None)
            self.face_calibration = None
            self.statusBar().showMessage("No personal profile: the shipped weights alone", 5000)
            return
        store = self.calibration.store
        try:
            profile = store.load(name)
        except ProfileError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            return
        self.calibration.use(profile, str(store.path_for(name)))
        self._face_calibration_of(profile)
        self.statusBar().showMessage(f"Profile {name!r} in use", 5000)

    def _face_calibration_of(self, profile) -> None:
        """The profile's face-gesture calibration becomes the window's (later settings
        changes keep it); without one, the settings' thresholds and the running neutral."""
        from app.music.face_calibration import FaceCalibration, FaceCalibrationError

        try:
            self.face_calibration = FaceCalibration.from_dict(profile.face_gestures) \
                if profile.face_gestures else None
        except FaceCalibrationError as exc:
            self.face_calibration = None
            self.statusBar().showMessage(f"The profile's face-gesture calibration is not used: "
                                         f"{exc}", 10000)
        if self.runner.worker is not None:
            self.runner.worker.set_face_gestures(self.face_gesture_detector())

    def start_calibration(self, expressions=None) -> bool:
        """Check > Calibrate: ask which expressions (unless given), then record them."""
        if expressions is None:
            from app.ui.calibrate_dialogs import ChooseExpressions

            chooser = ChooseExpressions(self)
            if not chooser.exec():
                return False
            expressions = chooser.chosen()
        return self.calibration.start(expressions)

    def start_face_calibration(self, gestures=None) -> bool:
        """Check > Calibrate face gestures: choose them (unless given), then record."""
        from app.ui.face_calibrate import ChooseGestures, FaceCalibrationFlow

        if not self.config.face_gestures.enabled:
            self.statusBar().showMessage("Face gestures are off: turn them on in Settings > "
                                         "Gestures, then calibrate", 10000)
            return False
        if gestures is None:
            chooser = ChooseGestures(self.config.face_gestures.mapping, self)
            if not chooser.exec():
                return False
            gestures = chooser.chosen()
        if getattr(self, "face_flow", None) is None:
            self.face_flow = FaceCalibrationFlow(self)
        return self.face_flow.start(list(gestures))

    def save_face_calibration(self, cal) -> str:
        """Keep a face-gesture calibration: in the active profile, else its thresholds in
        the settings; the running session uses it from the next frame. Says where."""
        import dataclasses as dc

        from app.profiles.profile import ProfileError, load_profile, save_profile

        self.face_calibration = cal
        where = "the settings"
        if self.profile_path:
            try:
                path = self.calibration.store.resolve(self.profile_path)
                profile = load_profile(path)
                save_profile(dc.replace(profile, face_gestures=cal.to_dict()), path)
                where = f"profile {profile.name!r}"
            except (ProfileError, OSError) as exc:
                self.statusBar().showMessage(f"The profile could not be updated ({exc}); the "
                                             "thresholds go to the settings instead", 10000)
                self.profile_path = None
        if not self.profile_path:
            f = self.config.face_gestures
            self.apply_config(dc.replace(self.config, face_gestures=dc.replace(
                f, thresholds={**f.thresholds, **cal.thresholds})))
        if self.runner.worker is not None:
            self.runner.worker.set_face_gestures(self.face_gesture_detector())
        self.statusBar().showMessage(f"Face-gesture calibration saved in {where}", 8000)
        return where

    def pause_all_gestures(self) -> None:
        """The pause-all key: the same lock as the pause-all ("lock") gesture."""
        self.actions["lock"].toggle()

    def set_pause_shortcut(self, key: str | None) -> None:
        """The active profile's pause-all key (None: the default); menu and F1 follow."""
        from PySide6.QtGui import QKeySequence

        from app.ui.actions import ACTIONS

        default = next(a[3] for a in ACTIONS if a[0] == "pause_all")
        taken = {a.shortcut().toString() for k, a in self.actions.items() if k != "pause_all"}
        seq = QKeySequence(key or default)
        if seq.isEmpty() or seq.toString() in taken:
            seq = QKeySequence(default)  # never steal another action's key
        self.actions["pause_all"].setShortcut(seq)
        self.actions["pause_all"].setToolTip(f"Pause all gestures ({seq.toString()})")

    def show_shortcuts(self) -> None:
        show_shortcuts(self)

    def music_play_pause(self) -> None:
        self.music.play_pause()

    def music_next(self) -> None:
        self.music.next()

    def music_previous(self) -> None:
        self.music.previous()

    def music_volume_up(self) -> None:
        self.music.change_volume(+10)

    def music_volume_down(self) -> None:
        self.music.change_volume(-10)

    def music_toggle_lock(self, on: bool) -> None:
        self.music.toggle_lock(on)
