"""Words for the external player, Qt-free: the panel's lines and the playlist-mapping text.

The music panel and Settings > Music (in `app.ui`) only show these strings; building them
here keeps them testable without Qt and identical wherever they appear.
"""

from __future__ import annotations

from app.labels import EMOTIONS
from app.music.snapshot import MusicSnapshot

BACKEND_LABELS = {
    "builtin": "Built-in player (VLC plays the music folder)",
    "external": "My own player (MPRIS on Linux, media keys on Windows/macOS)",
}


def external_lines(snap: MusicSnapshot) -> tuple[str, str]:
    """(now playing, player line) for a snapshot of the external back-end."""
    st = snap.external
    if st is None:
        return "", ""
    if not st.connected:
        return "no player to follow", f"No player — {snap.message or 'none found'}"
    track = st.title or "(the player names no track)"
    if st.artist:
        track += f" — {st.artist}"
    state = {"unknown": "state unknown"}.get(snap.state, snap.state)
    line = f"Player: {st.player} ({snap.backend}) · {state}"
    if snap.message:
        line += f" · {snap.message}"
    return f"{track} (in {st.player})", line


def external_playlists(snap: MusicSnapshot) -> tuple[str, ...]:
    """The list beside the track: the player's playlists, or a line saying it has none."""
    st = snap.external
    if st is None or not st.connected:
        return ()
    return st.playlists or (f"({st.player} offers no playlists)",)


def format_playlists(mapping: dict[str, str]) -> str:
    """{"happy": "Party mix"} -> "happy = Party mix", in the order of EMOTIONS."""
    return "; ".join(f"{e} = {mapping[e]}" for e in EMOTIONS if e in mapping)


def parse_playlists(text: str) -> tuple[dict[str, str], list[str]]:
    """"happy = Party mix; sad = Rainy day" -> the mapping and what was wrong (entries
    that are not `mood = playlist name` with one of the seven moods are left out)."""
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for entry in (e.strip() for e in text.replace("\n", ";").split(";")):
        if not entry:
            continue
        mood, sep, name = (part.strip() for part in entry.partition("="))
        if not sep or not name:
            problems.append(f"“{entry}” is not “mood = playlist name”")
        elif mood.lower() not in EMOTIONS:
            problems.append(f"“{mood}” is not a mood (use {', '.join(EMOTIONS)})")
        else:
            mapping[mood.lower()] = name
    return mapping, problems
