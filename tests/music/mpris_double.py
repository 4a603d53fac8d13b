"""A small MPRIS player WITH playlists, served on the real test bus (a test double).

VLC 3's MPRIS has no `org.mpris.MediaPlayer2.Playlists` (its D-Bus plugin exports Root,
Player and TrackList only), and the Debian players that do (Rhythmbox, Strawberry) are
large desktop apps. So the playlist path is checked against this double: a jeepney
service on the same private bus, speaking the same MPRIS methods and properties a player
would. It is a stand-in, not a player; the VLC tests are the real-player ones.
"""

from __future__ import annotations

import threading

PLAYLISTS = {"/pl/0": "Party mix", "/pl/1": "Rainy day", "/pl/2": "Calm"}
XML = """<node><interface name="org.freedesktop.DBus.Properties"/>
<interface name="org.mpris.MediaPlayer2"/><interface name="org.mpris.MediaPlayer2.Player"/>
<interface name="org.mpris.MediaPlayer2.Playlists"/></node>"""


class PlaylistPlayer(threading.Thread):
    """Serves org.mpris.MediaPlayer2.<name> until `stop()`; records what it was asked."""

    def __init__(self, address: str, name: str = "emotunetest") -> None:
        super().__init__(daemon=True, name="mpris-double")
        from jeepney.io.blocking import open_dbus_connection

        self.conn = open_dbus_connection(bus=address)
        self.name = f"org.mpris.MediaPlayer2.{name}"
        self.calls: list[str] = []
        self.active: str | None = None
        self.state, self.volume = "Stopped", 0.5
        self._halt = threading.Event()
        from jeepney.bus_messages import message_bus

        self.conn.send_and_get_reply(message_bus.RequestName(self.name), timeout=2)

    def _props(self, iface: str) -> dict:
        if iface == "org.mpris.MediaPlayer2":
            return {"Identity": ("s", "Playlist Double"), "CanQuit": ("b", False)}
        if iface == "org.mpris.MediaPlayer2.Playlists":
            return {"PlaylistCount": ("u", len(PLAYLISTS)),
                    "Orderings": ("as", ["Alphabetical"])}
        title = PLAYLISTS.get(self.active or "", "nothing")
        return {"PlaybackStatus": ("s", self.state), "Volume": ("d", self.volume),
                "Metadata": ("a{sv}", {"xesam:title": ("s", f"{title} 1"),
                                       "mpris:trackid": ("o", "/t/1")}),
                "CanGoNext": ("b", True), "CanGoPrevious": ("b", True),
                "CanPlay": ("b", True), "CanPause": ("b", True), "CanControl": ("b", True),
                "Position": ("x", 0)}

    def _answer(self, msg):
        from jeepney import new_error, new_method_return
        from jeepney.low_level import HeaderFields

        member = msg.header.fields.get(HeaderFields.member)
        self.calls.append(member)
        if member == "Introspect":
            return new_method_return(msg, "s", (XML,))
        if member == "GetAll":
            return new_method_return(msg, "a{sv}", (self._props(msg.body[0]),))
        if member == "Get":
            return new_method_return(msg, "v", (self._props(msg.body[0])[msg.body[1]],))
        if member == "Set" and msg.body[1] == "Volume":
            self.volume = float(msg.body[2][1])
            return new_method_return(msg)
        if member == "GetPlaylists":
            by_name = sorted(PLAYLISTS.items(), key=lambda kv: kv[1])  # "Alphabetical"
            return new_method_return(msg, "a(oss)", ([(k, v, "") for k, v in by_name],))
        if member == "ActivatePlaylist":
            self.active, self.state = msg.body[0], "Playing"
            return new_method_return(msg)
        if member in ("PlayPause", "Play", "Pause", "Next", "Previous"):
            if member in ("PlayPause", "Play", "Pause"):
                playing = member == "Play" or (member == "PlayPause" and self.state != "Playing")
                self.state = "Playing" if playing else "Paused"
            return new_method_return(msg)
        return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,))

    def run(self) -> None:
        from jeepney import MessageType

        while not self._halt.is_set():
            try:
                msg = self.conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            if msg.header.message_type == MessageType.method_call:
                self.conn.send(self._answer(msg))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)
        self.conn.close()
