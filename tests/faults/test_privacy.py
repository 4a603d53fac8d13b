"""Issue #17, privacy: the whole pipeline runs with the network blocked, and the app writes
nothing outside its config and data folders (booth mode: only its summary and log there),
unless the user exports something."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import AppConfig
from tests.faults.videohelp import grey_video

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_network(monkeypatch):
    """Every way Python opens a connection raises and is recorded."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] if args else kwargs)
        raise OSError("network blocked by the privacy test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_the_whole_pipeline_runs_with_sockets_blocked(qtbot, tmp_path, tiny_checkpoints,
                                                       no_network):
    from app.music.factory import create_controller
    from app.pipeline.worker import (
        PipelineRunner,
        PipelineWorker,
        app_processor_factory,
        app_source_factory,
    )

    base = AppConfig()
    config = dataclasses.replace(base, model=dataclasses.replace(
        base.model, cnn1=str(tiny_checkpoints["cnn1"]), cnn2=str(tiny_checkpoints["cnn2"]),
        threads=1, optimize="none"))
    music = create_controller(config, backend="null")
    worker = PipelineWorker(app_source_factory(str(grey_video(tmp_path / "v.avi", 40)), config),
                            app_processor_factory(config), config.smoothing, pace=False,
                            gestures=config.gestures, music=music)
    results, failed = [], []
    worker.result.connect(results.append)
    worker.failed.connect(lambda kind, msg: failed.append(msg))
    runner = PipelineRunner()
    runner.start(worker)
    qtbot.waitUntil(lambda: len(results) >= 10 or bool(failed), timeout=60000)
    runner.stop()
    music.close()
    assert not failed and len(results) >= 10
    assert no_network == []


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kiosk", [False, True])
def test_nothing_is_written_outside_config_and_data(tmp_path, kiosk):
    home = tmp_path / "home"
    dirs = {k: home / k for k in ("config", "data", "cache", "tmp", "cwd")}
    for d in dirs.values():
        d.mkdir(parents=True)
    video = grey_video(tmp_path / "v.avi", 40)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(dirs["config"]),
           "XDG_DATA_HOME": str(dirs["data"]), "XDG_CACHE_HOME": str(dirs["cache"]),
           "TMPDIR": str(dirs["tmp"]), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
    before = _files(home)
    cmd = [sys.executable, "-m", "app", "--source", str(video), "--quit-after-frames", "15"]
    out = subprocess.run(cmd + (["--kiosk"] if kiosk else []), cwd=dirs["cwd"], env=env,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode in (0, 1), out.stderr[-2000:]
    new = _files(home) - before
    outside = [p for p in new if not (p.is_relative_to(dirs["config"] / "emotune")
                                      or p.is_relative_to(dirs["data"] / "emotune"))]
    assert outside == [], outside
    if kiosk:
        names = {p.name for p in new}
        assert "booth.log" in names and any(n.startswith("summary-") for n in names)
        assert not any(p.suffix.lower() in (".png", ".jpg", ".avi", ".npz") for p in new)
    else:
        assert new == set()  # a plain run writes nothing at all
