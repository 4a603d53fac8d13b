"""The app's pipeline on the ONNX runtime against the torch backend, side by side.

    PYTHONPATH=. .venv/bin/python benchmarks/backend_side_by_side.py VIDEO [--rounds 3]
        [--seconds 8] [--json OUT]

Each round runs `python -m app bench --video VIDEO --json` once per backend, alternating,
each in a fresh process (so start-up is the real one), unpaced and fed like a 30 fps
webcam; prints the median per backend of processed fps, members' p50 per face, launch ->
first prediction and peak resident memory, with the load average beside them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("processed_fps", "launch_to_first_prediction_s", "peak_rss_mb")


def run(video: Path, backend: str, seconds: float, fps: float) -> dict:
    cmd = [sys.executable, "-m", "app", "bench", "--video", str(video), "--seconds",
           str(seconds), "--json", "--backend", backend, "--fps", str(fps)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-500:]}")
    report = json.loads(done.stdout)
    row = {k: report[k] for k in KEYS}
    row["members_p50_ms"] = round(sum(report["stages_ms"][m]["p50"]
                                      for m in ("cnn1", "cnn2")), 2)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows: dict[str, list[dict]] = {}
    loads = []
    for _ in range(args.rounds):
        for feed in (0.0, 30.0):
            for backend in ("onnx", "torch"):
                row = run(args.video, backend, args.seconds, feed)
                rows.setdefault(f"{backend} @ {'unpaced' if not feed else '30 fps'}",
                                []).append(row)
                with open("/proc/loadavg") as fh:
                    loads.append(float(fh.read().split()[0]))
                print(json.dumps({"backend": backend, "feed": feed, **row}), flush=True)
    summary = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
               for name, runs in rows.items()}
    report = {"median": summary, "runs": rows, "loadavg_1min": loads}
    print(json.dumps({"median": summary, "loadavg_1min": [min(loads), max(loads)]}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
