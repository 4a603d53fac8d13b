"""Issue #25, point 5: a booth stopped by SIGTERM or SIGINT writes its day's summary
(atomically, complete, valid JSON) before it ends. The long soak of random stop moments
is benchmarks/soak_sigterm.py; here one random moment per signal."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.booth.stopping import install_stop_handlers, restore
from app.booth.summary import BoothSummary
from tests.faults.videohelp import grey_video

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
KEYS = {"day", "uptime_s", "visitors", "mean_visit_s", "frames", "faults",
        "pipeline_restarts", "fault_list", "stopped_by", "note"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_stop_handler_runs_once_then_the_default_comes_back(sig):
    seen = []
    previous = install_stop_handlers(seen.append)
    try:
        os.kill(os.getpid(), sig)
        time.sleep(0.05)  # the handler runs on the main thread between bytecodes
        assert seen == [sig.name]
    finally:
        restore(previous)
    assert signal.getsignal(sig) == previous[sig]


def test_stop_writes_the_summary_with_its_reason(tmp_path):
    summary = BoothSummary(tmp_path, flush_s=3600)
    summary.frame()
    path = summary.stop("SIGTERM")
    data = json.loads(path.read_text())
    assert set(data) == KEYS and data["stopped_by"] == "SIGTERM" and data["frames"] == 1
    assert not list(tmp_path.glob("*.tmp"))  # written through app.atomic


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_booth_stopped_at_a_random_moment_keeps_its_summary(tmp_path, sig):
    seed = random.randrange(10**6)
    delay = random.Random(seed).uniform(0.3, 2.5)  # after the booth is up
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    video = grey_video(tmp_path / "v.avi", 60)
    booth = home / "data" / "emotune" / "booth"
    child = subprocess.Popen([sys.executable, "-m", "app", "--kiosk", "--source", str(video)],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (booth / "booth.log").exists() and time.monotonic() < deadline:
            assert child.poll() is None, child.stderr.read()[-2000:]
            time.sleep(0.05)
        time.sleep(delay)
        child.send_signal(sig)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    err = child.stderr.read()
    assert child.returncode == 0, f"seed {seed}: {err[-2000:]}"
    (path,) = booth.glob("summary-*.json")
    data = json.loads(path.read_text())
    assert set(data) == KEYS and data["stopped_by"] == sig.name, (seed, data)
    assert data["uptime_s"] > 0 and "Traceback" not in err
    assert not list(booth.glob("*.tmp"))
