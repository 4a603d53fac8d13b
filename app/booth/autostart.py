"""Start the booth when its user logs in: an XDG autostart entry or a systemd user unit.

`python -m app booth-autostart` writes `~/.config/autostart/emotune-booth.desktop` (any
XDG desktop starts it at login); `--systemd` writes `~/.config/systemd/user/
emotune-booth.service` instead, which also restarts the app if it ever exits with an
error (`Restart=on-failure`); `--remove` deletes what was written. The command line is the
interpreter and project that ran the command, plus `--kiosk`, so the entry starts exactly
this installation. Both files go to the user's config folder and nowhere else.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from app.atomic import atomic_write_text
from app.paths import project_root

NAME = "emotune-booth"


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def desktop_entry_path() -> Path:
    return _config_home() / "autostart" / f"{NAME}.desktop"


def systemd_unit_path() -> Path:
    return _config_home() / "systemd" / "user" / f"{NAME}.service"


def booth_command(extra: tuple[str, ...] = ()) -> list[str]:
    """How this installation starts in booth mode (a frozen bundle runs itself)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--kiosk", *extra]
    return [sys.executable, "-m", "app", "--kiosk", *extra]


def desktop_entry(command: list[str]) -> str:
    return ("[Desktop Entry]\nType=Application\nName=Emotune booth\n"
            "Comment=Emotune demo booth (expressions that play music); nothing is recorded\n"
            f"Exec={shlex.join(command)}\nPath={project_root()}\nTerminal=false\n"
            "X-GNOME-Autostart-enabled=true\n")


def systemd_unit(command: list[str]) -> str:
    return ("[Unit]\nDescription=Emotune demo booth\nAfter=graphical-session.target\n"
            "PartOf=graphical-session.target\n\n[Service]\nType=simple\n"
            f"WorkingDirectory={project_root()}\nExecStart={shlex.join(command)}\n"
            "Restart=on-failure\nRestartSec=5\n\n[Install]\nWantedBy=graphical-session.target\n")


def write_autostart(systemd: bool = False, extra: tuple[str, ...] = ()) -> Path:
    command = booth_command(extra)
    if systemd:
        return atomic_write_text(systemd_unit_path(), systemd_unit(command))
    return atomic_write_text(desktop_entry_path(), desktop_entry(command))


def remove_autostart() -> list[Path]:
    removed = []
    for path in (desktop_entry_path(), systemd_unit_path()):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
