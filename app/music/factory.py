"""The music controller from settings, for the window and the benchmarks alike.

`create_controller` picks the library (the user's folder, the demo pieces, or one given),
the player (VLC when libvlc loads, else the null player with a message), the gesture chime,
and starts the background check of a user's library (`app.music.probe`). With
`music.backend = "external"` it is the user's own player instead (`external_controller`).
"""

from __future__ import annotations

from app.config import AppConfig
from app.music.controller import MusicController
from app.music.external_controller import ExternalMusicController, create_external_controller
from app.music.library import Library, default_music_root, load_library, resolve_root
from app.music.player import DEFAULT_VLC_OPTIONS, make_player
from app.music.synth import CHIME_NAME


def create_controller(config: AppConfig, vlc_options: tuple[str, ...] = DEFAULT_VLC_OPTIONS,
                      backend: str = "auto", library: Library | None = None
                      ) -> MusicController | ExternalMusicController:
    """The controller from settings, for the window and the benchmarks alike: library from
    `music.library_root` (or the demo pieces) unless one is given, VLC if libvlc is
    installed (else the null player and a message in the snapshot), the gesture chime when
    `gestures.sound` is on. A library read from the settings is checked on a thread
    (`app.music.probe`); a given one (the benchmarks' synthetic tracks) is used as it is."""
    if config.music.backend == "external" and backend == "auto":
        external = create_external_controller(config)  # the user's own player (issue 26)
        external.follow_mood = not config.face_gestures.only  # gesture-only mode
        return external
    loaded = library is None
    if library is None:
        library = load_library(resolve_root(config.music.library_root))
    player, message = make_player(vlc_options, backend)
    chime = default_music_root() / CHIME_NAME if config.gestures.sound else None
    controller = MusicController(config.music, library, player, message, chime=chime)
    controller.follow_mood = not config.face_gestures.only  # gesture-only mode
    if loaded:  # a user's folder: undecodable files are dropped, off the calling thread
        from app.music.probe import check_in_background

        check_in_background(controller)
    return controller


__all__ = ["create_controller"]
