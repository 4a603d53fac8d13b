"""The player the user already has, behind one small protocol (no Qt).

The built-in back-end (`app.music.player`) plays our own files; an external player plays
its own library, so it cannot take `play(track)`. It takes transport commands instead:
`ExternalPlayer` (play/pause, next, previous, volume, playlists) and reports an
`ExternalStatus` (which player, its track and state, what it can do, or why there is
none). `app.music.external_controller` drives it with the same policy and gestures as
the built-in player. Two implementations: `MprisPlayer` (Linux, MPRIS 2 over the session
D-Bus) and `app.music.mediakeys.MediaKeysPlayer` (Windows and macOS, the system's media
keys).

`MprisPlayer.refresh()` is called from the music thread every `poll_s`: it lists the
players, follows the one chosen by name (settings `music.player`) or else the most recently
active one (the one seen starting to play last; playerctl's rule), and reads its state.
A followed player that disappears is reported as gone ("went away"), and the next player
that appears is followed; commands while there is none do nothing and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from app.music.mpris import (
    PLAYER_IFACE,
    PLAYLISTS_IFACE,
    ROOT_IFACE,
    MprisBus,
    MprisError,
    PlayerName,
    metadata_value,
)

STATES = {"Playing": "playing", "Paused": "paused", "Stopped": "stopped"}
CAPABILITIES = ("play_pause", "next", "previous", "volume", "playlists", "status")


@dataclass(frozen=True)
class ExternalStatus:
    """What the followed player is doing; `player` empty when none is followed, and then
    `message` says why (none found, or it went away)."""

    player: str = ""  # the player's own name ("VLC media player")
    bus_name: str = ""
    state: str = "stopped"  # playing, paused, stopped, unknown (media keys cannot read it)
    title: str = ""
    artist: str = ""
    position_s: float = 0.0
    length_s: float = 0.0
    volume: int | None = None  # 0..100, None when the player does not say
    can: frozenset[str] = frozenset()
    playlists: tuple[str, ...] = ()
    message: str | None = None
    track_key: str = ""  # changes when the track changes (the queued-switch trigger)

    @property
    def connected(self) -> bool:
        return bool(self.player)


class ExternalPlayer(Protocol):
    """What `ExternalMusicController` needs from a player it did not start."""

    name: str  # the back-end: "mpris" or "media-keys"

    def refresh(self) -> ExternalStatus: ...
    def status(self) -> ExternalStatus: ...
    def play_pause(self) -> None: ...
    def play(self) -> None: ...
    def pause(self) -> None: ...
    def next(self) -> None: ...
    def previous(self) -> None: ...
    def set_volume(self, volume: int) -> None: ...
    def activate_playlist(self, name: str) -> bool:
        """Start the player's playlist of that name (case-insensitive); False if none."""
        ...
    def close(self) -> None: ...


def _title(metadata: dict) -> str:
    title = metadata_value(metadata, "xesam:title", "") or ""
    if title:
        return str(title)
    url = str(metadata_value(metadata, "xesam:url", "") or "")
    return Path(unquote(urlparse(url).path)).stem.replace("_", " ") if url else ""


@dataclass
class _Seen:
    playing_since: float = -1.0  # when we last saw it start playing (most recently active)
    state: str = "stopped"


