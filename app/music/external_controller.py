"""Mood and gestures driving the user's own player (`ExternalPlayer`; no Qt).

`ExternalMusicController` has the public surface of `MusicController` (`update`, `tick`,
the manual methods, `snapshot`), so the session, the window's bridge, the booth and
`bench-control` use it unchanged, and it runs the very same `MusicPolicy`: the switches
it decides are the built-in player's switches. Only their execution differs:

- the player offers MPRIS playlists and the user mapped one to the mood
  (`music.playlists`): that playlist starts;
- otherwise the mood does what the player allows: in lift mode a lifted mood raises the
  volume one step above the user's (and a later mood brings it back); in match mode the
  mood is shown and the music stays. Each switch's reason says which happened.

Gestures and the buttons drive the player's transport (play/pause, next, previous,
volume) in every case. The player is polled from the music thread (`tick`) every
`poll_s`; `snapshot()` never waits on the bus (the GUI paints it), it reads what the last
poll saw. A pause by hand or by gesture is kept: a mood's playlist waits for the resume.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections import deque
from pathlib import Path

from app.config import AppConfig, MusicConfig
from app.labels import EMOTIONS
from app.music.controls import ControllerBase
from app.music.external import ExternalPlayer, ExternalStatus
from app.music.library import Library
from app.music.policy import MusicPolicy
from app.music.snapshot import MusicSnapshot
from app.records import EmotionState, GestureEvent, MusicAction

LIFT_STEP = 10  # lift mode without playlists: volume this far above the user's


def mood_note(status: ExternalStatus, cfg: MusicConfig) -> str:
    """One line for the panel (which names the player): what the mood can do with it."""
    if not status.connected:
        return ""
    if "playlists" in status.can and cfg.playlists:
        return (f"the mood starts the playlists mapped in Settings > Music "
                f"({len(cfg.playlists)} of {len(EMOTIONS)} moods)")
    lacks = ("no playlist mapped to a mood (Settings > Music)"
             if "playlists" in status.can else "no playlists")
    if "volume" not in status.can:
        return f"{lacks}: the mood is shown only"
    if cfg.mode == "lift":
        return f"{lacks}: the mood moves only the volume (a step up when lifted)"
    return f"{lacks}: the mood is shown, the music stays (lift mode would raise the volume)"


class ExternalMusicController(ControllerBase):
    """Policy + gestures + buttons on an `ExternalPlayer`; see the module docstring."""

    def __init__(self, cfg: MusicConfig, player: ExternalPlayer, history: int = 50,
                 poll_s: float = 0.5, clock=time.monotonic) -> None:
        self.cfg = cfg
        self.player = player
        self.policy = MusicPolicy(cfg, EMOTIONS)  # every mood decides; the player executes
        self.library = Library(Path(""), {})  # no files of ours (callers may look)
        self.volume = cfg.volume
        self.history: deque[MusicAction] = deque(maxlen=history)
        self.chime = None
        self._lock = threading.RLock()
        self._poll_s, self._clock = poll_s, clock
        self._polled = -1e18
        self._status = ExternalStatus(message="looking for a player…")
        self._paused = False  # paused by the user (hand or gesture)
        self._deferred: str | None = None  # a playlist to start on resume
        self._boost = 0  # lift without playlists: steps above the user's volume
        self._own_skip_until = -1e18  # our own next/previous is no "track ended"
        self._last_switch: MusicAction | None = None

    # ---- the frame stream and the music thread ----------------------------------------
    def update(self, state: EmotionState, gesture: GestureEvent | None,
               t: float) -> list[MusicAction]:
        with self._lock:
            done = self._poll(t)
            action = self.policy.observe(state, t, playing=self._status.state == "playing") \
                if self.follow_mood else None
            if action is not None:
                done.append(self._record(self._mood(action, t) if action.kind == "switch"
                                         else action))
            if gesture is not None:
                done.append(self._gesture(gesture, t))
            return done

    def tick(self, t: float | None = None) -> list[MusicAction]:
        with self._lock:
            return self._poll(self._now(t))

    def _poll(self, t: float, force: bool = False) -> list[MusicAction]:
        now = self._clock()
        if not force and now - self._polled < self._poll_s:
            return []
        self._polled = now
        before, status = self._status, self.player.refresh()
        self._status = status
        done: list[MusicAction] = []
        if status.connected and status.bus_name != before.bus_name:
            if status.volume is not None:  # a newly followed player: its volume is the user's
                self.volume, self._boost = status.volume, 0
        if status.connected and status.state == "playing" and self._paused:
            self._paused = False  # resumed in the player itself
            self._start_deferred()
        same = status.connected and status.bus_name == before.bus_name
        if same and before.track_key and status.track_key != before.track_key and \
                now >= self._own_skip_until:
            queued = self.policy.on_track_end(t)
            if queued is not None:
                done.append(self._record(self._mood(queued, t)))
        return done

    # ---- manual control and gestures ---------------------------------------------------
    def play_pause(self, t: float | None = None, source: str = "manual") -> MusicAction:
        with self._lock:
            t = self._now(t)
            self._poll(t, force=True)  # toggle from the player's state now, not the last poll
            st = self._status
            if not st.connected:
                return self._record(MusicAction("play", t, f"no player: {st.message}", source,
                                                self.policy.playlist))
            playing = st.state == "playing" if st.state != "unknown" else not self._paused
            self.player.play_pause()
            self._polled = -1e18  # read the new state on the next tick
            self._paused = playing
            if playing:
                return self._record(MusicAction("pause", t, f"paused {st.player}", source,
                                                self.policy.playlist))
            self._start_deferred()
            return self._record(MusicAction("play", t, f"playing in {st.player}", source,
                                            self.policy.playlist))

    def next(self, t: float | None = None, source: str = "manual") -> MusicAction:
        return self._skip("next", t, source)

    def previous(self, t: float | None = None, source: str = "manual") -> MusicAction:
        return self._skip("previous", t, source)

    def _skip(self, kind: str, t: float | None, source: str) -> MusicAction:
        with self._lock:
            t, st = self._now(t), self._status
            if not st.connected:
                return self._record(MusicAction(kind, t, f"no player: {st.message}", source,
                                                self.policy.playlist))
            getattr(self.player, kind)()
            self._own_skip_until = self._clock() + 2 * self._poll_s + 1.0
            self._polled = -1e18
            return self._record(MusicAction(kind, t, f"{kind} track in {st.player}", source,
                                            self.policy.playlist))

    def set_volume(self, volume: int, t: float | None = None,
                   source: str = "manual") -> MusicAction:
        with self._lock:
            self.volume = max(0, min(100, int(volume)))
            self._send_volume()
            return self._record(MusicAction("volume", self._now(t), f"volume {self.volume}",
                                            source, self.policy.playlist, volume=self.volume))

    def select_playlist(self, emotion: str, t: float | None = None,
                        lock: bool = True) -> MusicAction:
        with self._lock:
            t = self._now(t)
            action = self.policy.select(emotion, t, lock=lock)
            self._paused = False
            return self._record(self._mood(action, t))

    # ---- the mood ------------------------------------------------------------------------
    def _mood(self, action: MusicAction, t: float) -> MusicAction:
        """Carry out a policy (or manual) switch on the player; the reason says how."""
        st, target = self._status, action.playlist
        who = st.player or "the player"
        if not st.connected:
            return dataclasses.replace(action, reason=f"{action.reason}; no player ({st.message})")
        name = self.cfg.playlists.get(target or "", "")
        if name and "playlists" in st.can:
            if self._paused:
                self._deferred = name
                how = f"{who}'s playlist “{name}” starts when you resume"
            elif self.player.activate_playlist(name):
                self._paused, self._polled = False, -1e18
                how = f"started {who}'s playlist “{name}”"
                if self._boost:  # a lift by volume ends with the playlist
                    how += f"; volume back, {self._lift(0)}"
            else:
                how = f"{who} has no playlist named “{name}”"
            return dataclasses.replace(action, reason=f"{action.reason}; {how}")
        shown = self.policy.held_for(t)
        lifted = (action.source == "policy" and self.cfg.mode == "lift" and shown is not None
                  and shown[0] != target)
        if "volume" not in st.can:
            how = f"{who} takes no playlist or volume: the mood is shown only"
        elif lifted:  # the numbers first: the dock shows one line, elided
            how = (f"lift: volume a step up, {self._lift(LIFT_STEP)}" if self.volume < 100
                   else "lift: volume already at 100")
            how += f" (no {target} playlist in {who})"
        else:
            back = self._lift(0) if self._boost else ""
            how = f"volume back, {back}" if back else "the music stays"
            how += f" (no {target} playlist in {who})"
        return dataclasses.replace(action, reason=f"{action.reason}; {how}")

    def _lift(self, boost: int) -> str:
        before = min(100, self.volume + self._boost)
        self._boost = boost
        self._send_volume()
        return f"{before} -> {min(100, self.volume + self._boost)}"

    def _send_volume(self) -> None:
        if "volume" in self._status.can:
            self.player.set_volume(min(100, self.volume + self._boost))

    def _start_deferred(self) -> None:
        if self._deferred is not None:
            name, self._deferred = self._deferred, None
            self.player.activate_playlist(name)

    # ---- the rest of MusicController's surface -----------------------------------------
    def snapshot(self) -> MusicSnapshot:
        """What the panel shows; reads the last poll, never the bus (GUI thread)."""
        st = self._status
        note = mood_note(st, self.cfg)
        message = "; ".join(m for m in (st.message, note) if m) or None
        state = st.state if st.connected else "stopped"
        return MusicSnapshot(
            playlist=self.policy.playlist, tracks=(), index=-1, track=None,
            state="paused" if self._paused and state == "playing" else state,
            position_s=st.position_s, length_s=st.length_s, volume=self.volume,
            locked=self.policy.locked, mode=self.cfg.mode, pending=self.policy.pending,
            last_action=self.history[-1] if self.history else None,
            last_switch=self._last_switch, backend=self.player.name, message=message,
            problems=(), external=st)

    def use_library(self, library: Library) -> None:
        """No files of ours to check: the external player plays its own library."""

    def reset(self, t: float | None = None) -> MusicAction:
        """A new booth visitor: the player paused, the mood unlocked, the settings' volume."""
        with self._lock:
            if self._status.state == "playing":
                self.player.pause()
            self.policy = MusicPolicy(self.cfg, EMOTIONS)
            self._paused, self._deferred, self._boost = False, None, 0
            self._last_switch = None
            self.volume = self.cfg.volume
            self._send_volume()
            return self._record(MusicAction("reset", self._now(t),
                                            "reset for the next visitor", "booth"))

    def close(self) -> None:
        """Let go of the player; it plays on (it is the user's, not ours to stop)."""
        with self._lock:
            self.player.close()


def make_external_player(config: AppConfig, platform: str = sys.platform,
                         address: str | None = None) -> ExternalPlayer:
    """MPRIS on Linux and other Unix desktops, media keys on Windows and macOS."""
    if platform in ("win32", "darwin"):
        from app.music.mediakeys import MediaKeysPlayer

        return MediaKeysPlayer(volume=config.music.volume)
    from app.music.external import MprisPlayer

    return MprisPlayer(wanted=config.music.player, address=address)


def create_external_controller(config: AppConfig, platform: str = sys.platform,
                               address: str | None = None,
                               poll_s: float = 0.5) -> ExternalMusicController:
    """The controller for `music.backend = "external"`, having looked for a player once."""
    controller = ExternalMusicController(
        config.music, make_external_player(config, platform, address), poll_s=poll_s)
    controller.tick()
    return controller
