"""Glue between the emotion-state stream, the policy, gestures and a Player (no Qt).

The UI embeds one `MusicController`; the worker (or `bench-control`) calls
`update(state, gesture, t)` once per processed frame, the UI calls the manual methods
(`play_pause`, `next`, `previous`, `set_volume`, `lock`, `select_playlist`) from its
buttons and keys, and paints `snapshot()` (now playing, playlist, why the last switch
happened). Every method returns the `MusicAction`s it took, each with a reason. A lock
serialises calls, so the worker thread and the GUI thread may both call in.

Manual control always wins: a pause by hand or by gesture is never undone by the policy
(a switch while paused only changes what plays on resume), and `lock` freezes the mood.
Switches fade out over `MusicConfig.ramp_s`, change track, and fade back in; call
`tick(t)` from a UI timer to keep fades moving when no frames arrive.

What plays is the policy's (`policy.playlist`); the controller keeps the position in it,
pause, fades (`app.music.fades`) and the player's events. It stays one class because one
lock must cover that whole state: split, the worker thread and the GUI thread could
interleave between the halves (the history, `lock` and the gesture dispatch it shares with
the external-player controller come from `app.music.controls`). The factory is `app.music.factory`.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

from app.config import MusicConfig
from app.music.controls import ControllerBase
from app.music.fades import Fade
from app.music.library import Library, Track
from app.music.player import Player
from app.music.policy import MusicPolicy
from app.music.snapshot import MusicSnapshot
from app.records import EmotionState, GestureEvent, MusicAction

MIN_TRACK_S = 1.0  # a track "ending" sooner than this after it started did not play


class MusicController(ControllerBase):
    """Executes policy, gesture and manual actions on a Player; see the module docstring."""

    def __init__(self, cfg: MusicConfig, library: Library, player: Player,
                 message: str | None = None, history: int = 50,
                 chime: Path | None = None) -> None:
        self.cfg = cfg
        self.chime = chime  # played after each gesture when set (GestureConfig.sound)
        self.library = library
        self.player = player
        self.message = message or getattr(player, "message", None)
        self.policy = MusicPolicy(cfg, library.emotions)
        self.volume = cfg.volume
        self.history: deque[MusicAction] = deque(maxlen=history)
        self._lock = threading.RLock()
        self._index = -1  # position in the policy's playlist
        self._paused = False  # paused by the user (hand or gesture)
        self._reload = False  # the playlist changed while paused: resume starts it
        self._fade: Fade | None = None
        self._errors = 0  # unplayable tracks in a row
        self.bad: set[Path] = set()  # tracks that failed: skipped from then on
        self._started_t = -1e9
        self._last_switch: MusicAction | None = None
        player.set_volume(self.volume)

    @property
    def playlist(self) -> str | None:
        """The playlist playing (or paused): the policy's, the one owner of what plays."""
        return self.policy.playlist

    # ---- the frame stream -------------------------------------------------------------
    def update(self, state: EmotionState, gesture: GestureEvent | None,
               t: float) -> list[MusicAction]:
        """One processed frame: player events, the policy's decision, a gesture, fades."""
        with self._lock:
            done = self._housekeeping(t)
            playing = self.player.status().state == "playing"
            action = self.policy.observe(state, t, playing=playing) if self.follow_mood \
                else None
            if action is not None:
                done.append(self._record(action))
                if action.kind == "switch":
                    self._switch(action, t)
            if gesture is not None:
                done.append(self._gesture(gesture, t))
            self._step_fade(t)
            return done

    def tick(self, t: float | None = None) -> list[MusicAction]:
        """Keep fades and end-of-track handling moving without frames (a UI timer)."""
        with self._lock:
            t = self._now(t)
            done = self._housekeeping(t)
            self._step_fade(t)
            return done

    # ---- manual control (UI buttons and keys) -----------------------------------------
    def play_pause(self, t: float | None = None, source: str = "manual") -> MusicAction:
        """Toggle pause; with nothing loaded, start the neutral (or first) playlist."""
        with self._lock:
            t = self._now(t)
            state = self.player.status().state
            if state == "playing" and not self._paused:
                self._paused = True
                self.player.pause()
                return self._record(MusicAction("pause", t, "paused", source,
                                                self.playlist))
            self._paused = False
            if self.policy.start() is None:
                return self._record(MusicAction("play", t, "no music found: "
                                                + "; ".join(self.library.problems[:1]),
                                                source))
            if state == "paused" and not self._reload:
                self.player.resume()
            else:
                self._play_index(max(self._index, 0), t, fade_in=False)
            return self._record(MusicAction("play", t, "playing", source, self.playlist))

    def next(self, t: float | None = None, source: str = "manual") -> MusicAction:
        with self._lock:
            t = self._now(t)
            self._advance(+1, t, fade=False)
            return self._record(MusicAction("next", t, "next track", source, self.playlist))

    def previous(self, t: float | None = None, source: str = "manual") -> MusicAction:
        with self._lock:
            t = self._now(t)
            self._advance(-1, t, fade=False)
            return self._record(MusicAction("previous", t, "previous track", source,
                                            self.playlist))

    def set_volume(self, volume: int, t: float | None = None,
                   source: str = "manual") -> MusicAction:
        with self._lock:
            self.volume = max(0, min(100, int(volume)))
            if self._fade is None:
                self.player.set_volume(self.volume)
            return self._record(MusicAction("volume", self._now(t), f"volume {self.volume}",
                                            source, self.playlist, volume=self.volume))

    def select_playlist(self, emotion: str, t: float | None = None,
                        lock: bool = True) -> MusicAction:
        """Play an emotion's playlist chosen by hand (locks the mood unless lock=False)."""
        with self._lock:
            t = self._now(t)
            action = self._record(self.policy.select(emotion, t, lock=lock))
            self._paused = False
            self._switch(action, t)
            return action

    def snapshot(self) -> MusicSnapshot:
        with self._lock:
            status = self.player.status()
            tracks = self.library.tracks(self.playlist) if self.playlist else ()
            track = tracks[self._index] if 0 <= self._index < len(tracks) else None
            return MusicSnapshot(
                playlist=self.playlist, tracks=tracks, index=self._index if track else -1,
                track=track,
                state="paused" if self._paused and status.state != "stopped" else status.state,
                position_s=status.position_s, length_s=status.length_s, volume=self.volume,
                locked=self.policy.locked, mode=self.cfg.mode, pending=self.policy.pending,
                last_action=self.history[-1] if self.history else None,
                last_switch=self._last_switch, backend=self.player.name,
                message=self.message, problems=self.library.problems,
                output=getattr(status, "output", ""))

    def use_library(self, library: Library) -> None:
        """Swap in a checked library (`app.music.probe`, from its own thread): the tracks
        that failed the check are gone from the playlists and listed in its problems."""
        with self._lock:
            current = self.snapshot_track()
            self.library = library
            self.policy.set_available(library.emotions)
            tracks = library.tracks(self.playlist) if self.playlist else ()
            if current is not None and current in tracks:
                self._index = tracks.index(current)
            elif self._index >= len(tracks):
                self._index = 0 if tracks else -1

    def reset(self, t: float | None = None) -> MusicAction:
        """Back to the start (a new booth visitor): music stopped, no playlist, the user's
        volume from the settings, the mood unlocked; the library and bad tracks are kept."""
        with self._lock:
            self.player.stop()
            self.policy = MusicPolicy(self.cfg, self.library.emotions)
            self._index = -1
            self._paused = self._reload = False
            self._fade = None
            self.volume = self.cfg.volume
            self.player.set_volume(self.volume)
            self._last_switch = None
            return self._record(MusicAction("reset", self._now(t),
                                            "reset for the next visitor", "booth"))

    def close(self) -> None:
        with self._lock:
            self.player.stop()
            self.player.close()

    # ---- internals ----------------------------------------------------------------------
    def _housekeeping(self, t: float) -> list[MusicAction]:
        """Handle the player's events: an ended track makes a queued switch or goes on to
        the next track; an unplayable one is skipped (not forever if all are bad)."""
        done = []
        while (event := self.player.take_event()) is not None:
            track = self.snapshot_track()
            name = track.title if track else "track"
            if event == "ended" and t - self._started_t < MIN_TRACK_S and track is not None:
                event = "error"  # "ended" at once: VLC could not decode it (issue #17)
            if event == "error":
                if track is not None:
                    self.bad.add(track.path)
                self._errors += 1
                done.append(self._record(MusicAction(
                    "skip", t, f"{name} could not be played; skipped", "player",
                    self.playlist)))
                if self._errors < max(1, len(self.library.tracks(self.playlist or ""))):
                    self._advance(+1, t, fade=False)
                continue
            self._errors = 0
            queued = self.policy.on_track_end(t)
            if queued is not None:
                done.append(self._record(queued))
                self._switch(queued, t)
            else:
                done.append(self._record(MusicAction("next", t, f"{name} finished", "player",
                                                     self.playlist)))
                self._advance(+1, t, fade=False)
        return done

    def snapshot_track(self) -> Track | None:
        tracks = self.library.tracks(self.playlist) if self.playlist else ()
        return tracks[self._index] if 0 <= self._index < len(tracks) else None

    def _switch(self, action: MusicAction, t: float) -> None:
        """Play the playlist the policy switched to (`action.playlist`, already its own)."""
        self._index = 0
        tracks = self.library.tracks(self.playlist)
        if not tracks or self._paused:
            self._reload = True  # paused by the user: the new playlist starts on resume
            return
        playing = self.player.status().state == "playing"
        if playing and action.ramp_s > 0:
            current = self._fade_level(t)
            self._fade = Fade(current, 0, t, action.ramp_s, then_play=tracks[0])
        else:
            self._play_index(0, t, fade_in=action.ramp_s > 0)

    def _advance(self, step: int, t: float, fade: bool) -> None:
        tracks = self.library.tracks(self.playlist) if self.playlist else ()
        if not tracks:
            return
        self._index = (self._index + step) % len(tracks)
        if not self._paused:
            self._play_index(self._index, t, fade_in=fade)

    def _play_index(self, index: int, t: float, fade_in: bool) -> None:
        tracks = self.library.tracks(self.playlist) if self.playlist else ()
        good = [i for i in range(len(tracks)) if tracks[i].path not in self.bad]
        if not good:
            self.player.stop()  # every track failed once: never retried in a loop
            return
        index %= len(tracks)
        self._index = min(good, key=lambda i: (i - index) % len(tracks))  # next good one
        self._started_t = t
        self._reload = False
        self._fade = Fade(0, self.volume, t, self.cfg.ramp_s) if fade_in else None
        self.player.set_volume(0 if fade_in else self.volume)
        self.player.play(tracks[self._index])

    def _fade_level(self, t: float) -> int:
        return self.volume if self._fade is None else self._fade.level(t)

    def _step_fade(self, t: float) -> None:
        f = self._fade
        if f is None:
            return
        if f.then_play is None:
            f.end = self.volume  # a volume change during a fade-in is honoured
        self.player.set_volume(f.level(t))
        if not f.done(t):
            return
        self._fade = None
        if f.then_play is not None and not self._paused:
            self._play_index(self._index, t, fade_in=True)
