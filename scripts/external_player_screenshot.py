"""Screenshots of the music dock following a real external player, for docs/MUSIC.md.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/external_player_screenshot.py

Starts what the tests start (tests/music/mprishelp.py): a private D-Bus session bus and
VLC speaking MPRIS on it, playing the demo tracks. The window's music controller is the
external back-end following that VLC (lift mode); a scripted sad face held for 3 s lifts
the mood. Writes docs/music-external.png (the dock following VLC), docs/music-external-
gone.png (VLC killed: the dock says so) and docs/settings-music-external.png (Settings >
Music with the external player chosen). Needs dbus-daemon and vlc (scripts/setup.sh).
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "ui"))
from PySide6.QtWidgets import QApplication  # noqa: E402
from qtwait import wait_until  # noqa: E402 - scripts/ is sys.path[0]

from app.config import AppConfig  # noqa: E402
from app.ui.theme import apply_theme  # noqa: E402

DOCS = ROOT / "docs"


def _wait(app, pred) -> None:
    wait_until(app, pred, 20.0, "the dock", poll_s=0.02)


def main() -> int:
    from uihelp import ListSource, ScriptedProcessor, frame

    from app.music.external_controller import create_external_controller
    from app.pipeline.session import FrameSession
    from app.ui.main_window import MainWindow
    from app.ui.settings_dialog import SettingsDialog
    from tests.music.mprishelp import Rig

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, "light")
    base = AppConfig()
    config = dataclasses.replace(base, music=dataclasses.replace(
        base.music, backend="external", player="vlc", mode="lift",
        playlists={"happy": "Party mix", "sad": "Rainy day"}))
    rig = Rig()
    try:
        controller = create_external_controller(config, address=rig.bus.address)
        with tempfile.TemporaryDirectory() as tmp:
            window = MainWindow(config, config_file=Path(tmp) / "settings.toml",
                                music_controller=controller,
                                processor_factory=lambda: (ScriptedProcessor(lambda f: None),
                                                           None),
                                source_factory=lambda: ListSource())
            window.resize(1280, 720)
            window.show()
            _wait(app, lambda: controller.snapshot().external.connected)
            controller.set_volume(60)  # VLC starts at 100: leave room for the lift's step
            shown = {"emotion": "sad"}
            session = FrameSession(ScriptedProcessor(lambda f: shown["emotion"]),
                                   config.smoothing, config.gestures, music=controller)
            for k in range(30):  # 3 s of a sad face at 10 fps: lift mode answers it
                window.on_result(session.step(frame(k, 100 + k / 10)))
            _wait(app, lambda: "VLC media player" in window.music_panel.player.text()
                  and "playing" in window.music_panel.player.text())
            window.refresh()
            end = time.monotonic() + 0.5
            _wait(app, lambda: time.monotonic() > end)  # the dock grows to its new lines
            window.music_dock.grab().save(str(DOCS / "music-external.png"))
            rig.vlc.kill()
            _wait(app, lambda: "went away" in window.music_panel.player.text())
            window.music_dock.grab().save(str(DOCS / "music-external-gone.png"))
            settings = SettingsDialog(window.config, [], window)
            settings.resize(980, 560)
            settings.show()
            _wait(app, lambda: settings.isVisible())
            settings.music.grab().save(str(DOCS / "settings-music-external.png"))
            settings.reject()
            window.close()
    finally:
        rig.close()
    print("wrote", *(DOCS / n for n in ("music-external.png", "music-external-gone.png",
                                        "settings-music-external.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
