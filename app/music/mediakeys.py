"""Windows and macOS: drive whatever player has the system's media keys (no Qt).

There is no MPRIS there; every player (Spotify, Apple Music, a browser tab, VLC) answers
the keyboard's media keys, so `MediaKeysPlayer` presses them through pynput (imported
lazily: it is installed only on those systems, and on Linux it would need an X display).
Keys only send: the player's name, track and state cannot be read back, playlists cannot
be chosen, and the volume keys move the system volume by the system's own step, so the
volume shown is our estimate. The status says all this, and the panel shows it.

Only a fake keyboard exercises this module here (tests/music/test_external.py): the
project's CI runs on Linux without a display, where media keys reach no player.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.music.external import ExternalStatus

KEYS = {"play_pause": "media_play_pause", "next": "media_next",
        "previous": "media_previous", "volume_up": "media_volume_up",
        "volume_down": "media_volume_down"}
KEY_STEP = 10  # the volume one press is taken to move (Windows 2, macOS 6.25: an estimate)
NOTE = ("media keys: the player's track and state cannot be read, playlists cannot be "
        "chosen; the mood moves only the volume (lift mode)")


def pynput_keyboard() -> tuple[Any, Callable[[str], Any]]:
    """pynput's keyboard controller and a key lookup; RuntimeError saying what to install."""
    try:
        from pynput.keyboard import Controller, Key
    except Exception as exc:  # ImportError, or pynput's own error without a display
        raise RuntimeError("media keys need pynput (pip install pynput) on Windows or macOS "
                           f"({type(exc).__name__}: {exc})") from exc
    return Controller(), lambda name: getattr(Key, name)


class MediaKeysPlayer:
    """Presses media keys; `keyboard`/`key` are injectable (a fake in tests)."""

    name = "media-keys"

    def __init__(self, keyboard: Any = None, key: Callable[[str], Any] | None = None,
                 volume: int = 70) -> None:
        if keyboard is None:
            keyboard, key = pynput_keyboard()
        self._keyboard = keyboard
        self._key = key or (lambda name: name)
        self._volume = volume
        self._state = "unknown"
        self._status = self._make()

    def _make(self) -> ExternalStatus:
        return ExternalStatus(player="the system's media keys", state=self._state,
                              volume=self._volume, message=NOTE,
                              can=frozenset({"play_pause", "next", "previous", "volume"}))

    def _press(self, action: str) -> None:
        key = self._key(KEYS[action])
        self._keyboard.press(key)
        self._keyboard.release(key)

    def refresh(self) -> ExternalStatus:
        self._status = self._make()
        return self._status

    def status(self) -> ExternalStatus:
        return self._status

    def play_pause(self) -> None:
        self._press("play_pause")

    def play(self) -> None:
        self._press("play_pause")  # keys have no separate play: it is a toggle

    def pause(self) -> None:
        self._press("play_pause")

    def next(self) -> None:
        self._press("next")

    def previous(self) -> None:
        self._press("previous")

    def set_volume(self, volume: int) -> None:
        """Press volume up/down once per KEY_STEP of change from our estimate."""
        volume = max(0, min(100, int(volume)))
        presses = round((volume - self._volume) / KEY_STEP)
        for _ in range(abs(presses)):
            self._press("volume_up" if presses > 0 else "volume_down")
        self._volume = max(0, min(100, self._volume + presses * KEY_STEP))
        self._status = self._make()

    def activate_playlist(self, name: str) -> bool:
        return False

    def close(self) -> None:
        self._keyboard = None
