"""MPRIS 2 over the session D-Bus, in plain calls with bounded waits (jeepney, no Qt).

MPRIS is how Linux desktop players (VLC, Spotify, Rhythmbox, Strawberry, browsers) let
other programs drive them: each registers `org.mpris.MediaPlayer2.<name>` on the session
bus and exposes `/org/mpris/MediaPlayer2` with the Player interface (transport, volume,
metadata) and, optionally, Playlists. `MprisBus` wraps one connection: list the players,
read their properties, call their methods. Every call waits at most `timeout_s`; a bus
that went away or a player that no longer answers raises `MprisError` with what happened,
never hangs the caller. jeepney is imported lazily (Windows and macOS never need it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

PREFIX = "org.mpris.MediaPlayer2."
PATH = "/org/mpris/MediaPlayer2"
ROOT_IFACE = "org.mpris.MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
PLAYLISTS_IFACE = "org.mpris.MediaPlayer2.Playlists"
NO_BUS = ("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): MPRIS players "
          "cannot be reached; start the app inside your desktop session")


class MprisError(RuntimeError):
    """The bus or a player could not be reached or refused a call; the text says which."""


@dataclass(frozen=True)
class PlayerName:
    """One MPRIS player on the bus: its well-known name and the connection that owns it."""

    bus_name: str  # org.mpris.MediaPlayer2.vlc (or .vlc.instance1234)
    owner: str  # the unique name (":1.42"): a restarted player gets a new one

    @property
    def short(self) -> str:
        """"vlc" for org.mpris.MediaPlayer2.vlc and org.mpris.MediaPlayer2.vlc.instance7."""
        return self.bus_name[len(PREFIX):].split(".")[0]


def metadata_value(metadata: dict[str, Any], key: str, default: Any = None) -> Any:
    """A value of an MPRIS Metadata dict, whose values are (signature, value) variants."""
    value = metadata.get(key)
    if isinstance(value, tuple) and len(value) == 2:
        return value[1]
    return default if value is None else value


def systemd_user_bus() -> str:
    """systemd's per-user bus, when the variable is missing (an app started outside the
    desktop session, e.g. from a service) but the bus is there; else ""."""
    getuid = getattr(os, "getuid", None)
    path = f"/run/user/{getuid()}/bus" if getuid else ""
    return f"unix:path={path}" if path and os.path.exists(path) else ""


class MprisBus:
    """One connection to the session bus (or the bus at `address`)."""

    def __init__(self, address: str | None = None, timeout_s: float = 0.5) -> None:
        self.address = address or os.environ.get("DBUS_SESSION_BUS_ADDRESS", "") or \
            systemd_user_bus()
        self.timeout_s = timeout_s
        if not self.address:
            raise MprisError(NO_BUS)
        try:
            from jeepney.io.blocking import open_dbus_connection
        except ImportError as exc:
            raise MprisError("the D-Bus library jeepney is not installed (pip install "
                             f"jeepney): MPRIS players cannot be reached ({exc})") from exc
        try:
            self._conn = open_dbus_connection(bus=self.address, auth_timeout=timeout_s * 2)
        except (OSError, TimeoutError, ValueError, RuntimeError) as exc:
            raise MprisError(f"cannot connect to the session bus at {self.address} "
                             f"({type(exc).__name__}: {exc})") from exc
        self.closed = False

    # ---- raw calls ----------------------------------------------------------------------
    def call(self, bus_name: str, interface: str, method: str, signature: str | None = None,
             body: tuple = (), path: str = PATH) -> tuple:
        """The reply's body; MprisError on an error reply, a timeout or a broken bus."""
        from jeepney import DBusAddress, MessageType, new_method_call

        if self.closed:
            raise MprisError("the session bus connection is closed")
        address = DBusAddress(path, bus_name=bus_name, interface=interface)
        message = new_method_call(address, method, signature, body)
        try:
            reply = self._conn.send_and_get_reply(message, timeout=self.timeout_s)
        except TimeoutError as exc:
            raise MprisError(f"{bus_name} did not answer {method} within "
                             f"{self.timeout_s:g} s") from exc
        except (OSError, ValueError, EOFError) as exc:
            self.closed = True
            raise MprisError(f"the session bus connection broke ({type(exc).__name__}: "
                             f"{exc})") from exc
        if reply.header.message_type == MessageType.error:
            raise MprisError(f"{bus_name} refused {method}: "
                             f"{' '.join(str(b) for b in reply.body) or 'error'}")
        return reply.body

    def get_all(self, bus_name: str, interface: str) -> dict[str, Any]:
        body = self.call(bus_name, "org.freedesktop.DBus.Properties", "GetAll", "s",
                         (interface,))
        return {k: v[1] for k, v in body[0].items()}

    def set_property(self, bus_name: str, interface: str, name: str, signature: str,
                     value: Any) -> None:
        self.call(bus_name, "org.freedesktop.DBus.Properties", "Set", "ssv",
                  (interface, name, (signature, value)))

    # ---- the bus itself -----------------------------------------------------------------
    def players(self) -> list[PlayerName]:
        """Every MPRIS player on the bus, one entry per owning connection (VLC registers
        both `...vlc` and `...vlc.instanceN`; the shorter name is kept)."""
        names = self.call("org.freedesktop.DBus", "org.freedesktop.DBus", "ListNames",
                          path="/org/freedesktop/DBus")[0]
        found: dict[str, PlayerName] = {}
        for name in sorted((n for n in names if n.startswith(PREFIX)), key=len):
            try:
                owner = self.call("org.freedesktop.DBus", "org.freedesktop.DBus",
                                  "GetNameOwner", "s", (name,),
                                  path="/org/freedesktop/DBus")[0]
            except MprisError:
                continue  # it left between the two calls
            found.setdefault(owner, PlayerName(name, owner))
        return list(found.values())

    def interfaces(self, bus_name: str) -> frozenset[str]:
        """The interfaces the player's MPRIS object says it implements (introspection)."""
        xml = self.call(bus_name, "org.freedesktop.DBus.Introspectable", "Introspect")[0]
        return frozenset(part.split('"')[0] for part in xml.split('<interface name="')[1:])

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._conn.close()
            except OSError:
                pass
