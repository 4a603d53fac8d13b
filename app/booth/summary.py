"""The booth's daily summary and log: visitors, faults, uptime; never an image.

An operator who comes back in the evening wants to know the booth ran: how many visitors,
what went wrong and when (camera unplugged, pipeline restarted by the watchdog), how long
it was up. `BoothSummary` counts these and writes `summary-YYYY-MM-DD.json` in the booth
folder (data folder, `booth/`) atomically, at most every `flush_s` and at close; a new
day starts a new file. `booth_log` adds a size-capped log file there that also receives
the audio library's lines (`app.music.vlclog`). Only numbers and fault texts are written.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path

from app.atomic import atomic_write_text

log = logging.getLogger("emotune.booth")
MAX_FAULTS_KEPT = 500  # a camera that flaps all day must not grow the file without bound


@dataclass
class BoothSummary:
    folder: Path
    flush_s: float = 60.0
    clock: object = time.time  # wall clock: the summary is per calendar day
    started: float = field(default=0.0)
    visitors: int = 0
    visit_s: float = 0.0
    faults: list[dict] = field(default_factory=list)
    fault_count: int = 0
    restarts: int = 0
    frames: int = 0
    stopped_by: str | None = None  # "SIGTERM", "SIGINT", "quit" once the booth stopped
    _flushed: float = 0.0
    _day: str = ""

    def __post_init__(self) -> None:
        self.started = self.started or self.clock()
        self._day = self._today()

    def _today(self) -> str:
        return time.strftime("%Y-%m-%d", time.localtime(self.clock()))

    @property
    def path(self) -> Path:
        return self.folder / f"summary-{self._day}.json"

    def visitor_left(self, visit_s: float) -> None:
        self.visitors += 1
        self.visit_s += visit_s
        self._maybe_flush()

    def fault(self, kind: str, text: str, restarted: bool = False) -> None:
        """A fault: kind is e.g. "camera", "pipeline", "watchdog", "music"."""
        self.fault_count += 1
        self.restarts += int(restarted)
        if len(self.faults) < MAX_FAULTS_KEPT:
            self.faults.append({"t": time.strftime("%H:%M:%S", time.localtime(self.clock())),
                                "kind": kind, "what": text[:300], "restarted": restarted})
        log.warning("%s fault%s: %s", kind, " (pipeline restarted)" if restarted else "", text)
        self._maybe_flush(force=True)

    def frame(self) -> None:
        self.frames += 1

    def as_dict(self) -> dict:
        now = self.clock()
        return {"day": self._day, "uptime_s": round(now - self.started, 1),
                "visitors": self.visitors, "mean_visit_s":
                    round(self.visit_s / self.visitors, 1) if self.visitors else None,
                "frames": self.frames, "faults": self.fault_count,
                "pipeline_restarts": self.restarts, "fault_list": self.faults,
                "stopped_by": self.stopped_by,
                "note": "counts only; no image, face or identity is stored"}

    def _maybe_flush(self, force: bool = False) -> None:
        if force or self.clock() - self._flushed >= self.flush_s:
            self.flush()

    def stop(self, why: str) -> Path:
        """The booth is stopping (a signal, the operator's quit): write the day now."""
        self.stopped_by = why
        log.info("booth stopping (%s); summary written", why)
        return self.flush()

    def flush(self) -> Path:
        """Write today's file; on a new day, start the counts again."""
        path = self.path
        atomic_write_text(path, json.dumps(self.as_dict(), indent=1) + "\n")
        self._flushed = self.clock()
        if self._today() != self._day:
            self._day = self._today()
            self.started = self.clock()
            self.visitors = self.fault_count = self.restarts = self.frames = 0
            self.visit_s = 0.0
            self.faults = []
        return path


def booth_log(folder: Path, max_bytes: int = 1_000_000) -> logging.Handler:
    """A rotating log file in the booth folder for the `emotune` loggers (INFO and up)."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(folder / "booth.log", maxBytes=max_bytes, backupCount=3,
                                  encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("emotune")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    return handler
