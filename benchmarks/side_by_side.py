"""Emotune's pipeline and the `fer` package on the same video, alternating, in one run.

    .venv/bin/python benchmarks/side_by_side.py --video FILE [--rounds 3] [--seconds 10]
        [--fer-python /root/.cache/emotune/fer-venv/bin/python] [-- BENCH ARGS...]

Each round launches `python -m app bench --json` (this venv) and `benchmarks/fer_runner.py`
(fer's venv) one after the other on the same video, each as a fresh process, so both pay
their own start-up and the same machine noise; the fps ratio is taken per round and its
median reported, which holds on a shared, noisy machine where absolute figures drift.
Arguments after `--` go to the bench command (e.g. `--cnn1 CKPT --cnn2 CKPT --threads 1`).
Writes the raw JSON of every run with `--out FILE`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FER_PYTHON = Path("/root/.cache/emotune/fer-venv/bin/python")


def _run(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    text = proc.stdout[proc.stdout.index("{"):]  # bench prints indented JSON; fer one line
    return json.loads(text)


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fer-python", type=Path, default=FER_PYTHON)
    parser.add_argument("--out", type=Path, help="write every run's JSON here")
    args = parser.parse_args(argv)
    if not args.fer_python.is_file():
        print(f"{args.fer_python} not found: create fer's venv first (see "
              "docs/PERFORMANCE.md, 'The fer side-by-side')", file=sys.stderr)
        return 2
    ours_cmd = [sys.executable, "-m", "app", "bench", "--video", args.video, "--seconds",
                str(args.seconds), "--json", *extra]
    fer_cmd = [str(args.fer_python), str(ROOT / "benchmarks" / "fer_runner.py"), "--video",
               args.video, "--seconds", str(args.seconds)]
    runs = []
    for i in range(args.rounds):
        load_before = _load()
        ours = _run(ours_cmd)
        fer = _run(fer_cmd)
        ratio = ours["processed_fps"] / fer["processed_fps"] if fer["processed_fps"] else None
        runs.append({"round": i + 1, "load_1min": load_before, "emotune": ours, "fer": fer,
                     "fps_ratio": ratio})
        print(f"round {i + 1} (load {load_before}): emotune {ours['processed_fps']:.1f} fps, "
              f"fer {fer['processed_fps']:.1f} fps, ratio {ratio:.2f}", flush=True)

    def med(side: str, *keys: str) -> float | None:
        values = []
        for run in runs:
            v = run[side]
            for k in keys:
                v = v.get(k) if isinstance(v, dict) else None
            if v is not None:
                values.append(float(v))
        return round(statistics.median(values), 3) if values else None

    rows = [("processed fps", ("processed_fps",)),
            ("capture->result p95 ms", ("capture_to_result_ms", "p95")),
            ("launch->first prediction s", ("launch_to_first_prediction_s",)),
            ("peak RSS MB", ("peak_rss_mb",))]
    print(f"\nmedians of {args.rounds} rounds, {args.seconds:g} s each")
    print(f"{'figure':<28}{'Emotune':>10}{'fer':>10}")
    for label, keys in rows:
        print(f"{label:<28}{med('emotune', *keys)!s:>10}{med('fer', *keys)!s:>10}")
    ratios = [r["fps_ratio"] for r in runs if r["fps_ratio"]]
    print(f"fps ratio Emotune / fer: median {statistics.median(ratios):.2f} "
          f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
