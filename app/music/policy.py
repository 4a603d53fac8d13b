"""When to change the music: pure rules over the stable emotion state (no I/O, no Qt).

The policy reads one `EmotionState` per processed frame and decides whether the playlist
should change. It emits frozen `MusicAction` records whose `reason` says, in words a user
understands, why ("sad held 2.0 s at 71 % -> lift to happy"); the controller executes them
and the UI shows the reason. Rules, all in `MusicConfig`:

- mode *match* plays the playlist of the mood shown; mode *lift* answers a negative mood
  with the playlist named in `lift_map` (sad -> happy by default), other moods match;
- a switch needs the same emotion to lead the smoothed probabilities at >= `min_confidence`
  for `dwell_s` seconds without a break (flicker resets the count, so it never switches),
  and to be the smoother's stable state. The dwell counts from when the emotion began
  leading, not from when the smoother confirmed it, so the smoother's own dwell does not
  add to the wait the user set (measured: 1.0 s less lag on the bench script);
- at most one switch per `cooldown_s`; a mood still held when the cooldown ends switches
  then, a mood gone by then does not;
- with `let_track_finish` the switch is queued and made when the current track ends
  (cancelled if the mood returns to the current playlist's meanwhile);
- `lock` (manual) freezes the playlist: manual control always wins over the policy.

The policy owns what plays and why: `playlist` (what the controller is playing), the lock,
the queued switch and the playlists that have tracks (`available`); the controller
executes its actions and never keeps a copy. Fades are `app.music.fades`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from app.config import MusicConfig
from app.labels import EMOTIONS
from app.records import EmotionState, MusicAction
from app.settings_rules import check_section


def check_music_config(cfg: MusicConfig) -> None:
    """Raise ValueError naming the setting when a music value is outside its rule
    (`app.settings_rules`, the same rule the settings loader applies)."""
    check_section("music", cfg)


def target_playlist(emotion: str, mode: str, lift_map: dict[str, str]) -> str:
    """The playlist to play for a shown emotion: itself (match) or its lift (lift)."""
    if mode == "lift":
        return lift_map.get(emotion, emotion)
    return emotion


class MusicPolicy:
    """Dwell, confidence, cooldown, queueing and lock over a stream of emotion states."""

    def __init__(self, cfg: MusicConfig | None = None,
                 available: Iterable[str] = EMOTIONS) -> None:
        self.cfg = cfg or MusicConfig()
        check_music_config(self.cfg)
        self.set_available(available)
        self.playlist: str | None = None  # what the controller plays (it keeps no copy)
        self.locked = False
        self.pending: str | None = None  # queued until the current track ends
        self.last_switch_t: float | None = None
        self._candidate: str | None = None
        self._candidate_since = 0.0

    def set_available(self, emotions: Iterable[str]) -> None:
        """The playlists that have tracks (a checked library replaces the first read)."""
        self._order = tuple(emotions)
        self.available = frozenset(self._order)

    def start(self) -> str | None:
        """Play pressed with nothing chosen yet: neutral when it has tracks, else the first
        playlist that has; the current playlist otherwise (None: no music at all)."""
        if self.playlist is None and self._order:
            self.playlist = "neutral" if "neutral" in self.available else self._order[0]
        return self.playlist

    def target_for(self, emotion: str) -> str | None:
        """The playlist this emotion asks for, or None when that playlist has no tracks."""
        target = target_playlist(emotion, self.cfg.mode, self.cfg.lift_map)
        return target if target in self.available else None

    def held_for(self, t: float) -> tuple[str, float] | None:
        """(emotion, seconds held) of the current candidate, for the UI's "why" line."""
        return None if self._candidate is None else (self._candidate, t - self._candidate_since)

    def observe(self, state: EmotionState, t: float, *, playing: bool = True,
                track_ended: bool = False) -> MusicAction | None:
        """Feed one emotion state at time `t`; returns the action to take, if any.

        `playing` says whether a track is audible (queueing only makes sense then);
        `track_ended` says the current track just finished (a queued switch happens now).
        """
        if track_ended and (queued := self.on_track_end(t)) is not None:
            return queued
        top = int(np.argmax(state.probs))
        confidence = float(state.probs[top])
        if not state.face_present or confidence < self.cfg.min_confidence:
            self._candidate = None
            return None
        if EMOTIONS[top] != self._candidate:
            self._candidate, self._candidate_since = EMOTIONS[top], t
        emotion, held = self._candidate, t - self._candidate_since
        if state.emotion != emotion:
            return None  # the smoother has not (yet) made it the stable state
        target = self.target_for(emotion)
        if target is None or target == self.playlist:
            if target is not None:
                self.pending = None  # the mood came back to what is playing
            return None
        if held < self.cfg.dwell_s or self.locked or not self.cfg.enabled:
            return None
        if self.last_switch_t is not None and t - self.last_switch_t < self.cfg.cooldown_s:
            return None
        why = f"{emotion} held {held:.1f} s at {confidence:.0%}"
        if target != emotion:
            why += f" -> lift to {target}"
        if self.cfg.let_track_finish and playing and self.playlist is not None:
            if self.pending == target:
                return None
            self.pending = target
            return MusicAction("queue", t, f"{why}; switching when this track ends",
                               playlist=target)
        return self._switch(target, t, why)

    def on_track_end(self, t: float) -> MusicAction | None:
        """The current track finished: make the queued switch, if any (and not locked)."""
        if self.pending is None or self.locked:
            return None
        target, self.pending = self.pending, None
        return self._switch(target, t, "the track finished; queued switch made")

    def _switch(self, target: str, t: float, why: str) -> MusicAction:
        self.playlist, self.last_switch_t, self.pending = target, t, None
        return MusicAction("switch", t, why, playlist=target, ramp_s=self.cfg.ramp_s)

    def select(self, playlist: str, t: float, *, lock: bool = True) -> MusicAction:
        """A manual choice of playlist; it locks the policy by default (manual wins)."""
        if playlist not in EMOTIONS:
            raise ValueError(f"unknown playlist {playlist!r}; expected one of {EMOTIONS}")
        self.playlist, self.pending = playlist, None
        self.locked = self.locked or lock
        suffix = " (locked)" if self.locked else ""
        return MusicAction("switch", t, f"chosen by hand{suffix}", source="manual",
                           playlist=playlist, ramp_s=self.cfg.ramp_s)

    def set_locked(self, locked: bool, t: float, source: str = "manual") -> MusicAction:
        """Lock or unlock the current mood; a lock also drops a queued switch."""
        self.locked = locked
        if locked:
            self.pending = None
            return MusicAction("lock", t, f"mood locked on {self.playlist or 'nothing yet'}",
                               source=source, playlist=self.playlist)
        return MusicAction("unlock", t, "mood unlocked: expressions choose the music again",
                           source=source, playlist=self.playlist)
