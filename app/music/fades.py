"""Volume fades of the music controller: a pure ramp and the fade in progress (no I/O).

A switch fades the current track out over `MusicConfig.ramp_s`, changes track and fades
the new one in; the controller steps the fade on every frame and UI tick. The ramp is a
pure function so fades are testable without audio.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.music.library import Track


def ramp_volume(start: int, end: int, t0: float, duration: float, t: float) -> int:
    """The volume at time `t` of a linear ramp from `start` (at t0) to `end` (at t0+duration)."""
    if duration <= 0 or t >= t0 + duration:
        return int(end)
    if t <= t0:
        return int(start)
    return int(round(start + (end - start) * (t - t0) / duration))


@dataclass
class Fade:
    """One fade in progress: `start` -> `end` from `t0` over `duration` seconds. A fade-out
    carries the track to start when it ends (`then_play`); a fade-in's `end` follows the
    user's volume while it runs (a volume change during a fade-in is honoured)."""

    start: int
    end: int
    t0: float
    duration: float
    then_play: Track | None = None

    def level(self, t: float) -> int:
        return ramp_volume(self.start, self.end, self.t0, self.duration, t)

    def done(self, t: float) -> bool:
        return t >= self.t0 + self.duration


__all__ = ["Fade", "ramp_volume"]
