"""Face gestures in the window: the detector the next worker gets (settings plus the active
calibration), a profile's calibration put to use, and Check > Calibrate face gestures
(`face_calibrate.FaceCalibrationFlow` records; this keeps the result, in the active profile
or in the settings)."""

from __future__ import annotations


class FaceActions:
    """The window's face-gesture calibration and detector (issue 22)."""

    def __init__(self, window) -> None:
        self.window = window
        self.face_calibration = None  # a profile's FaceCalibration (music/face_calibration.py)
        self.face_flow = None

    def face_gesture_detector(self):
        """The face-gesture detector from the settings and the active calibration."""
        from app.music.face_gestures import FaceGestureDetector

        cal, config = self.face_calibration, self.window.config
        if cal is None:
            return FaceGestureDetector(config.face_gestures)
        return FaceGestureDetector(config.face_gestures, neutral=cal.neutral,
                                   thresholds=cal.thresholds)

    def _face_calibration_of(self, profile) -> None:
        """The profile's face-gesture calibration becomes the window's (later settings
        changes keep it); without one, the settings' thresholds and the running neutral."""
        from app.music.face_calibration import FaceCalibration, FaceCalibrationError

        w = self.window
        try:
            self.face_calibration = FaceCalibration.from_dict(profile.face_gestures) \
                if profile.face_gestures else None
        except FaceCalibrationError as exc:
            self.face_calibration = None
            w.statusBar().showMessage(f"The profile's face-gesture calibration is not used: "
                                      f"{exc}", 10000)
        if w.runner.worker is not None:
            w.runner.worker.set_face_gestures(self.face_gesture_detector())

    def start_face_calibration(self, gestures=None) -> bool:
        """Check > Calibrate face gestures: choose them (unless given), then record."""
        from app.ui.face_calibrate import ChooseGestures, FaceCalibrationFlow

        w = self.window
        if not w.config.face_gestures.enabled:
            w.statusBar().showMessage("Face gestures are off: turn them on in Settings > "
                                      "Gestures, then calibrate", 10000)
            return False
        if gestures is None:
            chooser = ChooseGestures(w.config.face_gestures.mapping, w)
            if not chooser.exec():
                return False
            gestures = chooser.chosen()
        if self.face_flow is None:
            self.face_flow = FaceCalibrationFlow(w)
        return self.face_flow.start(list(gestures))

    def save_face_calibration(self, cal) -> str:
        """Keep a face-gesture calibration: in the active profile, else its thresholds in
        the settings; the running session uses it from the next frame. Says where."""
        import dataclasses as dc

        from app.profiles.profile import ProfileError, load_profile, save_profile

        w = self.window
        self.face_calibration = cal
        where = "the settings"
        if w.profile_path:
            try:
                path = w.calibration.store.resolve(w.profile_path)
                profile = load_profile(path)
                save_profile(dc.replace(profile, face_gestures=cal.to_dict()), path)
                where = f"profile {profile.name!r}"
            except (ProfileError, OSError) as exc:
                w.statusBar().showMessage(f"The profile could not be updated ({exc}); the "
                                          "thresholds go to the settings instead", 10000)
                w.profile_path = None
        if not w.profile_path:
            f = w.config.face_gestures
            w.apply_config(dc.replace(w.config, face_gestures=dc.replace(
                f, thresholds={**f.thresholds, **cal.thresholds})))
        if w.runner.worker is not None:
            w.runner.worker.set_face_gestures(self.face_gesture_detector())
        w.statusBar().showMessage(f"Face-gesture calibration saved in {where}", 8000)
        return where
