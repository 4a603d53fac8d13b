"""VLC's and ALSA's own chatter into our log instead of the user's terminal.

Without a sound card, alsa-lib prints ~100 "ALSA lib pcm.c: Unknown PCM default" lines a
second straight to stderr, and libvlc prints its own warnings beside them; a user (or a
booth log) drowns in them. `capture_native_logs(instance)` installs alsa-lib's error
handler and libvlc's log callback so both go to the `emotune.audio` logger at DEBUG (the
first of each kind at INFO, so a booth log keeps the cause), rate-limited. Both hooks are
ctypes callbacks kept referenced for the life of the process; where the libraries or
`vsnprintf` are missing, nothing is installed and nothing breaks.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time

log = logging.getLogger("emotune.audio")
log.addHandler(logging.NullHandler())  # never Python's last-resort print to stderr

_keep: list[object] = []  # ctypes callbacks must outlive every call into them
_lock = threading.Lock()
_alsa_installed = False
_seen: set[str] = set()
_window = [0.0, 0]  # rate limit: (window start, lines in it)
MAX_LINES_PER_S = 20


class OutputWatch:
    """Whether VLC could open an audio output, read from its log: libvlc has no other way
    to say it. Without a sound device the player still reports "Playing" and its clock
    runs, while the log repeats "failed to create audio output" for every buffer (about
    30 a second, measured with VLC 3.0.24 and no /dev/snd). `failures` counts those lines
    (before any rate limit), `last` is when the latest came, `cause` the most telling
    line before it, in words for the music panel."""

    FAILED = ("failed to create audio output", "audio output failed",
              "no suitable audio output")
    CAUSES = (("no such file or directory", "no sound device was found"),
              ("device or resource busy", "the sound device is busy (another program "
                                          "uses it)"),
              ("permission denied", "the sound device may not be used (permission)"),
              ("pulseaudio server connection failure", "the sound server (PulseAudio) "
                                                       "is not running"),
              ("cannot open alsa device", "the sound device could not be opened"))

    def __init__(self) -> None:
        self.failures = 0
        self.last = 0.0
        self.cause = ""

    def note(self, level: int, text: str) -> None:
        low = text.lower()
        if level >= 3:  # warnings and errors may name the cause
            for needle, words in self.CAUSES:
                if needle in low:
                    # The first match in CAUSES is the most specific: keep it.
                    if not self.cause or self._rank(words) < self._rank(self.cause):
                        self.cause = words
                    break
        if any(f in low for f in self.FAILED):
            self.failures += 1
            self.last = time.monotonic()

    def _rank(self, words: str) -> int:
        return next((i for i, (_, w) in enumerate(self.CAUSES) if w == words), 99)

    def problem(self, since: int, within_s: float = 2.0) -> str:
        """"" when sound can be made; else why not, if VLC failed to open an output after
        the `since` count (taken when the track started) and within the last seconds."""
        if self.failures > since and time.monotonic() - self.last < within_s:
            return self.cause or "VLC could not open a sound output"
        return ""


output_watch = OutputWatch()


def _emit(kind: str, text: str) -> None:
    with _lock:
        now = time.monotonic()
        if now - _window[0] >= 1.0:
            _window[0], _window[1] = now, 0
        _window[1] += 1
        if _window[1] > MAX_LINES_PER_S:
            return
        first = kind not in _seen
        _seen.add(kind)
    log.log(logging.INFO if first else logging.DEBUG, "%s: %s", kind, text)


def silence_alsa() -> bool:
    """Route alsa-lib's error messages to our log (True when the handler is installed)."""
    global _alsa_installed
    if _alsa_installed:
        return True
    name = ctypes.util.find_library("asound")
    if not name:
        return False
    try:
        asound = ctypes.cdll.LoadLibrary(name)
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_char_p)

        def handler(file, line, function, err, fmt):  # fmt's arguments are not read
            _emit("alsa", f"{(function or b'').decode(errors='replace')}: "
                          f"{(fmt or b'').decode(errors='replace')}")

        callback = handler_type(handler)
        asound.snd_lib_error_set_handler(callback)
    except (OSError, AttributeError):
        return False
    _keep.append(callback)
    _alsa_installed = True
    return True


def capture_vlc_log(instance) -> bool:
    """Send libvlc's log to ours (True when installed)."""
    try:
        import vlc

        libc = ctypes.cdll.LoadLibrary(ctypes.util.find_library("c") or "libc.so.6")
        vsnprintf = libc.vsnprintf
        vsnprintf.restype = ctypes.c_int
        vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                              ctypes.c_void_p]
    except (ImportError, OSError, AttributeError):
        return False

    @vlc.CallbackDecorators.LogCb
    def callback(_data, level, _ctx, fmt, args):
        buf = ctypes.create_string_buffer(512)
        vsnprintf(buf, len(buf), fmt, args)
        text = buf.value.decode(errors="replace")
        output_watch.note(int(level), text)  # before the rate limit: every line counts
        _emit(f"vlc[{level}]", text)

    try:
        instance.log_set(callback, None)
    except Exception:  # an old libvlc without log_set: leave its default
        return False
    _keep.append(callback)
    return True


def capture_native_logs(instance=None) -> None:
    """Both hooks; call before the first playback (ALSA) and with the instance (VLC)."""
    silence_alsa()
    if instance is not None:
        capture_vlc_log(instance)
