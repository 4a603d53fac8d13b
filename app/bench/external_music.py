"""`bench-control --music external`: the same session driving the user's own player.

The policy and gestures are the app's, so the switch and gesture figures are those of the
built-in back-end on the same recognition; what this adds is the player side: which player
was followed, how many commands reached it and how long each took over D-Bus
(`TimedPlayer` wraps the `ExternalPlayer` and times every call). Time for the figures is
video time as always; the command times are wall-clock.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter

import numpy as np

from app.music.external_controller import ExternalMusicController, make_external_player

COMMANDS = ("play_pause", "play", "pause", "next", "previous", "set_volume",
            "activate_playlist")


class TimedPlayer:
    """An ExternalPlayer that records each command's and each refresh's duration (ms)."""

    def __init__(self, player) -> None:
        self.player = player
        self.name = player.name
        self.commands: Counter[str] = Counter()
        self.command_ms: list[float] = []
        self.refresh_ms: list[float] = []
        self.followed: set[str] = set()

    def refresh(self):
        t0 = time.perf_counter()
        status = self.player.refresh()
        self.refresh_ms.append((time.perf_counter() - t0) * 1000)
        if status.connected:
            self.followed.add(status.player)
        return status

    def status(self):
        return self.player.status()

    def close(self) -> None:
        self.player.close()

    def __getattr__(self, name: str):
        if name not in COMMANDS:
            raise AttributeError(name)
        method = getattr(self.player, name)

        def timed(*args):
            t0 = time.perf_counter()
            try:
                return method(*args)
            finally:
                self.command_ms.append((time.perf_counter() - t0) * 1000)
                self.commands[name] += 1
        return timed


def bench_external_controller(config, bus: str | None = None) -> ExternalMusicController:
    """The external back-end as the app makes it, its player wrapped in a TimedPlayer."""
    config = dataclasses.replace(config, music=dataclasses.replace(config.music,
                                                                   backend="external"))
    player = TimedPlayer(make_external_player(config, address=bus))
    controller = ExternalMusicController(config.music, player)
    controller.tick()
    return controller


def _ms(values: list[float]) -> dict:
    if not values:
        return {"median": None, "max": None}
    return {"median": round(float(np.median(values)), 2), "max": round(max(values), 2)}


def external_figures(controller: ExternalMusicController) -> dict:
    """The player side of the run, JSON-ready."""
    timed: TimedPlayer = controller.player
    snap = controller.snapshot()
    status = snap.external
    return {
        "music": f"external ({timed.name})",
        "players_followed": sorted(timed.followed),
        "player_message": snap.message,
        "player_commands": dict(timed.commands),
        "player_command_ms": _ms(timed.command_ms),
        "player_refreshes": len(timed.refresh_ms),
        "player_refresh_ms": _ms(timed.refresh_ms),
        "player_connected_at_end": bool(status and status.connected),
    }
