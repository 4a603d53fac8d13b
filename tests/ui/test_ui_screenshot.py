"""`python -m app --source FILE --screenshot OUT.png --quit-after-frames N` runs the real
window (offscreen here; under Xvfb for docs/screenshot.png), writes the PNG and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from app.config import save_config

ROOT = Path(__file__).resolve().parents[2]


def run_app(args, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


def test_screenshot_after_n_frames(tmp_path, face_video, tiny_config):
    config = save_config(tiny_config, tmp_path / "settings.toml")
    out = tmp_path / "shot.png"
    done = run_app(["--source", str(face_video), "--config", str(config), "--screenshot",
                    str(out), "--quit-after-frames", "12", "--start-check"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "12 frames processed" in done.stderr
    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 600


def test_a_missing_source_still_writes_the_screenshot_and_fails(tmp_path, tiny_config):
    config = save_config(tiny_config, tmp_path / "settings.toml")
    out = tmp_path / "shot.png"
    done = run_app(["--source", str(tmp_path / "nope.mp4"), "--config", str(config),
                    "--screenshot", str(out), "--quit-after-frames", "5"], tmp_path)
    assert done.returncode == 1
    assert "source stopped after 0 frames" in done.stderr and "nope.mp4" in done.stderr
    assert out.is_file()
