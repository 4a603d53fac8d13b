"""What the commands share: one settings rule, one script reader, one way to open the app's
session with an optional personal profile.

Each returns None after printing why (prefixed with the command's name) when the user's
input cannot be used, so a command answers with one line and exit code 2, never a
traceback. Heavy imports stay inside the functions: `--help` must start fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path


def settings(args: argparse.Namespace, command: str, *, model: dict | None = None,
             music: dict | None = None):
    """The app's settings as every command reads them: the app-wide `--config TOML`, else
    the user's settings file; problems in the file are printed as warnings (those values
    fall back to their defaults, as in the window); then the command's own options
    (`model`, `music`: setting -> value; empty values mean "as configured"). None after a
    message when `--config` names no file."""
    from app.config import config_path, load_config

    given = getattr(args, "config", None)
    path = Path(given) if given else None
    if path is not None and not path.is_file():
        print(f"emotune {command}: --config {path}: no such settings file (leave --config "
              f"out to use {config_path()})", file=sys.stderr)
        return None
    loaded = load_config(path)
    for problem in loaded.problems:
        print(f"emotune {command}: warning: {problem}", file=sys.stderr)
    config = loaded.config
    model = {k: v for k, v in (model or {}).items() if v}
    music = {k: v for k, v in (music or {}).items() if v}
    return dataclasses.replace(config, model=dataclasses.replace(config.model, **model),
                               music=dataclasses.replace(config.music, **music))


def int_list(text: str) -> tuple[int, ...]:
    """argparse type: "48,64,96" -> (48, 64, 96)."""
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") \
            from None


def load_script(path: Path, command: str):
    """The video script at `path` (`app.capture.facevideo.VideoScript`), or None after
    printing why it cannot be used."""
    from app.capture.facevideo import VideoScript

    try:
        return VideoScript.load(path)
    except (OSError, ValueError) as exc:
        print(f"emotune {command}: script {path} cannot be used: {exc}", file=sys.stderr)
        return None


def open_session(config, processor, profile: str | None = None, music=None,
                 face_gestures=None):
    """The window's `FrameSession` around `processor`, with the personal profile `profile`
    (NAME|PATH) hooked in when given; face gestures from the settings unless a detector is
    given. On any failure the session (and `music`) is closed before the error
    (ProfileError with the reason) propagates."""
    from app.pipeline.profile_use import attach_profile
    from app.pipeline.session import FrameSession

    session = FrameSession(processor, config.smoothing, config.gestures, music=music,
                           face_gestures=face_gestures or config.face_gestures)
    if profile:
        try:
            attach_profile(session, profile)
        except BaseException:
            session.close()
            if music is not None:
                music.close()
            raise
    return session


__all__ = ["int_list", "load_script", "open_session", "settings"]
