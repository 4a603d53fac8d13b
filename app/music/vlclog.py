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
        _emit(f"vlc[{level}]", buf.value.decode(errors="replace"))

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
