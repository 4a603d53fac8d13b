"""PyInstaller runtime hook: point python-vlc at a working libvlc before the app imports it.

python-vlc looks for libvlc with `ctypes.util.find_library`, which inside a bundle may
miss it, and it calls `sys.exit(1)` when PYTHON_VLC_LIB_PATH or PYTHON_VLC_MODULE_PATH
name something unusable. So this hook sets them only after loading the library itself:
first a libvlc shipped in the bundle (`vlc/libvlc.so.5` + `vlc/plugins`, for packagers who
add one), then the system's (Debian/Ubuntu `libvlc5 vlc-plugin-base`, Fedora, Arch).
When none loads it changes nothing and drops unusable user settings, so the app starts
with music off and tells the user what to install (app/music/player.py) instead of dying.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path

LIB_NAME = "libvlc.so.5"
# (library folder, plugin folder) on common Linux distributions.
SYSTEM_LOCATIONS: tuple[tuple[str, str], ...] = (
    ("/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/vlc/plugins"),
    ("/usr/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu/vlc/plugins"),
    ("/usr/lib64", "/usr/lib64/vlc/plugins"),
    ("/usr/lib", "/usr/lib/vlc/plugins"),
    ("/usr/local/lib", "/usr/local/lib/vlc/plugins"),
)
ENV_KEYS = ("PYTHON_VLC_LIB_PATH", "PYTHON_VLC_MODULE_PATH")


def candidates(bundle_dir: Path | None,
               system: Sequence[tuple[str, str]] = SYSTEM_LOCATIONS) -> list[tuple[Path, Path]]:
    """(libvlc file, plugin folder) pairs to try, the bundled one first."""
    pairs = []
    if bundle_dir is not None:
        pairs.append((Path(bundle_dir) / "vlc" / LIB_NAME, Path(bundle_dir) / "vlc" / "plugins"))
    pairs += [(Path(lib) / LIB_NAME, Path(plugins)) for lib, plugins in system]
    return pairs


def _loads(path: Path, load: Callable[[str], object]) -> bool:
    try:
        load(str(path))
    except OSError:
        return False
    return True


def configure_vlc(environ: MutableMapping[str, str], bundle_dir: Path | None,
                  system: Sequence[tuple[str, str]] = SYSTEM_LOCATIONS,
                  load: Callable[[str], object] = ctypes.CDLL) -> Path | None:
    """Set python-vlc's variables to the first libvlc that loads; returns it, or None.

    A user's own PYTHON_VLC_LIB_PATH is kept when it loads (and its module path when it is
    a folder); settings that would make python-vlc exit are removed.
    """
    own = environ.get("PYTHON_VLC_LIB_PATH")
    if own:
        module_path = environ.get("PYTHON_VLC_MODULE_PATH")
        if module_path and not Path(module_path).is_dir():
            environ.pop("PYTHON_VLC_MODULE_PATH")
        if _loads(Path(own), load):
            return Path(own)
    for key in ENV_KEYS:
        environ.pop(key, None)
    for lib, plugins in candidates(bundle_dir, system):
        if lib.is_file() and plugins.is_dir() and _loads(lib, load):
            environ["PYTHON_VLC_LIB_PATH"] = str(lib)
            environ["PYTHON_VLC_MODULE_PATH"] = str(plugins)
            environ.setdefault("VLC_PLUGIN_PATH", str(plugins))
            return lib
    return None


if getattr(sys, "frozen", False):  # only inside the bundle; importing it in tests is inert
    configure_vlc(os.environ, Path(getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))))
