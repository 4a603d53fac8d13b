"""Settings, personal profiles and the pause-all key in the window: the Settings dialog
(its Profiles page wired to the running session), switching the profile in use, starting a
calibration (`calibrate_flow.CalibrationFlow` records and fits it), and the active
profile's pause-all shortcut."""

from __future__ import annotations

from app.ui.actions import ACTIONS


class ProfileActions:
    """The File > Settings, Check > Calibrate and Music > Pause-all handlers."""

    def __init__(self, window) -> None:
        self.window = window

    def open_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        w = self.window
        dialog = SettingsDialog(w.config, list(w.cameras), w,
                                music_skipped=w.music.skipped_files())
        self._wire_profiles_page(dialog)
        if dialog.exec():
            w.apply_config(dialog.config())

    def _wire_profiles_page(self, dialog) -> None:
        """Settings > Profiles: "Use" switches the running session's profile, and each
        gesture's live bar follows the newest smoothed probabilities while it is open."""
        from PySide6.QtCore import QTimer

        w = self.window
        dialog.profiles.store = w.calibration.store
        dialog.profiles.refresh()
        dialog.profiles.use_requested.connect(self.use_profile_named)
        live = QTimer(dialog)
        live.setInterval(100)
        live.timeout.connect(lambda: dialog.profiles.set_live(
            w.latest.state.probs if w.latest is not None and w.latest.state
            else None))
        live.timeout.connect(lambda: dialog.gestures_page.set_live(
            *((w.latest.face_levels, w.latest.hold) if w.latest is not None
              else (None, None))))
        live.start()

    def use_profile_named(self, name: str) -> None:
        """Use the stored profile `name` from now on ("" = none), in the running session."""
        from app.profiles.profile import ProfileError

        w = self.window
        if not name:
            w.calibration.use(None, None)
            w.face_actions.face_calibration = None
            w.statusBar().showMessage("No personal profile: the shipped weights alone", 5000)
            return
        store = w.calibration.store
        try:
            profile = store.load(name)
        except ProfileError as exc:
            w.statusBar().showMessage(str(exc), 10000)
            return
        w.calibration.use(profile, str(store.path_for(name)))
        w.face_actions._face_calibration_of(profile)
        w.statusBar().showMessage(f"Profile {name!r} in use", 5000)

    def start_calibration(self, expressions=None) -> bool:
        """Check > Calibrate: ask which expressions (unless given), then record them."""
        if expressions is None:
            from app.ui.calibrate_dialogs import ChooseExpressions

            chooser = ChooseExpressions(self.window)
            if not chooser.exec():
                return False
            expressions = chooser.chosen()
        return self.window.calibration.start(expressions)

    def pause_all_gestures(self) -> None:
        """The pause-all key: the same lock as the pause-all ("lock") gesture."""
        self.window.actions["lock"].toggle()

    def set_pause_shortcut(self, key: str | None) -> None:
        """The active profile's pause-all key (None: the default); menu and F1 follow."""
        from PySide6.QtGui import QKeySequence

        actions = self.window.actions
        default = next(a[3] for a in ACTIONS if a[0] == "pause_all")
        taken = {a.shortcut().toString() for k, a in actions.items() if k != "pause_all"}
        seq = QKeySequence(key or default)
        if seq.isEmpty() or seq.toString() in taken:
            seq = QKeySequence(default)  # never steal another action's key
        actions["pause_all"].setShortcut(seq)
        actions["pause_all"].setToolTip(f"Pause all gestures ({seq.toString()})")
