"""A user-study-style check of personal profiles on people never trained on.

    .venv/bin/python scripts/profile_study.py --data ../shared/datasets/imfdb.tar.gz \\
        --people 4 --out ~/.cache/emotune/study

Per person: a calibration video (the guided check: each of the person's expressions for
4 s) and a test video (neutral rests between the expressions, 4 s each) made with the
project's scripted-video maker from *different* images of that person
(`app.train.people.person_bank`); `calibrate` on the first, then `bench-control` on the
second with and without the profile. Prints one JSON line per person and a summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.capture.facevideo import make_face_video  # noqa: E402
from app.train.people import person_bank  # noqa: E402
from app.train.personal import people_set  # noqa: E402

KEYS = ("state_accuracy", "frame_accuracy", "switches_requested", "switches_matched",
        "switch_latency_s_max", "unrequested_switches", "unrequested_switches_on_steady_face",
        "gesture_precision", "gesture_recall")


def scripts(expressions: list[str], fps: float, each_s: float = 4.0) -> tuple[dict, dict]:
    calib, test, t = [], [], 0.0
    for e in expressions:
        calib.append({"start_s": t, "end_s": t + each_s, "emotion": e})
        t += each_s
    t, rest = 0.0, ("neutral" if "neutral" in expressions else None)  # CK+ has no neutral
    for e in [x for x in expressions if x != "neutral"]:
        test.append({"start_s": t, "end_s": t + each_s, "emotion": rest})
        test.append({"start_s": t + each_s, "end_s": t + 2 * each_s, "emotion": e})
        t += 2 * each_s
    test.append({"start_s": t, "end_s": t + each_s, "emotion": rest})
    return {"fps": fps, "segments": calib}, {"fps": fps, "segments": test}


def bench(video: Path, script: Path, profile: Path | None) -> dict:
    cmd = [sys.executable, "-m", "app", "bench-control", "--video", str(video), "--script",
           str(script), "--json"] + (["--profile", str(profile)] if profile else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    return {k: report.get(k) for k in KEYS}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--people", type=int, default=4)
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    people = people_set(Path(args.data))
    chosen = []
    for who in sorted(set(people.people.tolist())):
        a, b = person_bank(people, who, "calib"), person_bank(people, who, "test")
        both = [e for e in a if e in b]
        if len(both) >= 3 and (people.name != "imfdb-holdout" or "neutral" in both):
            chosen.append((who, both, a, b))
    rows = []
    for who, expressions, calib_bank, test_bank in chosen[:args.people]:
        folder = args.out / who
        folder.mkdir(parents=True, exist_ok=True)
        cs, ts = scripts(expressions, args.fps)
        for name, script, bank in (("calib", cs, calib_bank), ("test", ts, test_bank)):
            (folder / f"{name}.json").write_text(json.dumps(script))
            make_face_video(folder / f"{name}.avi", script, bank=bank)
        profile = folder / "profile.emoprofile.npz"
        cal = subprocess.run([sys.executable, "-m", "app", "calibrate", "--video",
                              str(folder / "calib.avi"), "--script", str(folder / "calib.json"),
                              "--out", str(profile), "--force"],
                             capture_output=True, text=True)
        row = {"person": who, "expressions": expressions,
               "calibrate": json.loads(cal.stdout) if cal.returncode == 0 else cal.stderr}
        row["without"] = bench(folder / "test.avi", folder / "test.json", None)
        if cal.returncode == 0:
            row["with"] = bench(folder / "test.avi", folder / "test.json", profile)
        print(json.dumps(row), flush=True)
        rows.append(row)
    (args.out / f"study-{people.name}.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
