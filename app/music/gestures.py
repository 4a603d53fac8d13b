"""Expression gestures: hold an expression to trigger a music action (pure, no Qt).

For hands-free use a held expression is a button press, e.g. (`GestureConfig.mapping`)

    surprise -> "next"        (raise the eyebrows and open the mouth for `hold_s` seconds)
    happy    -> "play_pause"  (hold a broad smile for `hold_s` seconds)

None is bound by default: the mood music follows these same expressions, so a user who
keeps smiling would pause it. Face gestures (music/face_gestures.py) are the default input.

An expression counts as held while it is the most probable class and its probability is at
least `threshold`; holding it for `hold_s` seconds fires one `GestureEvent`. Three guards
keep false triggers rare, because an unwanted "next" is more annoying than a slow one:

- holding on after a fire never fires again: the gesture is *latched* until its
  probability drops below `threshold - release_margin` (hysteresis, so a probability that
  wobbles around the threshold cannot fire twice in one long hold);
- after any fire no gesture fires for `refractory_s` seconds;
- a dip shorter than `gap_s` does not restart the hold (one blurred frame should not make
  the user start over), a longer one does.

Feed it the smoothed probabilities (`probs_for_gestures(state)`), not raw per-frame ones:
`pipeline.session.FrameSession` does, and the window and `bench-control` both run that
session, so the measured figures are what users get.
"""

from __future__ import annotations

import numpy as np

from app.config import GestureConfig
from app.labels import EMOTIONS, NUM_CLASSES
from app.records import EmotionState, GestureEvent
from app.settings_rules import check_section


def check_gesture_config(cfg: GestureConfig) -> None:
    """Raise ValueError naming the setting when a gesture value is outside its rule
    (`app.settings_rules`, the same rule the settings loader applies), or when the release
    margin is not below the threshold (a rule between two keys: the latch never re-arms)."""
    check_section("gestures", cfg)
    if cfg.release_margin >= cfg.threshold:
        raise ValueError(f"gestures.release_margin must lie in [0, threshold), "
                         f"got {cfg.release_margin}")


def probs_for_gestures(state: EmotionState | None) -> np.ndarray | None:
    """The input the detector expects from an EmotionState: smoothed probs, or None (no face)."""
    if state is None or not state.face_present:
        return None
    return np.asarray(state.probs, dtype=np.float64)


class GestureDetector:
    """Turns a stream of probabilities into `GestureEvent`s; call `update` once per frame."""

    def __init__(self, cfg: GestureConfig | None = None,
                 per_gesture: dict[str, tuple[float, float]] | None = None) -> None:
        self.cfg = cfg or GestureConfig()
        check_gesture_config(self.cfg)
        self._index = {EMOTIONS.index(e): a for e, a in self.cfg.mapping.items()}
        # A personal profile's own (threshold, hold_s) per gesture emotion (app/profiles).
        own = per_gesture or {}
        self._threshold = {i: own.get(e, (self.cfg.threshold,))[0]
                           for i, e in enumerate(EMOTIONS)}
        self._hold = {i: own[e][1] if e in own else self.cfg.hold_s
                      for i, e in enumerate(EMOTIONS)}
        self.reset()

    def reset(self) -> None:
        """Forget holds, latches and the refractory period (new source, settings changed)."""
        self._held: int | None = None
        self._held_since = 0.0
        self._last_ok_t = 0.0
        self._latched: set[int] = set()
        self._last_fire_t: float | None = None

    def progress(self, t: float) -> tuple[str, float] | None:
        """(emotion, fraction of hold_s done) of the hold in progress, for a UI progress ring."""
        if self._held is None or self._held in self._latched or self._hold[self._held] <= 0:
            return None
        return EMOTIONS[self._held], min(1.0, (t - self._held_since) / self._hold[self._held])

    def update(self, probs: np.ndarray | None, t: float) -> GestureEvent | None:
        """Feed probabilities (None = no face) at time `t` seconds; returns a fired event."""
        if not self.cfg.enabled or not self._index:
            return None
        if probs is None:
            self._held = None
            self._latched.clear()  # the face left: the next hold is a new gesture
            return None
        p = np.asarray(probs, dtype=np.float64)
        if p.shape != (NUM_CLASSES,):
            raise ValueError(f"probabilities must have shape ({NUM_CLASSES},), got {p.shape}")
        margin = self.cfg.release_margin
        self._latched = {i for i in self._latched if p[i] >= self._threshold[i] - margin}
        best = int(np.argmax(p))
        ok = best in self._index and p[best] >= self._threshold[best]
        if ok:
            if best != self._held or t - self._last_ok_t > self.cfg.gap_s:
                self._held, self._held_since = best, t
            self._last_ok_t = t
        elif self._held is not None and t - self._last_ok_t > self.cfg.gap_s:
            self._held = None
        if not ok or best in self._latched or t - self._held_since < self._hold[best]:
            return None
        if self._last_fire_t is not None and t - self._last_fire_t < self.cfg.refractory_s:
            return None
        self._latched.add(best)
        self._last_fire_t = t
        return GestureEvent(self._index[best], EMOTIONS[best], t, t - self._held_since)


__all__ = ["GestureDetector", "check_gesture_config", "probs_for_gestures"]
