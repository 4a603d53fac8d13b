"""Automatic neutral: learn the main face's resting expression while the app runs, and read
its expressions relative to it (no calibration at all; the booth's visitors above all).

Many people's resting face reads as an expression to the shipped weights ("happy 87 %");
the same bias then colours every answer. This stage keeps, per tracked person (the main
face while it stays present and in place), a robust running estimate of the resting
face: the per-class median of the fused log-probabilities over *steady* frames (the
reading and the box barely change), sampled at most every `sample_s`. Its bias against a
typical calm face (`REFERENCE`: neutral 88 %) is subtracted from every reading: each class
that rests higher than on a calm face is lowered by that excess, at most `cap` nats, then
the reading is renormalised. The cap is what keeps a real expression: someone who arrives
smiling and keeps smiling makes the estimate a smile, but a confident smile sits 8-9 nats
above neutral and loses at most `cap` of them, so it still reads happy; a resting bias of
a few nats ("happy 87 %" at rest) is removed.

The shift fades in over the first `warmup` samples and starts over when the main face is
lost for `lost_s`, jumps (another person), or the session resets (a new booth visitor).
Qt-free; `FrameSession` runs it between fusion and the smoother when no personal profile
is active (a profile carries its own neutral).
"""

from __future__ import annotations

import dataclasses
from collections import deque

import numpy as np

from app.labels import EMOTIONS, INDEX
from app.records import FaceBox, Prediction

_FLOOR = -12.0  # log-probabilities below carry nothing more (as in app.profiles.fused)
_CALM = 0.88  # what a calm face reads as neutral, the rest shared evenly
REFERENCE = np.log(np.where(np.arange(len(EMOTIONS)) == INDEX["neutral"], _CALM,
                            (1.0 - _CALM) / (len(EMOTIONS) - 1)))


class AutoNeutral:
    """Per-person running neutral (module docstring); call it with each frame's main-face
    prediction (None: no face) and its time."""

    def __init__(self, cap: float = 2.5, sample_s: float = 0.1, history: int = 600,
                 warmup: int = 20, steady_l1: float = 0.3, steady_move: float = 0.15,
                 lost_s: float = 2.0, calmest: float = 0.3) -> None:
        if cap < 0 or sample_s <= 0 or history < 1 or warmup < 1:
            raise ValueError("AutoNeutral: cap >= 0, sample_s > 0, history and warmup >= 1")
        self.cap, self.sample_s, self.warmup = float(cap), float(sample_s), int(warmup)
        self.steady_l1, self.steady_move, self.lost_s = steady_l1, steady_move, lost_s
        self.calmest = float(calmest)
        self._samples: deque[np.ndarray] = deque(maxlen=int(history))
        self.reset()

    def reset(self) -> None:
        """Forget the person (a new visitor, another source)."""
        self._samples.clear()
        self._shift = np.zeros(len(EMOTIONS))
        self._last_probs: np.ndarray | None = None
        self._last_box: tuple[float, float, float] | None = None
        self._last_sample_t = -np.inf
        self._last_seen_t = -np.inf
        self.resets = 0

    @property
    def samples(self) -> int:
        return len(self._samples)

    @property
    def shift(self) -> np.ndarray:
        """The log-probability shift applied now (zero while learning)."""
        return self._shift * min(1.0, len(self._samples) / self.warmup)

    def __call__(self, prediction: Prediction | None, t: float,
                 box: FaceBox | None = None) -> Prediction | None:
        if prediction is None:
            return None
        self._observe(prediction.probs, t, box)
        shift = self.shift
        if not shift.any():
            return prediction
        logp = np.maximum(np.log(np.clip(prediction.probs, 1e-300, None)), _FLOOR) - shift
        probs = np.exp(logp - logp.max())
        return dataclasses.replace(prediction, probs=probs / probs.sum(),
                                   fusion=f"{prediction.fusion}+neutral")

    def _observe(self, probs: np.ndarray, t: float, box: FaceBox | None) -> None:
        centre = None
        if box is not None:
            centre = (box.x + box.w / 2.0, box.y + box.h / 2.0, float(max(box.w, 1)))
        jumped = (centre is not None and self._last_box is not None and
                  np.hypot(centre[0] - self._last_box[0], centre[1] - self._last_box[1])
                  > 1.5 * self._last_box[2])
        if t - self._last_seen_t > self.lost_s or jumped:  # a new person in front
            if self._samples:
                self.resets += 1
            resets = self.resets
            self.reset()
            self.resets = resets
        steady = self._last_probs is not None and \
            float(np.abs(probs - self._last_probs).sum()) <= self.steady_l1
        if steady and centre is not None and self._last_box is not None:
            moved = np.hypot(centre[0] - self._last_box[0], centre[1] - self._last_box[1])
            steady = bool(moved <= self.steady_move * centre[2])
        self._last_probs, self._last_box, self._last_seen_t = np.asarray(probs), centre, t
        if steady and t - self._last_sample_t >= self.sample_s:
            self._last_sample_t = t
            self._samples.append(np.maximum(np.log(np.clip(probs, 1e-300, None)), _FLOOR))
            rest = resting_face(np.stack(self._samples), self.calmest)
            # only what reads *higher* than on a calm face is lowered (neutral rises by the
            # renormalisation): a bias is an expression read where there is none
            self._shift = np.clip(rest - REFERENCE, 0.0, self.cap)


def resting_face(samples: np.ndarray, calmest: float) -> np.ndarray:
    """The resting reading among (N, 7) log-probability samples: the per-class median of
    the `calmest` fraction that read most neutral. A person rests more than they
    express, and even a resting face that reads "happy" reads more neutral than their
    surprise does, so these are resting frames whatever the bias."""
    k = max(1, int(round(calmest * len(samples))))
    calm = np.argsort(-samples[:, INDEX["neutral"]], kind="stable")[:k]
    return np.median(samples[calm], axis=0)


def status_text(enabled: bool, prediction: Prediction | None, profile: bool = False) -> str:
    """The status bar's word on it: off, learning, adapted, or left to a profile."""
    if not enabled:
        return "auto neutral off"
    if profile:
        return "auto neutral: profile in use"
    if prediction is not None and prediction.fusion.endswith("+neutral"):
        return "auto neutral on"
    return "auto neutral learning"


__all__ = ["REFERENCE", "AutoNeutral", "resting_face", "status_text"]
