"""Entry point: `python -m app` starts the GUI; subcommands do the rest.

Each command group lives in its own module under `app/commands/` with a `register(sub)`
function that adds its parsers and sets `func`; modules import their heavy dependencies
inside the command so `--help` and the GUI start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules under app.commands that register subcommands, in help order.
COMMAND_MODULES = ("predict", "train", "evaluate", "bench", "control", "selftest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emotune",
        description="Emotune: facial-expression recognition (deep fusion of CNN_1 and CNN_2) "
                    "driving music. With no command, opens the desktop app.")
    from app.commands import gui

    gui.add_gui_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"app.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    parser.set_defaults(func=gui.run_gui)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
