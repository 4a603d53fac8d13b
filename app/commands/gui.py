"""The default command: open the desktop window (options shared with the GUI)."""

from __future__ import annotations

import argparse
import sys


def add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="camera index, video file or image folder "
                                         "(default: the camera in Settings)")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="grab the window after --quit-after-frames frames, then exit")
    parser.add_argument("--quit-after-frames", type=int, metavar="N",
                        help="exit after N processed frames (0 on success)")
    parser.add_argument("--config", metavar="TOML",
                        help="settings file to use instead of the one in the user config folder")
    parser.add_argument("--theme", choices=("light", "dark", "high-contrast"),
                        help="theme for this run (Settings keeps the saved one)")
    parser.add_argument("--profile", metavar="NAME|PATH",
                        help="use a personal profile (see `calibrate`, docs/PROFILES.md)")
    parser.add_argument("--start-check", action="store_true",
                        help="start the guided expression check with the first frame")
    parser.add_argument("--kiosk", action="store_true",
                        help="demo-booth mode: full screen, menus locked (operator: "
                             "Ctrl+Alt+Shift+O and booth.pin), attract screen, reset per "
                             "visitor, watchdog, daily summary (also booth.enabled)")


def run_gui(args: argparse.Namespace) -> int:
    try:
        from app.ui.launch import run_app
    except ModuleNotFoundError as exc:
        print(f"emotune: the desktop app is not available ({exc})", file=sys.stderr)
        return 2
    return run_app(args)
