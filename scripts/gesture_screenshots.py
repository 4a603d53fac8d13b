"""Screenshots of face gestures for docs/GESTURES.md (run under Xvfb).

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/gesture_screenshots.py \
        [--subject S075]

The main window (shipped weights, music off) in front of a fake camera showing one CK+
subject: a calm face, then surprise (mouth open, brows up) for a few seconds, in a loop.
Writes docs/gestures-hold.png (the hold bar filling under the face) and
docs/gestures-settings.png (Settings > Gestures with its live bars while the mouth is open).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from PySide6.QtWidgets import QApplication  # noqa: E402
from qtwait import wait_until  # noqa: E402 - scripts/ is sys.path[0]

from app.records import Frame  # noqa: E402
from app.ui.theme import apply_theme  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"


class LoopingPerson:
    """A 10 fps camera: `calm` for 3 s, then `move` for 4 s, over and over."""

    fps = 10.0
    description = "fake camera (one person making a face gesture)"

    def __init__(self, calm, move) -> None:
        self.calm, self.move, self.k = calm, move, 0

    def read(self) -> Frame:
        from app.capture.facevideo import compose_frame

        t = self.k / self.fps
        self.k += 1
        face = self.move if (t % 7.0) >= 3.0 else self.calm
        return Frame(self.k - 1, t, compose_frame(face, (640, 480), t, face_px=260), "fake")

    def close(self) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", default="S075")
    args = parser.parse_args()
    from app.config import AppConfig, FaceGestureConfig
    from app.pipeline.worker import app_processor_factory
    from app.train.people import ckplus_people, person_bank
    from app.ui.main_window import MainWindow
    from app.ui.settings_dialog import SettingsDialog

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, "light")
    datasets = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    bank = person_bank(ckplus_people(datasets / "ckplus48.tar.gz"), args.subject, "test")
    calm = next(bank[e][0] for e in ("sad", "angry", "disgust", "fear") if e in bank)
    camera = LoopingPerson(calm, bank["surprise"][0])
    cfg = AppConfig(face_gestures=FaceGestureConfig(
        enabled=True, mapping={"brows_up": "play_pause", "mouth_open": "next"}, hold_s=1.5))
    cfg = dataclasses.replace(cfg, music=dataclasses.replace(cfg.music, enabled=False))
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(cfg, config_file=Path(tmp) / "settings.toml",
                            source_factory=lambda: camera,
                            processor_factory=app_processor_factory(cfg))
        window.resize(1280, 760)
        window.show()
        window.start_pipeline()
        wait_until(app, lambda: (r := window.latest) is not None and r.hold is not None
               and r.hold.state == "armed" and 0.45 < r.hold.fraction < 0.8)
        for _ in range(3):
            app.processEvents()
        window.grab().save(str(DOCS / "gestures-hold.png"))
        settings = SettingsDialog(window.config, [], window)
        window.profile_actions._wire_profiles_page(settings)
        settings.pages.setCurrentWidget(settings.gestures_page)
        settings.resize(900, 700)
        settings.show()
        wait_until(app, lambda: (r := window.latest) is not None and r.face_levels
               and r.face_levels["mouth_open"][0] > 0.3)
        end = time.monotonic() + 0.5
        wait_until(app, lambda: time.monotonic() > end)  # the live timer repaints the bars
        settings.grab().save(str(DOCS / "gestures-settings.png"))
        settings.reject()
        window.close()
    print("wrote", DOCS / "gestures-hold.png", DOCS / "gestures-settings.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
