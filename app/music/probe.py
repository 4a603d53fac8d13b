"""Check that music files really decode, off the GUI thread, before they are played.

The library takes files by extension, so a damaged file or a text file named `.mp3` used
to reach VLC, which reported "ended" at once; the controller replayed it in a loop and the
window froze. `probe_track` asks VLC to parse the file (an audio track must be found) or,
without VLC, reads its header (WAV through `wave`, others by their magic bytes).
`probe_library` returns the library without the bad tracks, each listed in `problems`
(Settings > Music shows them). `LibraryProber` runs it on a daemon thread and hands the
result to a callback, so a large library never blocks the window.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path

from app.music.library import Library, Playlist
from app.music.mp3check import mp3_problem

# The first bytes of the formats the library accepts (ID3 tag or MPEG frame sync for MP3).
MAGIC: dict[str, tuple[bytes, ...]] = {
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa"),
    ".ogg": (b"OggS",), ".oga": (b"OggS",), ".opus": (b"OggS",),
    ".flac": (b"fLaC",), ".wav": (b"RIFF",),
}
PARSE_TIMEOUT_S = 3.0

Probe = Callable[[Path], str | None]


def probe_header(path: Path) -> str | None:
    """None when the file looks decodable by its header, else why not."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    suffix = path.suffix.lower()
    if suffix == ".wav":
        try:
            with wave.open(str(path), "rb") as w:
                if w.getnframes() == 0:
                    return "holds no audio"
        except (wave.Error, EOFError, OSError) as exc:
            return f"is not a readable WAV file ({exc})"
        return None
    if suffix in (".m4a", ".aac", ".mp4") and head[4:8] != b"ftyp" and \
            not head.startswith(b"\xff\xf1") and not head.startswith(b"\xff\xf9"):
        return "is not an AAC/MP4 audio file"
    magic = MAGIC.get(suffix)
    if magic and not head.startswith(magic):
        return f"does not start like a {suffix[1:].upper()} file (damaged or misnamed)"
    if suffix == ".mp3":  # frame-sync bytes at the start prove nothing (issue #25)
        return mp3_problem(path)
    return None


def vlc_probe(instance) -> Probe:
    """A probe asking libvlc to parse each file; it must find an audio track."""
    import vlc

    def probe(path: Path) -> str | None:
        header = probe_header(path)
        if header is not None:
            return header
        media = instance.media_new_path(str(path))
        try:
            media.parse_with_options(vlc.MediaParseFlag.local, int(PARSE_TIMEOUT_S * 1000))
            deadline = time.monotonic() + PARSE_TIMEOUT_S + 0.5
            while media.get_parsed_status() == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            status = media.get_parsed_status()
            if status != vlc.MediaParsedStatus.done:
                return f"could not be parsed by VLC ({status})"
            tracks = media.tracks_get() or []
            if not any(t.type == vlc.TrackType.audio for t in tracks):
                return "holds no audio track VLC can decode"
            return None
        finally:
            media.release()

    return probe


def probe_library(library: Library, probe: Probe = probe_header
                  ) -> tuple[Library, tuple[tuple[Path, str], ...]]:
    """The library without undecodable tracks, and the (path, reason) of each one left out."""
    skipped: list[tuple[Path, str]] = []
    playlists = {}
    verdicts: dict[Path, str | None] = {}
    for emotion, playlist in library.playlists.items():
        kept = []
        for track in playlist.tracks:
            if track.path not in verdicts:
                try:
                    verdicts[track.path] = probe(track.path)
                except Exception as exc:  # a probe fault must not lose the whole library
                    verdicts[track.path] = f"could not be checked ({exc})"
                if verdicts[track.path] is not None:
                    skipped.append((track.path, verdicts[track.path]))
            if verdicts[track.path] is None:
                kept.append(track)
        if kept:
            playlists[emotion] = Playlist(emotion, tuple(kept), playlist.sources)
    problems = library.problems + tuple(f"{p.name} skipped: it {why}" for p, why in skipped)
    problems += tuple(f"no playable music for {e} (every file failed the check)"
                      for e in library.playlists if e not in playlists)
    return dataclasses.replace(library, playlists=playlists, problems=problems), \
        tuple(skipped)


def probe_for(player) -> Probe:
    """VLC's parse when the player is VLC (the decoder that will play it), else headers."""
    instance = getattr(player, "_instance", None)
    if getattr(player, "name", "") == "vlc" and instance is not None:
        return vlc_probe(instance)
    return probe_header


def check_in_background(controller) -> LibraryProber:
    """Probe the controller's library on a thread and hand it the checked one."""
    prober = LibraryProber(controller.library, lambda lib, _skipped: controller.use_library(lib),
                           probe_for(controller.player))
    prober.start()
    return prober


class LibraryProber(threading.Thread):
    """Probes a library on its own thread; `done(library, skipped)` is called from it."""

    def __init__(self, library: Library, done: Callable[[Library, tuple], None],
                 probe: Probe = probe_header) -> None:
        super().__init__(name="emotune-music-probe", daemon=True)
        self.library, self.done, self.probe = library, done, probe
        self.result: tuple[Library, tuple] | None = None

    def run(self) -> None:
        self.result = probe_library(self.library, self.probe)
        self.done(*self.result)
