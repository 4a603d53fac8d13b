"""Turn per-frame fused probabilities into a stable emotion state (pure, no Qt).

Per-frame predictions flicker: a blink or a half-smile moves the argmax for one or two
frames. Music and gestures must not follow that, so the state the rest of the app acts on
is built in three steps, each tuned in `SmoothingConfig`:

1. an exponential moving average (EMA) of the fused probabilities (`ema_alpha` is the
   weight of the newest frame);
2. a challenger becomes the state only when its smoothed probability reaches
   `enter_threshold` and beats the current state's by `hysteresis`, and only after it has
   kept doing so for `dwell_s` seconds;
3. a missing face (``probs is None``) holds the state for `face_lost_s` seconds (short
   detector drop-outs are common), then the state becomes "no face" and the average is
   forgotten, so a returning face starts fresh instead of from a stale value.

Time is passed in (seconds, monotonic) so the smoother is deterministic and testable.
"""

from __future__ import annotations

import numpy as np

from app.config import SmoothingConfig
from app.labels import EMOTIONS, NUM_CLASSES
from app.records import EmotionState, check_probs
from app.settings_rules import check_section

_UNIFORM = np.full(NUM_CLASSES, 1.0 / NUM_CLASSES)


def check_smoothing_config(cfg: SmoothingConfig) -> None:
    """Raise ValueError naming the setting when a smoothing value is outside its rule
    (`app.settings_rules`, the same rule the settings loader applies)."""
    check_section("smoothing", cfg)


class EmotionSmoother:
    """EMA + dwell + hysteresis + face-lost timeout; call `update` once per processed frame."""

    def __init__(self, cfg: SmoothingConfig | None = None) -> None:
        self.cfg = cfg or SmoothingConfig()
        check_smoothing_config(self.cfg)
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new source, or the user pressed reset)."""
        self._ema: np.ndarray | None = None
        self._emotion: int | None = None
        self._since: float | None = None
        self._challenger: int | None = None
        self._challenger_since = 0.0
        self._last_face_t: float | None = None
        self._last_t: float | None = None
        self._face_present = False

    def update(self, probs: np.ndarray | None, t: float) -> EmotionState:
        """Feed one frame's fused probabilities (None = no face) at time `t` seconds."""
        if self._last_t is not None and t < self._last_t:
            raise ValueError(f"time went backwards ({t} < {self._last_t}); pass monotonic "
                             "seconds, or call reset() when the source restarts")
        self._last_t = t
        if self._since is None:
            self._since = t
        if probs is None:
            self._on_no_face(t)
        else:
            self._on_face(check_probs(probs, "probabilities", normalise=True), t)
        return self._state()

    def _on_no_face(self, t: float) -> None:
        lost_for = None if self._last_face_t is None else t - self._last_face_t
        if lost_for is not None and lost_for < self.cfg.face_lost_s:
            return  # a short drop-out: hold the state
        if self._face_present or self._emotion is not None or self._ema is not None:
            self._since = t
        self._ema = None
        self._emotion = None
        self._challenger = None
        self._face_present = False

    def _on_face(self, p: np.ndarray, t: float) -> None:
        if not self._face_present:
            self._since = t  # "no face" ends here
        self._face_present = True
        self._last_face_t = t
        a = self.cfg.ema_alpha
        self._ema = p.copy() if self._ema is None else a * p + (1.0 - a) * self._ema
        ema = self._ema
        best = int(np.argmax(ema))
        qualifies = best != self._emotion and ema[best] >= self.cfg.enter_threshold
        if qualifies and self._emotion is not None:
            qualifies = ema[best] >= ema[self._emotion] + self.cfg.hysteresis
        if not qualifies:
            self._challenger = None
            return
        if self._challenger != best:
            self._challenger, self._challenger_since = best, t
        if t - self._challenger_since >= self.cfg.dwell_s:
            self._emotion, self._since, self._challenger = best, t, None

    def _state(self) -> EmotionState:
        probs = _UNIFORM if self._ema is None else self._ema
        if self._emotion is None:
            return EmotionState(None, 0.0, probs.copy(), float(self._since), self._face_present)
        return EmotionState(EMOTIONS[self._emotion], float(probs[self._emotion]), probs.copy(),
                            float(self._since), self._face_present)


__all__ = ["EmotionSmoother", "EmotionState", "check_smoothing_config"]
