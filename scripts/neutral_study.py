"""The automatic neutral on scripted videos of people no weights were trained on, off vs on.

    .venv/bin/python scripts/neutral_study.py --data ../shared/datasets/imfdb.tar.gz \\
        --people 6 --out ~/.cache/emotune/neutral-imfdb

Per person two videos made with the project's scripted-video maker from that person's
images (IMFDB: the one film that shows most of the actor's expressions, neutral included,
so the video is one sitting, and one neutral image for every rest, as a person's resting
face in front of a camera; CK+: the subject, who has no neutral image, so the rests show
no face): "neutral-first" (rest 6 s, then each expression 4 s with a 4 s rest after it)
and "expression-first" (the first expression held 6 s from the first frame, then rests and
the others). `bench-control` recognises each video once (`--save-probs`) and replays the
same recognition with `smoothing.auto_neutral` off and on (`--from-probs`; the settings
come from a settings file under a private XDG_CONFIG_HOME). Prints one JSON line per
video and a Markdown summary; writes everything to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numpy as np  # noqa: E402

from app.capture.facevideo import make_face_video  # noqa: E402
from app.labels import EMOTIONS  # noqa: E402
from app.train.personal import people_set  # noqa: E402

KEYS = ("state_accuracy", "switches_requested", "switches_matched", "unrequested_switches",
        "unrequested_switches_on_steady_face", "gesture_precision", "gesture_recall")


def bank_of(people, who: str) -> dict[str, tuple[np.ndarray, ...]]:
    """The person's faces per expression, from one sitting where the set has several
    (IMFDB films: the one with most expressions, neutral counting double)."""
    idx = people.person(who)
    groups = sorted(set(people.groups[idx].tolist()))

    def cover(g):
        labels = set(people.labels[idx[people.groups[idx] == g]].tolist())
        return len(labels) + (EMOTIONS.index("neutral") in labels)

    if people.name == "imfdb-holdout":
        g = max(groups, key=cover)
        idx = idx[people.groups[idx] == g]
    bank = {e: tuple(people.images[i] for i in idx[people.labels[idx] == c])
            for c, e in enumerate(EMOTIONS) if (people.labels[idx] == c).any()}
    if "neutral" in bank:  # one resting face per person (the first), as in front of a camera
        bank["neutral"] = bank["neutral"][:1]
    return bank


def scripts(expressions: list[str], rest: str | None, fps: float) -> dict[str, dict]:
    out = {}
    for kind in ("neutral-first", "expression-first"):
        segs, t = [], 0.0
        if kind == "neutral-first":
            segs.append({"start_s": 0.0, "end_s": 6.0, "emotion": rest})
            t = 6.0
        for k, e in enumerate(expressions):
            hold = 6.0 if (kind == "expression-first" and k == 0) else 4.0
            segs.append({"start_s": t, "end_s": t + hold, "emotion": e})
            segs.append({"start_s": t + hold, "end_s": t + hold + 4.0, "emotion": rest})
            t += hold + 4.0
        out[kind] = {"fps": fps, "segments": segs}
    return out


def bench(video: Path, script: Path, probs: Path, xdg: Path, save: bool) -> dict:
    flag = "--save-probs" if save else "--from-probs"
    cmd = [sys.executable, "-m", "app", "bench-control", "--video", str(video), "--script",
           str(script), "--json", flag, str(probs)]
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg)}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    report = json.loads(out)
    return {k: report.get(k) for k in KEYS}


def settings(folder: Path, on: bool) -> Path:
    xdg = folder / ("cfg-on" if on else "cfg-off")
    (xdg / "emotune").mkdir(parents=True, exist_ok=True)
    (xdg / "emotune" / "settings.toml").write_text(
        f"[smoothing]\nauto_neutral = {'true' if on else 'false'}\n")
    return xdg


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--people", type=int, default=6)
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    people = people_set(Path(args.data))
    args.out.mkdir(parents=True, exist_ok=True)
    off, on = settings(args.out, False), settings(args.out, True)
    rest = "neutral" if people.name == "imfdb-holdout" else None  # CK+ has no neutral
    rows = []
    for who in sorted(set(people.people.tolist())):
        if len({r["person"] for r in rows}) >= args.people:
            break
        bank = bank_of(people, who)
        expressions = [e for e in EMOTIONS if e in bank and e != "neutral"]
        if len(expressions) < 3 or (rest and rest not in bank):
            continue
        for kind, script in scripts(expressions, rest, args.fps).items():
            folder = args.out / who
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{kind}.json").write_text(json.dumps(script))
            video = make_face_video(folder / f"{kind}.avi", script, bank=bank)
            probs = folder / f"{kind}.probs.npz"
            bench(video, folder / f"{kind}.json", probs, off, save=True)
            row = {"person": who, "script": kind, "expressions": expressions,
                   "off": bench(video, folder / f"{kind}.json", probs, off, save=False),
                   "on": bench(video, folder / f"{kind}.json", probs, on, save=False)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    (args.out / f"neutral-{people.name}.json").write_text(json.dumps(rows, indent=1))
    print("| script | videos | switches matched off → on | unrequested off → on | "
          "state accuracy off → on |\n|---|---|---|---|---|")
    for kind in ("neutral-first", "expression-first"):
        sel = [r for r in rows if r["script"] == kind]
        if not sel:
            continue
        req = sum(r["off"]["switches_requested"] for r in sel)

        def tot(key, side, sel=sel):
            return sum(r[side][key] for r in sel)

        def acc(side, sel=sel):
            return 100 * float(np.mean([r[side]["state_accuracy"] for r in sel]))

        print(f"| {kind} | {len(sel)} | {tot('switches_matched', 'off')}/{req} → "
              f"{tot('switches_matched', 'on')}/{req} | {tot('unrequested_switches', 'off')} → "
              f"{tot('unrequested_switches', 'on')} | {acc('off'):.1f} → {acc('on'):.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
