"""Start the desktop app: settings, window, pipeline; and the --screenshot mode that grabs
the real window after N processed frames (for checks and demos) and exits."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.config import config_path, load_config
from app.ui.main_window import MainWindow
from app.ui.music_bridge import create_music_controller

SCREENSHOT_TIMEOUT_S = 180  # give up waiting for frames (e.g. a source that never opens)


class FrameCountExit:
    """After `n` processed frames: paint, grab the window into `png` (if given), quit 0.
    When the source ends or fails first, the grab still happens and the exit code is 1."""

    def __init__(self, app: QApplication, window: MainWindow, n: int, png: str | None) -> None:
        self.app, self.window, self.n, self.png = app, window, n, png
        self.done = False
        self._poll = QTimer(window)
        self._poll.setInterval(20)
        self._poll.timeout.connect(self._check)
        self._poll.start()
        QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, lambda: self.finish(1, "timed out"))
        window.pipeline_stopped.connect(lambda message: QTimer.singleShot(300, lambda: self.finish(
            1, f"the source stopped after {window.frames_seen} frames "
               f"({' '.join(message.splitlines())})")))

    def _check(self) -> None:
        if self.window.frames_seen >= self.n:
            self.finish(0, f"{self.window.frames_seen} frames processed")

    def finish(self, code: int, why: str) -> None:
        if self.done:
            return
        self.done = True
        self._poll.stop()
        self.window._painted = None  # force a paint of the newest result
        self.window.refresh()
        self.app.processEvents()
        if self.png:
            Path(self.png).parent.mkdir(parents=True, exist_ok=True)
            ok = self.window.grab().save(self.png)
            print(f"emotune: {why}; screenshot {'written to' if ok else 'FAILED for'} "
                  f"{self.png}", file=sys.stderr)
            code = code if ok else 1
        else:
            print(f"emotune: {why}; quitting", file=sys.stderr)
        self.window.force_close = True  # booth mode refuses a plain close
        self.window.close()
        self.app.exit(code)


PREFERRED_SIZE = (1360, 860)


def fit_to_screen(window: MainWindow, preferred: tuple[int, int] = PREFERRED_SIZE) -> None:
    """The preferred size, shrunk to the screen's free area (a 1366x768 laptop has ~740 px
    below its panels): a window taller than the screen hid the music controls and status
    bar."""
    screen = window.screen() or QApplication.primaryScreen()
    width, height = preferred
    if screen is not None:
        free = screen.availableGeometry()
        frame = 40  # title bar and borders the window manager adds around the window
        width, height = min(width, free.width()), min(height, free.height() - frame)
    window.resize(width, height)


def start_booth(window: MainWindow, config):
    """Booth mode: its log file and summary in the data folder, then lock the window."""
    from app.booth.stopping import install_stop_handlers
    from app.booth.summary import booth_log
    from app.config import data_dir
    from app.ui.booth import BoothMode

    folder = data_dir() / "booth"
    booth = BoothMode(window, config, folder)
    # SIGTERM/SIGINT keep the day (#25); before the log exists, so that a booth whose log
    # is there always has them.
    install_stop_handlers(booth.stop_on_signal)
    booth_log(folder)
    window.setWindowState(window.windowState() | Qt.WindowState.WindowFullScreen)
    return booth


def profile_for(args: argparse.Namespace, config) -> str | None:
    """The personal profile the window runs with: `--profile`, else in booth mode the one the
    operator pinned (`booth.pinned_profile`); a booth never picks up anyone's profile itself."""
    chosen = getattr(args, "profile", None)
    if not chosen and config.booth.enabled:
        chosen = config.booth.pinned_profile
    return chosen or None


def run_app(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Emotune")
    config_file = Path(args.config) if getattr(args, "config", None) else None
    loaded = load_config(config_file)
    config = loaded.config
    if getattr(args, "theme", None):
        config = dataclasses.replace(config, ui=dataclasses.replace(config.ui, theme=args.theme))
    if getattr(args, "kiosk", False):
        config = dataclasses.replace(config, booth=dataclasses.replace(config.booth,
                                                                       enabled=True))
    controller, music_message = create_music_controller(config)
    window = MainWindow(config, config_file, loaded.problems, source=args.source,
                        music_controller=controller, music_message=music_message)
    fit_to_screen(window)
    booth = start_booth(window, config) if config.booth.enabled else None
    window.show()
    if not (config_file or config_path()).exists() and not config.booth.enabled:
        from app.ui.gestures_page import FIRST_RUN, FIRST_RUN_MORE  # the first start

        window.statusBar().showMessage(FIRST_RUN, 30000)
        window.statusBar().setToolTip(FIRST_RUN_MORE)
    window.probe_cameras_when_started = True
    window.profile_path = profile_for(args, config)
    window.start_pipeline()
    if getattr(args, "start_check", False):
        window.start_check_on_first_frame = True
    quitter = None
    if args.quit_after_frames or args.screenshot:
        quitter = FrameCountExit(app, window, args.quit_after_frames or 30, args.screenshot)
    code = app.exec()
    if booth is not None:
        booth.close()
    del quitter
    return int(code)

