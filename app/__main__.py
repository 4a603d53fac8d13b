"""Entry point: `python -m app` starts the GUI; subcommands do the rest.

Each command group lives in its own module under `app/commands/` with a `register(sub)`
function that adds its parsers and sets `func`; modules import their heavy dependencies
inside the command so `--help` and the GUI start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules under app.commands that register subcommands, in help order.
COMMAND_MODULES = ("predict", "train", "export_onnx", "protocol", "evaluate", "bench",
                   "bench_control", "profiles", "booth")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emotune",
        description="Emotune: facial-expression recognition (deep fusion of CNN_1 and CNN_2) "
                    "driving music. With no command, opens the desktop app.")
    from app.commands import gui

    gui.add_gui_arguments(parser)
    parser.add_argument("--self-test", action="store_true",
                        help="headless check: load the models, process frames of --source, "
                             "print JSON {frames, faces, fps, models}, exit 0 (non-zero with a "
                             "message when anything is missing)")
    parser.add_argument("--self-test-frames", type=int, default=60, metavar="N",
                        help="frames the self-test processes (default 60)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        # A command module that fails to import is a bug to see at once, not a subcommand
        # that quietly disappears from --help; the one exception is the research code the
        # desktop bundle leaves out (app.train: the training commands' option names).
        try:
            importlib.import_module(f"app.commands.{name}").register(sub)
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("app.train"):
                raise
    parser.set_defaults(func=gui.run_gui)
    return parser


def main(argv: list[str] | None = None) -> int:
    # torch's C++ warnings (e.g. the deprecation notice printed when the int8 models load)
    # mean nothing to a user; errors still show. Read when torch is first imported.
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    # Likewise OpenCV's "[ WARN:0@0.6] findDecoder imread_(...)" beside our own message
    # for an unreadable file. Read when cv2 is first imported.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test and args.command is None:
        from app.commands.selftest import run_self_test

        return int(run_self_test(args) or 0)
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("app.train"):
            raise
        # The desktop bundle leaves the research code out (resources/pyinstaller).
        print(f"emotune {args.command}: this command needs the training code (app.train), "
              "which the desktop bundle leaves out; run it from a source checkout "
              "(README: Two commands)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
