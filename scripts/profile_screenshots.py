"""Screenshots of Settings > Profiles and the before/after view for docs/PROFILES.md.

    xvfb-run -a .venv/bin/python scripts/profile_screenshots.py PROFILE.emoprofile.npz
    xvfb-run -a .venv/bin/python scripts/profile_screenshots.py PROFILE.emoprofile.npz \
        --window S011

Copies the profile into a temporary profiles folder (the user's own is not touched) and
writes docs/profiles-settings.png and docs/profiles-before-after.png. With `--window
SUBJECT` instead: the main window (shipped weights) in front of a fake camera showing that
CK+ subject following the prompts of Check > Calibrate: docs/profiles-calibrating.png
(the check recording an expression), docs/profiles-window-review.png (the window's own
before/after review, nothing saved) and docs/profiles-settings.png (the Settings dialog's
Profiles page, with the given profile stored).
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from PySide6.QtWidgets import QApplication  # noqa: E402
from qtwait import wait_until  # noqa: E402 - scripts/ is sys.path[0]

from app.labels import INDEX  # noqa: E402
from app.profiles.store import ProfileStore  # noqa: E402
from app.ui.profiles_view import BeforeAfterView, ProfilesSection  # noqa: E402
from app.ui.theme import apply_theme  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"


def window_shots(app, profile_file: str, subject: str) -> None:
    from app.config import AppConfig
    from app.pipeline.check import CheckPhase
    from app.pipeline.worker import app_processor_factory
    from app.train.people import ckplus_people, person_bank
    from app.ui.main_window import MainWindow
    from app.ui.settings_dialog import SettingsDialog
    from tests.ui.uihelp import PromptedPerson

    datasets = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    bank = person_bank(ckplus_people(datasets / "ckplus48.tar.gz"), subject, "calib")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = AppConfig()
        cfg = dataclasses.replace(cfg, music=dataclasses.replace(cfg.music, enabled=False))
        holder = {}
        window = MainWindow(cfg, config_file=Path(tmp) / "settings.toml",
                            source_factory=lambda: holder["camera"],
                            processor_factory=app_processor_factory(cfg))
        holder["camera"] = PromptedPerson(bank, window, after="happy", size=(640, 480),
                                          face_px=260)
        window.calibration.store = ProfileStore(Path(tmp) / "profiles")
        window.resize(1280, 760)
        window.show()
        window.start_pipeline()
        wait_until(app, lambda: window.latest is not None)
        window.start_calibration(sorted(bank))
        check = lambda: window.check  # noqa: E731 (the newest state the session sent)
        wait_until(app, lambda: window.calibration.state == "recording" and window.latest
               and (st := check().status).phase
               == CheckPhase.RECORDING and st.step == 2 and st.remaining_s < check().seconds / 2)
        time.sleep(0.1)
        wait_until(app, lambda: True)
        window.grab().save(str(DOCS / "profiles-calibrating.png"))
        wait_until(app, lambda: window.calibration.state == "review")
        dialog = window.calibration.dialog
        dialog.name.setText(subject)
        dialog.resize(1000, dialog.sizeHint().height())
        for _ in range(5):
            app.processEvents()
        dialog.grab().save(str(DOCS / "profiles-window-review.png"))
        dialog.reject()  # discard: nothing written
        from app.profiles.profile import load_profile

        window.calibration.store.save(dataclasses.replace(load_profile(profile_file),
                                                          name=f"{subject} (study)"))
        settings = SettingsDialog(window.config, [], window)
        window.profile_actions._wire_profiles_page(settings)
        settings.pages.setCurrentWidget(settings.profiles)
        settings.resize(980, 470)
        settings.show()
        end = time.monotonic() + 1.0
        wait_until(app, lambda: time.monotonic() > end)  # the live bars follow the happy face
        settings.grab().save(str(DOCS / "profiles-settings.png"))
        settings.reject()
        window.close()
    print("wrote", *(DOCS / n for n in ("profiles-calibrating.png",
                                        "profiles-window-review.png",
                                        "profiles-settings.png")))


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, "light")
    if "--window" in sys.argv:
        window_shots(app, sys.argv[1], sys.argv[sys.argv.index("--window") + 1])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = ProfileStore(tmp)
        profile = store.import_file(sys.argv[1])
        section = ProfilesSection(store)
        section.resize(900, 420)
        probs = np.zeros(7)
        probs[INDEX["happy"]], probs[INDEX["surprise"]] = 0.64, 0.2
        section.set_live(probs)
        section.show()
        view = BeforeAfterView(profile.guard)
        view.resize(1100, 470)
        view.show()
        for _ in range(5):
            app.processEvents()
        section.grab().save(str(DOCS / "profiles-settings.png"))
        view.grab().save(str(DOCS / "profiles-before-after.png"))
    print("wrote", DOCS / "profiles-settings.png", DOCS / "profiles-before-after.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
