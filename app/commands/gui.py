"""The default command: open the desktop window (options shared with the GUI)."""

from __future__ import annotations

import argparse
import sys


def add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="camera index, video file or image folder")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="grab the window after --quit-after-frames frames, then exit")
    parser.add_argument("--quit-after-frames", type=int, metavar="N",
                        help="exit after N processed frames")


def run_gui(args: argparse.Namespace) -> int:
    try:
        from app.ui.main_window import run_app
    except ModuleNotFoundError as exc:
        print(f"emotune: the desktop app is not available ({exc})", file=sys.stderr)
        return 2
    return run_app(args)
