"""A private session bus and a real VLC speaking MPRIS 2 on it, for the external back-end.

`PrivateBus` starts `dbus-daemon` with a config of its own (a socket in a temporary
folder, any local user may connect: VLC refuses to run as root, so under root, as in CI,
it runs as `nobody` and must reach the bus that root's tests use). `VlcProcess` starts
`vlc -I dummy --control dbus` on the demo tracks with ALSA's `null` device: it plays
without a sound card, and unlike `--aout=dummy` its software volume answers MPRIS
`Volume` (dummy always reports 0). Every wait is bounded; a missing `dbus-daemon` or
`vlc` skips with what to install.
"""

from __future__ import annotations

import os
import pwd
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
MOODS = ("happy", "sad")  # the demo tracks VLC plays: 2 pieces each, 4 in its playlist


def wait_for(predicate, timeout: float = 5.0, step: float = 0.05):
    """Poll until predicate() is truthy; its value, or None when `timeout` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def need(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} is not installed: apt-get install {package} "
                    "(scripts/setup.sh does it as root)")
    return path


class PrivateBus:
    """dbus-daemon on a socket in `folder`; `address` for DBUS_SESSION_BUS_ADDRESS."""

    def __init__(self, folder: Path) -> None:
        daemon = need("dbus-daemon", "dbus-daemon")
        conf = folder / "bus.conf"
        conf.write_text(BUS_CONF.format(dir=folder), encoding="utf-8")
        self.proc = subprocess.Popen([daemon, "--config-file", str(conf), "--nofork",
                                      "--print-address"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 5.0)  # never block for good
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            pytest.skip("dbus-daemon did not print its address within 5 s")
        self.address = line.strip()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=3)


def demo_tracks(folder: Path) -> list[Path]:
    """The project's demo pieces for MOODS, copied where VLC (perhaps as nobody) reads them;
    generated with the project's synthesiser when set-up has not made them yet."""
    from app.music.library import default_music_root
    from app.music.synth import piece_name, render, write_wav

    out = []
    for mood in MOODS:
        for variant in (0, 1):
            name = piece_name(mood, variant)
            src = default_music_root() / mood / name
            dst = folder / "music" / mood / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_file():
                shutil.copyfile(src, dst)
            else:
                write_wav(dst, render(mood, seconds=8.0, variant=variant))
            out.append(dst)
    for path in (folder / "music").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (folder / "music").chmod(0o755)
    return out


class VlcProcess:
    """`vlc -I dummy --control dbus` playing `tracks` on the bus at `address`."""

    def __init__(self, address: str, tracks: list[Path], home: Path) -> None:
        vlc = need("vlc", "vlc-bin vlc-plugin-base")
        home.mkdir(exist_ok=True)
        user: dict = {}
        if os.geteuid() == 0:  # "VLC is not supposed to be run as root": run it as nobody
            nobody = pwd.getpwnam("nobody")
            os.chown(home, nobody.pw_uid, nobody.pw_gid)
            user = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "DBUS_SESSION_BUS_ADDRESS": address}
        self.proc = subprocess.Popen(
            [vlc, "-I", "dummy", "--control", "dbus", "--aout", "alsa",
             "--alsa-audio-device", "null", "--no-video", "--loop", *map(str, tracks)],
            env=env, cwd=str(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, **user)
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill it outright (no goodbye on the bus but the connection dropping)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=5)


def vlc_on_bus(address: str):
    """True once VLC's MPRIS name is on the bus."""
    from app.music.mpris import MprisBus, MprisError

    try:
        bus = MprisBus(address, timeout_s=0.5)
    except MprisError:
        return False
    try:
        return any(p.short == "vlc" for p in bus.players())
    except MprisError:
        return False
    finally:
        bus.close()


def scratch() -> Path:
    """A folder other users can enter (pytest's tmp_path is root-only: VLC runs as nobody)."""
    folder = Path(tempfile.mkdtemp(prefix="emotune-mpris-"))
    folder.chmod(0o755)
    return folder


class Rig:
    """A private bus with VLC playing the demo tracks on it; `start()` makes a new VLC
    (after a kill), `close()` ends both and removes the folder, also when set-up failed."""

    def __init__(self) -> None:
        self.folder = scratch()
        self.bus: PrivateBus | None = None
        self.vlc: VlcProcess | None = None
        try:
            self.bus = PrivateBus(self.folder)
            self.tracks = demo_tracks(self.folder)
            self.titles = {p.stem.replace("_", " ") for p in self.tracks}
            self.vlc = self.start()
        except BaseException:  # a skip or a failure: leave nothing running behind
            self.close()
            raise

    def start(self) -> VlcProcess:
        vlc = VlcProcess(self.bus.address, self.tracks, self.folder / "home")
        if not wait_for(lambda: vlc_on_bus(self.bus.address), timeout=15.0, step=0.2):
            vlc.kill()
            pytest.fail("VLC did not register org.mpris.MediaPlayer2.vlc on the bus within "
                        "15 s (is vlc-plugin-base's control/libdbus_plugin.so there?)")
        return vlc

    def close(self) -> None:
        if self.vlc is not None:
            self.vlc.kill()
        if self.bus is not None:
            self.bus.close()
        shutil.rmtree(self.folder, ignore_errors=True)
