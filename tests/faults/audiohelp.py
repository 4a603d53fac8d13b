"""Audio helpers the music fault tests share: a short tone as WAV, real libvlc in a child.

libvlc, libmpg123 and ALSA write to the process's own stderr descriptor, past Python's
`sys.stderr`, so whether their lines reach the terminal can only be seen from outside:
`play_in_child` plays a file in a fresh interpreter and returns what it printed.
"""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def wav(path: Path, seconds: float) -> Path:
    """A mono 8 kHz sine tone of `seconds` at `path` (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(int(8000 * seconds)) / 5) * 3000).astype("<i2")
                      .tobytes())
    return path


def play_in_child(track: Path, seconds: float, options: str = "",
                  prelude: str = "") -> subprocess.CompletedProcess:
    """Play `track` for `seconds` with `VlcPlayer(<options>)` (Python source; the names of
    app.music.player are in scope) in a child interpreter that first runs `prelude`; skips
    the test when libvlc is not installed."""
    pytest.importorskip("vlc")
    code = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
{prelude}
from app.music.player import DEFAULT_VLC_OPTIONS, PlayerUnavailable, VlcPlayer
from app.music.library import Track
from pathlib import Path
try:
    p = VlcPlayer({options})
except PlayerUnavailable:
    print("NOVLC"); sys.exit(0)
p.play(Track(Path({str(track)!r}), "happy")); time.sleep({seconds!r}); p.close()
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    if "NOVLC" in out.stdout:
        pytest.skip("libvlc is not installed")
    return out
