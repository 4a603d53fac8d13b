"""`python -m app booth-autostart`: start the demo booth at login (see app/booth/autostart)."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser("booth-autostart", help="start the booth (--kiosk) when this user "
                       "logs in: writes an XDG autostart entry or a systemd user unit")
    p.add_argument("--systemd", action="store_true",
                   help="write a systemd user unit (restarts on failure) instead of a "
                        "desktop entry; enable it with `systemctl --user enable --now "
                        "emotune-booth`")
    p.add_argument("--remove", action="store_true", help="remove what this command wrote")
    p.add_argument("--source", help="source the booth watches (default: Settings)")
    p.set_defaults(func=run_autostart)


def run_autostart(args: argparse.Namespace) -> int:
    from app.booth.autostart import remove_autostart, write_autostart

    if args.remove:
        removed = remove_autostart()
        print("removed " + ", ".join(map(str, removed)) if removed else "nothing to remove")
        return 0
    extra = ("--source", args.source) if args.source else ()
    path = write_autostart(systemd=args.systemd, extra=extra)
    print(f"wrote {path}")
    if args.systemd:
        print("enable it with: systemctl --user daemon-reload && "
              "systemctl --user enable --now emotune-booth")
    return 0
