"""What the two music controllers share: the action history, the lock, gestures (no Qt).

`MusicController` (our own player) and `ExternalMusicController` (the user's player) differ
in how they carry out an action, not in how a gesture maps to one, how the history records
it or how the mood is locked; that part lives here once, so a gesture means the same on
both backends. A subclass provides `policy`, `history`, `volume`, `chime`, `player`,
`_lock` and `_last_switch`, and the manual methods `play_pause`, `next`, `previous` and
`set_volume` that `_gesture` calls.
"""

from __future__ import annotations

import dataclasses
import time

from app.records import GestureEvent, MusicAction

VOLUME_STEP = 10  # gesture volume_up / volume_down


class ControllerBase:
    """The history, `lock` and the gesture dispatch both music controllers share."""

    follow_mood = True  # False: gesture-only mode (face_gestures.only); set by the factory

    def lock(self, locked: bool = True, t: float | None = None,
             source: str = "manual") -> MusicAction:
        """Lock (or unlock) the current mood: expressions stop changing the playlist."""
        with self._lock:
            return self._record(self.policy.set_locked(locked, self._now(t), source))

    def _now(self, t: float | None) -> float:
        return time.monotonic() if t is None else t

    def _record(self, action: MusicAction) -> MusicAction:
        self.history.append(action)
        if action.kind == "switch":
            self._last_switch = action
        return action

    def _gesture(self, gesture: GestureEvent, t: float) -> MusicAction:
        """Run a gesture as the matching manual control; its reason leads the action's."""
        src, name = "gesture", gesture.action
        if name == "play_pause":
            action = self.play_pause(t, src)
        elif name == "next":
            action = self.next(t, src)
        elif name == "previous":
            action = self.previous(t, src)
        elif name == "lock":
            action = self.lock(not self.policy.locked, t, src)
        else:
            step = VOLUME_STEP if name == "volume_up" else -VOLUME_STEP
            action = self.set_volume(self.volume + step, t, src)
        action = dataclasses.replace(action, reason=f"{gesture.reason}: {action.reason}")
        self.history[-1] = action
        if self.chime is not None and self.chime.is_file():
            self.player.chime(self.chime)
        return action
