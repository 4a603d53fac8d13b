"""Issue 22: the face landmarker (face gestures, on by default) needs no network. The
self-test and `calibrate --face-only` run on real faces inside a network namespace with no
interfaces (`unshare -n`, as root), and in-process with every socket call refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.paths import default_weights, landmarker_model_path

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = {"fps": 10, "segments": [
    {"start_s": 0.0, "end_s": 3.0, "emotion": "neutral"},
    {"start_s": 3.0, "end_s": 5.0, "emotion": "surprise", "gesture": "mouth_open"},
    {"start_s": 5.0, "end_s": 7.0, "emotion": "neutral"}]}


def _needs():
    if not landmarker_model_path().is_file():
        pytest.skip("models/face_landmarker.task is absent: run scripts/fetch_landmarker_model.py")
    if not all(p.is_file() for p in default_weights().values()):
        pytest.skip("the shipped weights models/cnn1.pt and cnn2.pt are absent")


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def person_video(tmp_path_factory, face_bank):
    """One CK+ subject's frames: neutral-ish, surprise (mouth open), neutral-ish."""
    from app.capture.facevideo import make_face_video

    folder = tmp_path_factory.mktemp("offline")
    bank = {"neutral": face_bank["sad"][:1], "surprise": face_bank["surprise"][:1]}
    video = make_face_video(folder / "v.avi", SCRIPT, bank=bank)
    script = folder / "v.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    return video, script


def _run(cmd: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    settings = tmp_path / "cfg" / "emotune" / "settings.toml"  # face gestures on
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("[face_gestures]\nenabled = true\n", encoding="utf-8")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run(["unshare", "-n", *cmd], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_self_test_and_face_calibration_run_without_a_network(person_video, tmp_path):
    _needs()
    if not _can_unshare():
        pytest.skip("unshare -n needs root and a kernel that allows network namespaces")
    video, script = person_video
    out = _run([sys.executable, "-m", "app", "--self-test", "--source", str(video),
                "--self-test-frames", "40"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1])["faces"] > 0
    cal = tmp_path / "face.json"
    out = _run([sys.executable, "-m", "app", "calibrate", "--face-only", "--video", str(video),
                "--script", str(script), "--out", str(cal)], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(cal.read_text())["thresholds"]["mouth_open"] > 0


def test_landmarker_in_the_session_opens_no_socket(person_video, no_sockets):
    _needs()
    from app.capture.source import open_source
    from app.config import AppConfig, FaceGestureConfig
    from app.pipeline.engine import build_processor
    from app.pipeline.session import FrameSession

    config = AppConfig(face_gestures=FaceGestureConfig(enabled=True))
    session = FrameSession(build_processor(config), config.smoothing, config.gestures,
                           face_gestures=config.face_gestures)
    source = open_source(str(person_video[0]))
    meshes = 0
    try:
        while (frame := source.read()) is not None:
            face = session.step(frame).primary_face
            meshes += face is not None and face.mesh is not None
    finally:
        source.close()
        session.close()
    assert meshes > 50 and no_sockets == []


@pytest.fixture
def no_sockets(monkeypatch):
    import socket

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] if args else kwargs)
        raise OSError("network blocked by the offline test")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts
