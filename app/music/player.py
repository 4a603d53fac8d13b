"""Audio playback behind a small protocol: python-vlc when libvlc is there, else a null player.

libvlc is a system library (Debian `libvlc5` + `vlc-plugin-base`; `libvlc5` alone makes
`vlc.Instance()` return None). When it is missing the app still runs: `make_player`
returns a `NullPlayer` and a message naming what to install, which the UI shows. The
controller and `bench-control` only see the `Player` protocol, so the policy is measured
the same with either backend.

libvlc calls back from its own threads; the callbacks here only set flags that
`take_event()` hands to the caller's thread, so no VLC thread ever touches app state.
One `vlc.Instance` serves the whole app (`vlc_instance`): instances are heavy and each
loads every plugin. Its log and alsa-lib's go to our log, not the terminal (`vlclog`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.music.library import Track

MISSING_VLC = ("libvlc was not found, so music is off. Install VLC's library: on Debian/"
               "Ubuntu `sudo apt-get install libvlc5 vlc-plugin-base`; on Windows or macOS "
               "install VLC 3 from videolan.org.")
STATES: tuple[str, ...] = ("stopped", "playing", "paused")
# libavcodec first: libmpg123 (VLC's default MP3 decoder) prints its complaints about a
# damaged file straight to stderr, 4,522 lines in 80 s of one junk file (issue #25);
# libavcodec's go through libvlc's log, which vlclog captures. "any" keeps the others.
DEFAULT_VLC_OPTIONS: tuple[str, ...] = ("--no-video", "--quiet", "--no-xlib",
                                        "--codec=avcodec,any")


class PlayerUnavailable(RuntimeError):
    """The audio backend cannot start; the message says what to install."""


@dataclass(frozen=True)
class PlayerStatus:
    """What the player is doing: state, track, position and length (seconds), volume 0..100."""

    state: str
    track: Track | None
    position_s: float = 0.0
    length_s: float = 0.0
    volume: int = 0
    # "" while sound can be made; else why nothing is heard ("no sound device was found"):
    # the state may still be "playing" (the player's clock runs), the panel says the truth.
    output: str = ""


class Player(Protocol):
    """What the music controller needs from a backend."""

    name: str

    def play(self, track: Track) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, volume: int) -> None: ...
    def status(self) -> PlayerStatus: ...
    def take_event(self) -> str | None:
        """"ended" once after a track finished, "error" once after it failed, else None."""
        ...
    def chime(self, path: Path) -> None:
        """Play a short sound over the music (gesture confirmation)."""
        ...
    def close(self) -> None: ...


def _clamp(volume: int) -> int:
    return max(0, min(100, int(volume)))


class NullPlayer:
    """Plays nothing but keeps the state a real player would: used without libvlc and in
    benchmarks and tests (`finish()` simulates the end of a track)."""

    name = "null"

    def __init__(self, message: str | None = None) -> None:
        self.message = message
        self.calls: list[tuple[str, object]] = []
        self._state, self._track, self._volume = "stopped", None, 70
        self._event: str | None = None
        self.output = ""  # set by tests: why nothing would be heard (see PlayerStatus)

    def play(self, track: Track) -> None:
        self.calls.append(("play", track))
        self._state, self._track, self._event = "playing", track, None

    def pause(self) -> None:
        self.calls.append(("pause", None))
        if self._state == "playing":
            self._state = "paused"

    def resume(self) -> None:
        self.calls.append(("resume", None))
        if self._state == "paused":
            self._state = "playing"

    def stop(self) -> None:
        self.calls.append(("stop", None))
        self._state = "stopped"

    def set_volume(self, volume: int) -> None:
        self._volume = _clamp(volume)

    def status(self) -> PlayerStatus:
        return PlayerStatus(self._state, self._track, 0.0, 0.0, self._volume,
                            self.output if self._state == "playing" else "")

    def finish(self, event: str = "ended") -> None:
        """Pretend the current track ended (or failed, with event="error")."""
        self._state, self._event = "stopped", event

    def take_event(self) -> str | None:
        event, self._event = self._event, None
        return event

    def chime(self, path: Path) -> None:
        self.calls.append(("chime", path))

    def close(self) -> None:
        self._state = "stopped"


_instances: dict[tuple[str, ...], object] = {}
_instances_lock = threading.Lock()


def vlc_instance(options: Sequence[str] = DEFAULT_VLC_OPTIONS):
    """The app's one `vlc.Instance` (per option set); PlayerUnavailable when libvlc is missing."""
    key = tuple(options)
    with _instances_lock:
        if key in _instances:
            return _instances[key]
        try:
            import vlc

            from app.music.vlclog import capture_native_logs

            capture_native_logs()  # alsa-lib's handler first: VLC opens ALSA at once
            instance = vlc.Instance(list(key))
        except (ImportError, OSError, NameError, AttributeError) as exc:
            raise PlayerUnavailable(f"{MISSING_VLC} ({type(exc).__name__}: {exc})") from exc
        if instance is None:
            raise PlayerUnavailable(f"{MISSING_VLC} (libvlc loaded but found no plugins: "
                                    "vlc-plugin-base is probably missing)")
        capture_native_logs(instance)
        _instances[key] = instance
        return instance


