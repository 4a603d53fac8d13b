"""Issue #17, "Nothing lost": settings and exports are written through `app.atomic`; a
process killed in the middle of a write leaves the previous file intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.atomic import atomic_write_text
from app.config import AppConfig, load_config, save_config

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]

# The child patches os.fsync: once the new content is in the temporary file but before
# the rename, it says "writing" and hangs, and the parent kills it with SIGKILL.
CHILD = textwrap.dedent("""
    import os, sys, time, dataclasses
    sys.path.insert(0, {root!r})
    def hang(fd):
        print("writing", flush=True)
        time.sleep(60)
    os.fsync = hang
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "settings":
        from app.config import AppConfig, save_config
        c = AppConfig()
        save_config(dataclasses.replace(c, ui=dataclasses.replace(c.ui, theme="dark")), path)
    else:
        import numpy as np
        from app.pipeline.check import write_check_csv
        from app.metrics import ConfusionMatrix
        from app.labels import EMOTIONS
        m = ConfusionMatrix(np.ones((7, 7), dtype=np.int64), tuple(EMOTIONS))
        write_check_csv(m, np.zeros(7, dtype=np.int64), path)
""")


def _kill_mid_write(kind: str, path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT)), kind,
                              str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def test_settings_killed_mid_write_keep_the_old_file(tmp_path):
    path = tmp_path / "settings.toml"
    save_config(AppConfig(), path)
    before = path.read_bytes()
    _kill_mid_write("settings", path)
    assert path.read_bytes() == before
    assert load_config(path).problems == ()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["settings.toml"]


def test_export_killed_mid_write_keeps_the_old_export(tmp_path):
    path = tmp_path / "check.csv"
    path.write_text("an earlier export\n")
    _kill_mid_write("csv", path)
    assert path.read_text() == "an earlier export\n"


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "x.txt"
    atomic_write_text(path, "old")

    def broken(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["x.txt"]


def test_png_export_goes_through_the_atomic_writer(qtbot, tmp_path, monkeypatch):
    from PySide6.QtGui import QImage

    import app.ui.check_controller as wa

    written = []
    real = wa.atomic_write_bytes
    monkeypatch.setattr(wa, "atomic_write_bytes",
                        lambda p, data: written.append(p) or real(p, data))
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(0)
    target = tmp_path / "m.png"
    assert wa.save_image_atomically(image, str(target))
    assert written == [str(target)] and target.read_bytes()[:4] == b"\x89PNG"
