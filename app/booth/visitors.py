"""Who is in front of the booth: arrivals, departures and the attract screen (no Qt).

A demo booth serves strangers one after another. `VisitorTracker` turns the per-frame
"is a face there" into events: `arrived` when a face shows after nobody was there, `left`
once no face was seen for `visitor_gone_s` (a short look away does not end a visit), and
`attract` while nobody has been there for `attract_after_s` (or since the start). The
window resets smoothing, the check and the music on `left`, so the next visitor never
inherits the last one's state. Only counts are kept: no face, image or identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.config import BoothConfig


@dataclass(frozen=True)
class VisitorEvent:
    kind: str  # "arrived" or "left"
    t: float
    visit_s: float = 0.0  # for "left": how long the visit lasted


class VisitorTracker:
    def __init__(self, cfg: BoothConfig, t0: float = 0.0) -> None:
        self.cfg = cfg
        self.present = False
        self.visitors = 0
        self.total_visit_s = 0.0
        self._arrived_t = 0.0
        self._last_face_t: float | None = None
        self._empty_since = t0

    def update(self, face: bool, t: float) -> VisitorEvent | None:
        """One processed frame at time `t`; returns an event when a visit starts or ends."""
        if face:
            self._last_face_t = t
            if not self.present:
                self.present = True
                self.visitors += 1
                self._arrived_t = t
                return VisitorEvent("arrived", t)
            return None
        return self.tick(t)

    def tick(self, t: float) -> VisitorEvent | None:
        """Time passing without frames (camera gone) also ends a visit."""
        if self.present and self._last_face_t is not None and \
                t - self._last_face_t >= self.cfg.visitor_gone_s:
            self.present = False
            self._empty_since = self._last_face_t
            visit = self._last_face_t - self._arrived_t
            self.total_visit_s += visit
            return VisitorEvent("left", t, visit)
        return None

    def attract(self, t: float) -> bool:
        """Whether the attract screen should show: nobody there for `attract_after_s`."""
        if self.present:
            return False
        since = self._empty_since if self._last_face_t is None else \
            max(self._empty_since, self._last_face_t)
        return t - since >= self.cfg.attract_after_s