class VlcPlayer:
    """python-vlc backend; pass `("--aout=dummy", ...)` options to play silently (tests)."""

    name = "vlc"

    def __init__(self, options: Sequence[str] = DEFAULT_VLC_OPTIONS) -> None:
        self._instance = vlc_instance(options)  # first: raises PlayerUnavailable cleanly
        import vlc

        from app.music.vlclog import output_watch  # loaded by vlc_instance already

        self._vlc = vlc
        self._output = output_watch  # read by status() on every frame: imported once here
        self._mp = self._instance.media_player_new()
        self._track: Track | None = None
        self._chime = None
        self._volume = 70
        self._events: list[str] = []
        self._lock = threading.Lock()
        self._failures_at = 0  # output_watch.failures when the track started
        manager = self._mp.event_manager()
        manager.event_attach(vlc.EventType.MediaPlayerEndReached, self._on_event, "ended")
        manager.event_attach(vlc.EventType.MediaPlayerEncounteredError, self._on_event,
                             "error")
        manager.event_attach(vlc.EventType.MediaPlayerPlaying, self._on_playing)

    def _on_event(self, _event, kind: str) -> None:  # libvlc thread: set a flag only
        with self._lock:
            self._events.append(kind)

    def _on_playing(self, _event) -> None:
        # The audio output exists only once playing, so a volume set earlier may not stick;
        # re-apply it from the caller's thread (libvlc calls inside callbacks can deadlock).
        with self._lock:
            self._events.append("playing")

    def play(self, track: Track) -> None:
        with self._lock:
            self._events.clear()
        self._failures_at = self._output.failures
        media = self._instance.media_new_path(str(track.path))
        self._mp.set_media(media)
        media.release()
        self._track = track
        if self._mp.play() == -1:
            with self._lock:
                self._events.append("error")

    def pause(self) -> None:
        self._mp.set_pause(1)

    def resume(self) -> None:
        self._mp.set_pause(0)

    def stop(self) -> None:
        self._mp.stop()

    def set_volume(self, volume: int) -> None:
        self._volume = _clamp(volume)
        self._mp.audio_set_volume(self._volume)

    def status(self) -> PlayerStatus:
        state = self._mp.get_state()
        states = self._vlc.State
        name = {states.Playing: "playing", states.Opening: "playing",
                states.Buffering: "playing", states.Paused: "paused"}.get(state, "stopped")
        length = max(0, self._mp.get_length()) / 1000.0
        position = max(0, self._mp.get_time()) / 1000.0
        output = self._output.problem(self._failures_at) if name == "playing" else ""
        return PlayerStatus(name, self._track, position, length, self._volume, output)

    def take_event(self) -> str | None:
        with self._lock:
            while self._events and self._events[0] == "playing":
                self._events.pop(0)
                self._mp.audio_set_volume(self._volume)
            return self._events.pop(0) if self._events else None

    def chime(self, path: Path) -> None:
        # A second media player of the same instance mixes over the music.
        if self._chime is None:
            self._chime = self._instance.media_player_new()
        media = self._instance.media_new_path(str(path))
        self._chime.set_media(media)
        media.release()
        self._chime.play()

    def close(self) -> None:
        self._mp.event_manager().event_detach(self._vlc.EventType.MediaPlayerEndReached)
        self._mp.stop()
        self._mp.release()
        if self._chime is not None:
            self._chime.stop()
            self._chime.release()
            self._chime = None


def make_player(options: Sequence[str] = DEFAULT_VLC_OPTIONS,
                backend: str = "auto") -> tuple[Player, str | None]:
    """A VLC player, or a NullPlayer with the message to show when libvlc is missing.

    backend: "auto" (VLC if possible), "vlc" (raise PlayerUnavailable if not) or "null".
    """
    if backend == "null":
        return NullPlayer(), None
    try:
        return VlcPlayer(options), None
    except PlayerUnavailable as exc:
        if backend == "vlc":
            raise
        return NullPlayer(str(exc)), str(exc)
