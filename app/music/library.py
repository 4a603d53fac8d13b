"""Playlists per emotion, from folders (`<root>/<emotion>/`) or M3U files (`<root>/<emotion>.m3u`).

Users bring their own music: folder and file names are matched through `labels.canonical`,
so `Happiness/`, `joy.m3u8` or `Sad/` all work. Only known audio formats are taken; a
missing, empty or unreadable entry is skipped and listed in `Library.problems` (the UI
shows them), never a crash. Folders are scanned recursively and sorted, so the order is
stable between runs. A folder and an M3U for the same emotion are merged (folder first).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from app.labels import EMOTIONS, canonical
from app.paths import resources_dir

# What libvlc's base plugins (Debian vlc-plugin-base) decode.
AUDIO_EXTENSIONS: frozenset[str] = frozenset({
    ".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wma", ".aiff",
    ".aif", ".mka"})
PLAYLIST_EXTENSIONS: frozenset[str] = frozenset({".m3u", ".m3u8"})


@dataclass(frozen=True)
class Track:
    """One playable file; `title` is what the UI shows (file name without extension)."""

    path: Path
    emotion: str
    title: str = ""

    def __post_init__(self) -> None:
        if self.emotion not in EMOTIONS:
            raise ValueError(f"unknown emotion {self.emotion!r}; expected one of {EMOTIONS}")
        if not self.title:
            object.__setattr__(self, "title", self.path.stem.replace("_", " "))


@dataclass(frozen=True)
class Playlist:
    emotion: str
    tracks: tuple[Track, ...]
    sources: tuple[str, ...] = ()  # folders / M3U files it came from

    def __len__(self) -> int:
        return len(self.tracks)


@dataclass(frozen=True)
class Library:
    """All playlists found under `root`; only non-empty ones are kept."""

    root: Path
    playlists: dict[str, Playlist] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def emotions(self) -> tuple[str, ...]:
        """The emotions that have music, in label order."""
        return tuple(e for e in EMOTIONS if e in self.playlists)

    def tracks(self, emotion: str) -> tuple[Track, ...]:
        playlist = self.playlists.get(emotion)
        return () if playlist is None else playlist.tracks


def default_music_root() -> Path:
    """Where the generated demo pieces live (`scripts/make_demo_music.py` writes them)."""
    return resources_dir() / "music"


def resolve_root(configured: str) -> Path:
    """The library root from `MusicConfig.library_root` (empty = the demo music)."""
    return Path(configured).expanduser() if configured else default_music_root()


def _check_file(path: Path, problems: list[str], where: str) -> bool:
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        problems.append(f"{where}: {path.name} skipped (not a supported audio format; "
                        f"use one of {', '.join(sorted(AUDIO_EXTENSIONS))})")
        return False
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.append(f"{where}: {path} skipped (missing or unreadable: {exc.strerror})")
        return False
    if size == 0:
        problems.append(f"{where}: {path.name} skipped (empty file)")
        return False
    if not os.access(path, os.R_OK):
        problems.append(f"{where}: {path.name} skipped (no permission to read it)")
        return False
    return True


def scan_folder(folder: Path, emotion: str, problems: list[str]) -> list[Track]:
    """Audio files under `folder` (recursive, sorted); others are skipped and reported."""
    tracks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.startswith("."):
            continue
        if path.suffix.lower() in PLAYLIST_EXTENSIONS:
            tracks += read_m3u(path, emotion, problems)
        elif _check_file(path, problems, str(folder)):
            tracks.append(Track(path, emotion))
    return tracks


def read_m3u(path: Path, emotion: str, problems: list[str]) -> list[Track]:
    """Entries of an M3U / M3U8 list; relative paths are relative to the list's folder."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        problems.append(f"{path}: playlist could not be read ({exc.strerror})")
        return []
    tracks = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name} line {number}"
        if "://" in line:
            url = urlparse(line)
            if url.scheme != "file":
                problems.append(f"{where}: {line} skipped (only local files are supported)")
                continue
            line = unquote(url.path)
        entry = Path(line).expanduser()
        if not entry.is_absolute():
            entry = path.parent / entry
        if _check_file(entry, problems, where):
            tracks.append(Track(entry, emotion))
    return tracks


def load_library(root: Path | str) -> Library:
    """Read the playlists under `root`; never raises for bad content, reports it instead."""
    root = Path(root).expanduser()
    problems: list[str] = []
    if not root.is_dir():
        return Library(root, {}, (f"music folder {root} does not exist; create it with one "
                                  "sub-folder per emotion (happy/, sad/, ...), or run "
                                  "scripts/make_demo_music.py for the demo pieces",))
    found: dict[str, list[Track]] = {}
    sources: dict[str, list[str]] = {}
    entries = sorted(root.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
    for entry in entries:
        if entry.name.startswith("."):
            continue
        is_list = entry.is_file() and entry.suffix.lower() in PLAYLIST_EXTENSIONS
        if not (entry.is_dir() or is_list):
            continue
        emotion = canonical(entry.stem if is_list else entry.name)
        if emotion is None:
            problems.append(f"{entry.name} ignored: its name is not an emotion "
                            f"(use one of {', '.join(EMOTIONS)})")
            continue
        tracks = read_m3u(entry, emotion, problems) if is_list else \
            scan_folder(entry, emotion, problems)
        found.setdefault(emotion, []).extend(tracks)
        sources.setdefault(emotion, []).append(str(entry))
    playlists = {}
    for emotion in EMOTIONS:
        if found.get(emotion):
            playlists[emotion] = Playlist(emotion, tuple(found[emotion]),
                                          tuple(sources[emotion]))
        elif emotion in found:
            problems.append(f"no playable music for {emotion} in "
                            f"{', '.join(sources[emotion])}")
    missing = [e for e in EMOTIONS if e not in found]
    if missing:
        problems.append(f"no playlist for {', '.join(missing)}: the music stays as it is for "
                        f"{'that mood' if len(missing) == 1 else 'those moods'}")
    return Library(root, playlists, tuple(problems))