@dataclass
class MprisPlayer:
    """Follows one MPRIS player on the session bus; see the module docstring."""

    wanted: str = ""  # a name ("vlc", "spotify") or an Identity; empty = most recently active
    address: str | None = None  # the bus; None = $DBUS_SESSION_BUS_ADDRESS
    timeout_s: float = 0.5
    name: str = "mpris"
    _bus: MprisBus | None = None
    _current: PlayerName | None = None
    _status: ExternalStatus = field(default_factory=ExternalStatus)
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _interfaces: dict[str, frozenset[str]] = field(default_factory=dict)
    _identity: dict[str, str] = field(default_factory=dict)
    _lost: str = ""  # the player that went away, until another is found
    _clock: int = 0

    # ---- following ----------------------------------------------------------------------
    def refresh(self) -> ExternalStatus:
        """Re-list the players, pick the one to follow and read its state (bounded waits)."""
        self._clock += 1
        try:
            bus = self._connect()
            players = bus.players()
            for p in players:
                self._identify(bus, p)
                self._observe(bus, p)
            chosen = self._choose(players)
            self._follow(chosen)
            self._forget({p.owner for p in players})
            if chosen is None:
                return self._set(ExternalStatus(message=self._missing(players)))
            return self._set(self._read(bus, chosen))
        except MprisError as exc:
            if self._bus is not None and self._bus.closed:
                self._bus = None  # reconnect next time
            if self._current is not None:
                self._follow(None)
                return self._set(ExternalStatus(message=f"{self._missing([])} ({exc})"))
            return self._set(ExternalStatus(message=str(exc)))

    def status(self) -> ExternalStatus:
        return self._status

    def _set(self, status: ExternalStatus) -> ExternalStatus:
        self._status = status
        return status

    def _connect(self) -> MprisBus:
        if self._bus is None or self._bus.closed:
            self._bus = MprisBus(self.address, self.timeout_s)
        return self._bus

    def _identify(self, bus: MprisBus, p: PlayerName) -> None:
        if p.owner in self._identity:
            return
        try:
            root = bus.get_all(p.bus_name, ROOT_IFACE)
            self._identity[p.owner] = str(root.get("Identity") or p.short)
            self._interfaces[p.owner] = bus.interfaces(p.bus_name)
        except MprisError:
            self._identity[p.owner] = p.short
            self._interfaces[p.owner] = frozenset()

    def _observe(self, bus: MprisBus, p: PlayerName) -> None:
        """Note when each player starts playing: the most recently active one is followed."""
        try:
            body = bus.call(p.bus_name, "org.freedesktop.DBus.Properties", "Get", "ss",
                            (PLAYER_IFACE, "PlaybackStatus"))
            state = STATES.get(str(body[0][1]), "stopped")
        except MprisError:
            return
        seen = self._seen.setdefault(p.owner, _Seen())
        if state == "playing" and seen.state != "playing":
            seen.playing_since = self._clock
        seen.state = state

    def _choose(self, players: list[PlayerName]) -> PlayerName | None:
        if self.wanted:
            want = self.wanted.strip().lower()
            players = [p for p in players if want in (p.short.lower(), p.bus_name.lower(),
                                                      self._identity[p.owner].lower())]
        if not players:
            return None
        owners = {p.owner for p in players}
        if self._current is not None and self._current.owner in owners:
            current = self._seen.get(self._current.owner, _Seen())
            rival = max(players, key=lambda p: self._seen.get(p.owner, _Seen()).playing_since)
            rival_seen = self._seen.get(rival.owner, _Seen())
            # switch only to a player that started playing after ours (playerctl's rule)
            if rival_seen.state == "playing" and rival_seen.playing_since > \
                    current.playing_since and current.state != "playing":
                return rival
            return self._current
        return max(players, key=lambda p: (self._seen.get(p.owner, _Seen()).playing_since,
                                           -len(p.bus_name)))

    def _follow(self, chosen: PlayerName | None) -> None:
        if chosen is None and self._current is not None:
            self._lost = self._identity.get(self._current.owner, self._current.short)
        if chosen is not None:
            self._lost = ""
        self._current = chosen

    def _forget(self, owners: set[str]) -> None:
        """Drop what we knew of players that left (a restarted one is a new connection)."""
        for cache in (self._identity, self._interfaces, self._seen):
            for owner in [o for o in cache if o not in owners]:
                del cache[owner]

    def _missing(self, players: list[PlayerName]) -> str:
        if self._lost:
            return (f"{self._lost} went away; waiting for a player to appear "
                    "(gestures and mood resume when one does)")
        if self.wanted and players:
            names = ", ".join(sorted(self._identity[p.owner] for p in players))
            return f"no player named {self.wanted!r} is running (found: {names})"
        if self.wanted:
            return f"no player named {self.wanted!r} is running"
        return "no MPRIS player is running (start your music player)"

    def _read(self, bus: MprisBus, p: PlayerName) -> ExternalStatus:
        props = bus.get_all(p.bus_name, PLAYER_IFACE)
        state = STATES.get(str(props.get("PlaybackStatus")), "stopped")
        meta = props.get("Metadata") or {}
        can = {"status"}
        if props.get("CanPause", True) or props.get("CanPlay", True):
            can.add("play_pause")
        can |= {n for n, k in (("next", "CanGoNext"), ("previous", "CanGoPrevious"))
                if props.get(k, True)}
        volume = props.get("Volume")
        if isinstance(volume, float) and props.get("CanControl", True):
            can.add("volume")
        playlists: tuple[str, ...] = ()
        if PLAYLISTS_IFACE in self._interfaces.get(p.owner, ()):
            can.add("playlists")
            playlists = tuple(name for _id, name in self._playlists(bus, p))
        artist = metadata_value(meta, "xesam:artist", []) or []
        return ExternalStatus(
            player=self._identity.get(p.owner, p.short), bus_name=p.bus_name, state=state,
            title=_title(meta), artist=", ".join(str(a) for a in artist),
            position_s=max(0, int(props.get("Position") or 0)) / 1e6,
            length_s=max(0, int(metadata_value(meta, "mpris:length", 0) or 0)) / 1e6,
            volume=round(100 * min(1.0, volume)) if isinstance(volume, float) else None,
            can=frozenset(can), playlists=playlists,
            track_key=str(metadata_value(meta, "mpris:trackid", "")) + "|" +
            str(metadata_value(meta, "xesam:url", "")))

    def _playlists(self, bus: MprisBus, p: PlayerName) -> list[tuple[str, str]]:
        body = bus.call(p.bus_name, PLAYLISTS_IFACE, "GetPlaylists", "uusb",
                        (0, 200, "Alphabetical", False))
        return [(str(pid), str(name)) for pid, name, _icon in body[0]]

    # ---- commands -----------------------------------------------------------------------
    def _command(self, method: str, signature: str | None = None, body: tuple = ()) -> None:
        """Call the followed player; without one, or when it fails, the status says so."""
        if self._current is None or self._bus is None:
            return
        try:
            self._bus.call(self._current.bus_name, PLAYER_IFACE, method, signature, body)
        except MprisError as exc:
            self._set(replace(self._status, message=str(exc)))

    def play_pause(self) -> None:
        self._command("PlayPause")

    def play(self) -> None:
        self._command("Play")

    def pause(self) -> None:
        self._command("Pause")

    def next(self) -> None:
        self._command("Next")

    def previous(self) -> None:
        self._command("Previous")

    def set_volume(self, volume: int) -> None:
        if self._current is None or self._bus is None:
            return
        try:
            self._bus.set_property(self._current.bus_name, PLAYER_IFACE, "Volume", "d",
                                   max(0, min(100, int(volume))) / 100.0)
        except MprisError as exc:
            self._set(replace(self._status, message=str(exc)))

    def activate_playlist(self, name: str) -> bool:
        if self._current is None or self._bus is None or \
                PLAYLISTS_IFACE not in self._interfaces.get(self._current.owner, ()):
            return False
        try:
            for pid, title in self._playlists(self._bus, self._current):
                if title.strip().lower() == name.strip().lower():
                    self._bus.call(self._current.bus_name, PLAYLISTS_IFACE,
                                   "ActivatePlaylist", "o", (pid,))
                    return True
        except MprisError as exc:
            self._set(replace(self._status, message=str(exc)))
        return False

    def close(self) -> None:
        """Close our connection; the user's player plays on (it is not ours to stop)."""
        if self._bus is not None:
            self._bus.close()
            self._bus = None
