"""Face gestures on scripted videos of people never trained or tuned on (docs/GESTURES.md).

    .venv/bin/python scripts/face_gesture_bench.py --split test [--calibrate] [--limit N]
        [--out runs/face-gestures-test.json]

One video per CK+ subject who posed happy, surprise and one calmer expression (sad, fear or
angry, in that order of preference; CK+48 has no neutral frames): the calm face
stands in for the neutral stretches, surprise faces request `mouth_open`, happy faces
`smile`. Subjects are split by id: the first half ("tune") is where the default thresholds
were chosen, the second ("test") is only measured. The videos show the subject's "test"
images (app.train.people.person_bank); `--calibrate` first fits a face-gesture
calibration from the subject's other ("calib") images: the calm face as the neutral, each
gesture's faces as the try. Every video runs through bench-control's own session and
scoring, so the figures are the app's. Nothing is written inside the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.capture.facevideo import VideoScript, compose_frame, make_face_video  # noqa: E402
from app.commands.bench_control import control, recognise  # noqa: E402
from app.config import AppConfig, FaceGestureConfig  # noqa: E402
from app.labels import EMOTIONS  # noqa: E402
from app.music.face_calibration import FaceCalibrationError, fit_face_calibration  # noqa: E402
from app.train.people import ckplus_people, person_bank  # noqa: E402

# Disgust is never the calm face: its upper-lip raise reads as a smile to Blendshape V2
# (mouthSmile 0.7 on CK+ disgust faces; found on the first run, see docs/GESTURES.md).
CALM = ("sad", "fear", "angry")
GESTURE_OF = {"surprise": "mouth_open", "happy": "smile"}


def script_for(calm: str, fps: float) -> VideoScript:
    segs, t = [], 0.0
    for emotion in ("surprise", "happy", "surprise", "happy"):
        segs += [{"start_s": t, "end_s": t + 4.5, "emotion": calm},
                 {"start_s": t + 4.5, "end_s": t + 7.0, "emotion": emotion,
                  "gesture": GESTURE_OF[emotion]}]
        t += 7.0
    segs.append({"start_s": t, "end_s": t + 4.0, "emotion": calm})
    return VideoScript.from_dict({"fps": fps, "segments": segs})


def subjects(people) -> list[tuple[str, str]]:
    out = []
    for who in sorted(set(people.people.tolist())):
        shown = {EMOTIONS[c] for c in people.labels[people.person(who)]}
        calm = next((e for e in CALM if e in shown), None)
        if calm and {"happy", "surprise"} <= shown:
            out.append((who, calm))
    return out


def mesh_frames(faces, seconds: float, fps: float) -> list[np.ndarray]:
    """Blendshapes of the faces shown as a short drifting clip (the calibration's frames)."""
    from app.vision.blazeface import BlazeFaceDetector
    from app.vision.landmarks import OpenCVLandmarker

    out = []
    with BlazeFaceDetector() as det:
        lm = OpenCVLandmarker()
        for i in range(int(seconds * fps)):
            frame = compose_frame(faces[i % len(faces)], (640, 480), i / fps)
            boxes = det.detect(frame)
            mesh = lm.mesh(frame, boxes[0]) if boxes else None
            if mesh is not None:
                out.append(mesh.blendshapes)
        lm.close()
    return out


def calibrate(bank: dict, calm: str, fps: float):
    tries = {GESTURE_OF[e]: mesh_frames(bank[e], 2.0, fps) for e in GESTURE_OF}
    return fit_face_calibration(mesh_frames(bank[calm], 3.0, fps), tries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tune", "test"), default="test")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="first N subjects only")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--datasets", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "datasets")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    people = ckplus_people(args.datasets / "ckplus48.tar.gz")
    pool = subjects(people)
    half = len(pool) // 2
    chosen = pool[:half] if args.split == "tune" else pool[half:]
    chosen = chosen[: args.limit] if args.limit else chosen
    config = AppConfig(face_gestures=FaceGestureConfig(enabled=True))
    rows, totals = [], {"requested": 0, "matched": 0, "unrequested": 0, "fired": 0}
    by_name: dict[str, dict[str, int]] = {}
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for who, calm in chosen:
            script = script_for(calm, args.fps)
            test_bank = person_bank(people, who, "test")
            row = {"subject": who, "calm": calm}
            cal = None
            if args.calibrate:
                try:
                    cal = calibrate(person_bank(people, who, "calib"), calm, args.fps)
                    row["calibration"] = cal.to_dict()
                except FaceCalibrationError as exc:
                    row["calibration_refused"] = str(exc)  # then the defaults are used
            video = make_face_video(Path(tmp) / f"{who}.avi", script, bank=test_bank)
            run = SimpleNamespace(video=video, stride=1, profile=None, calibration=cal)
            report = control(config, script, recognise(run, config, script)["results"])
            for key in ("requested", "matched", "unrequested", "fired"):
                totals[key] += report[f"face_gestures_{key}"]
            for name, fig in report["face_gestures_by_name"].items():
                acc = by_name.setdefault(name, {"requested": 0, "matched": 0, "fired": 0})
                for key in acc:
                    acc[key] += fig[key]
            row.update({k: report[k] for k in ("face_gestures_requested",
                        "face_gestures_matched", "face_gestures_unrequested",
                        "face_gestures_fired", "face_gesture_events")})
            rows.append(row)
            print(f"{who} ({calm}): matched {report['face_gestures_matched']}/"
                  f"{report['face_gestures_requested']}, fired {report['face_gestures_fired']}"
                  f", unrequested {report['face_gestures_unrequested']}", flush=True)
    summary = {
        "split": args.split, "calibrated": args.calibrate, "subjects": len(rows),
        "fps": args.fps, **{f"face_gestures_{k}": v for k, v in totals.items()},
        "face_gesture_precision": round(totals["matched"] / totals["fired"], 4)
        if totals["fired"] else None,
        "face_gesture_recall": round(totals["matched"] / totals["requested"], 4)
        if totals["requested"] else None,
        "by_gesture": {n: {**a, "precision": round(a["matched"] / a["fired"], 4) if a["fired"]
                           else None, "recall": round(a["matched"] / a["requested"], 4)}
                       for n, a in by_name.items()},
        "calibrations_refused": sum("calibration_refused" in r for r in rows),
        "wall_s": round(time.perf_counter() - wall, 1),
    }
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": summary, "subjects": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
