"""What the music dock paints: one frozen snapshot of the controller, built by keyword."""

from __future__ import annotations

from dataclasses import dataclass

from app.music.external import ExternalStatus
from app.music.library import Track
from app.records import MusicAction


@dataclass(frozen=True)
class MusicSnapshot:
    """What the UI shows: playlist and track, player state, volume, lock and the last reasons."""

    playlist: str | None
    tracks: tuple[Track, ...]
    index: int  # position of `track` in `tracks`, -1 when none
    track: Track | None
    state: str  # "playing", "paused", "stopped"
    position_s: float
    length_s: float
    volume: int  # the user's volume (fades move below it)
    locked: bool
    mode: str
    pending: str | None  # playlist queued until the track ends
    last_action: MusicAction | None
    last_switch: MusicAction | None  # "why the last switch happened"
    backend: str
    message: str | None  # e.g. "libvlc was not found ... install libvlc5 vlc-plugin-base"
    problems: tuple[str, ...]  # what the library skipped
    output: str = ""  # why nothing is heard although the state says playing ("" if fine)
    external: ExternalStatus | None = None  # the user's own player (external back-end)


__all__ = ["MusicSnapshot"]
