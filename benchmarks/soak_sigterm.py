"""Soak: stop the booth with SIGTERM (or SIGINT) at random moments; is the day kept?

Each run starts `python -m app --kiosk` on a small video (offscreen Qt, real models,
null-free music as configured), waits a random time drawn from the whole life of a booth
start (0 s: still importing; later: running) and sends the signal. A run passes when:

- the booth was up (its log existed): the process exits 0 within 30 s and
  `summary-*.json` is valid JSON with every key, `stopped_by` naming the signal, and no
  temporary file is left (app.atomic);
- it was not up yet: whatever summary a previous run of the day left is still valid
  JSON (a stop during start-up loses nothing that was written).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/soak_sigterm.py --runs 30 \
        --max-delay 12 --json sigterm.json

Prints one line per run and a summary; docs/RELIABILITY.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"day", "uptime_s", "visitors", "mean_visit_s", "frames", "faults",
        "pipeline_restarts", "fault_list", "stopped_by", "note"}


def make_video(path: Path, frames: int = 300) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (320, 240))
    for i in range(frames):
        writer.write(np.full((240, 320, 3), 40 + i % 150, np.uint8))
    writer.release()
    return path


def one_run(home: Path, video: Path, delay: float, sig: signal.Signals) -> dict:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}
    booth = home / "data" / "emotune" / "booth"
    for old in booth.glob("booth.log*"):  # "up" = this run created its log
        old.unlink()
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "app", "--kiosk", "--source", str(video)],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    was_up = (booth / "booth.log").exists()
    child.send_signal(sig)
    sent = time.monotonic()
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    exit_s = time.monotonic() - sent
    err = child.stderr.read()
    summaries = sorted(booth.glob("summary-*.json"))
    data, valid = None, True
    for path in summaries:
        try:
            data = json.loads(path.read_text())
        except ValueError:
            valid = False
    leftovers = [p.name for p in booth.glob("*.tmp")] if booth.exists() else []
    if was_up:
        ok = (child.returncode == 0 and valid and data is not None and set(data) == KEYS
              and data["stopped_by"] == sig.name and not leftovers)
    else:
        ok = valid and not leftovers
    return {"delay_s": round(delay, 2), "signal": sig.name, "booth_up": was_up,
            "returncode": child.returncode, "exit_s": round(exit_s, 2), "ok": ok,
            "frames": data.get("frames") if data else None,
            "uptime_s": data.get("uptime_s") if data else None,
            "life_s": round(time.monotonic() - started, 2),
            "error": "" if ok else err[-400:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--max-delay", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        video = make_video(Path(tmp) / "v.avi")
        home = Path(tmp) / "home"  # one home: later runs find earlier runs' summary
        for i in range(args.runs):
            sig = signal.SIGTERM if i % 4 else signal.SIGINT
            r = one_run(home, video, rng.uniform(0.0, args.max_delay), sig)
            results.append(r)
            print(json.dumps(r), flush=True)
    up = [r for r in results if r["booth_up"]]
    report = {"runs": len(results), "booth_up": len(up),
              "ok": sum(r["ok"] for r in results),
              "exit_s_max": max((r["exit_s"] for r in up), default=None),
              "exit_s_median": sorted(r["exit_s"] for r in up)[len(up) // 2] if up else None,
              "load_average": os.getloadavg(), "results": results}
    print(json.dumps({k: v for k, v in report.items() if k != "results"}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if report["ok"] == report["runs"] else 1


if __name__ == "__main__":
    sys.exit(main())
