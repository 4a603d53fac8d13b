"""The `fer` package on a video, timed like `python -m app bench` (run in fer's own venv).

    /root/.cache/emotune/fer-venv/bin/python benchmarks/fer_runner.py --video FILE \
        [--seconds 10] [--warmup 10]

`fer` (PyPI, MIT) needs TensorFlow and OpenCV < 5, so it lives in its own venv and is never
a dependency of Emotune; this file imports nothing from the app. It uses `FER()` as its
README does (defaults: OpenCV Haar cascade detection, the quantised TFLite classifier) and
calls `detect_emotions` on every decoded frame, one after the other. Prints one JSON object
with the same keys as the app's bench where they mean the same thing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def seconds_since_launch() -> float | None:
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def memory_mb() -> dict[str, float]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                    int(rest.split()[0]) / 1024.0, 1)
    return out


def pct(values: list[float]) -> dict[str, float]:
    import numpy as np

    if not values:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0, "max": 0.0}
    arr = np.asarray(values)
    return {"p50": round(float(np.percentile(arr, 50)), 3),
            "p95": round(float(np.percentile(arr, 95)), 3),
            "mean": round(float(arr.mean()), 3), "max": round(float(arr.max()), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description="time the fer package on a video")
    parser.add_argument("--video", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    launch = seconds_since_launch() or 0.0
    t_launch = time.monotonic() - launch
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import cv2
    from fer.fer import FER  # fer 25.x no longer re-exports it from the package

    detector = FER()
    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        print(json.dumps({"error": f"cannot open {args.video}"}))
        return 2
    decode_ms, fer_ms, e2e_ms = [], [], []
    frames = with_face = 0
    first = None
    seen = 0
    start = None
    emotions: dict[str, int] = {}
    while True:
        t0 = time.perf_counter()
        ok, bgr = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, bgr = cap.read()
            if not ok:
                break
        t1 = time.perf_counter()
        faces = detector.detect_emotions(bgr)
        t2 = time.perf_counter()
        if faces and first is None:
            first = time.monotonic() - t_launch
        seen += 1
        if seen == args.warmup:
            start = time.monotonic()
            continue
        if start is None:
            continue
        frames += 1
        decode_ms.append((t1 - t0) * 1000.0)
        fer_ms.append((t2 - t1) * 1000.0)
        e2e_ms.append((t2 - t1) * 1000.0)  # a frame is "captured" when decoded
        if faces:
            with_face += 1
            best = max(faces, key=lambda f: f["box"][2] * f["box"][3])
            name = max(best["emotions"], key=best["emotions"].get)
            emotions[name] = emotions.get(name, 0) + 1
        if time.monotonic() - start >= args.seconds:
            break
    wall = time.monotonic() - start if start else 0.0
    cap.release()
    report = {
        "tool": "fer", "video": args.video, "frames": frames, "frames_with_face": with_face,
        "wall_s": round(wall, 3), "processed_fps": round(frames / wall, 2) if wall else 0.0,
        "stages_ms": {"decode": pct(decode_ms), "detect_emotions": pct(fer_ms)},
        "capture_to_result_ms": pct(e2e_ms),
        "launch_to_first_prediction_s": round(first, 3) if first is not None else None,
        "emotions": dict(sorted(emotions.items())), **memory_mb(),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
