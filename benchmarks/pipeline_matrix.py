"""The bench command over a matrix of settings, interleaved and repeated; medians reported.

    .venv/bin/python benchmarks/pipeline_matrix.py --video FILE [--repeats 3] [--seconds 8]
        [--out FILE.json] -- [BENCH ARGS for every run, e.g. --cnn1 CKPT --cnn2 CKPT]

Each configuration adds its own flags to `python -m app bench --json` (fresh process per
run, so launch time and memory are per run too). Runs go round-robin (config 1, 2, ...,
then again), so a burst of load on the shared machine hits every configuration alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CONFIGS: dict[str, list[str]] = {
    "reference (threads 2, no optimisation)": ["--threads", "2", "--optimize", "none"],
    "threads 1": ["--threads", "1", "--optimize", "none"],
    "threads 1 + fold": ["--threads", "1", "--optimize", "fold"],
    "threads 1 + fold + int8": ["--threads", "1", "--optimize", "int8"],
    "threads 1 + full (fold, int8, freeze)": ["--threads", "1", "--optimize", "full"],
    "threads 1 + full + detect every 2": ["--threads", "1", "--optimize", "full",
                                          "--detect-every", "2"],
    "threads 1 + full + detect every 3": ["--threads", "1", "--optimize", "full",
                                          "--detect-every", "3"],
    "threads 1 + static int8": ["--threads", "1", "--optimize", "static"],
    "threads 1 + static int8 + detect every 2": ["--threads", "1", "--optimize", "static",
                                                 "--detect-every", "2"],
    "threads 1 + full + overlap": ["--threads", "1", "--optimize", "full", "--overlap"],
    "threads 1 + full + detect every 2 + overlap": ["--threads", "1", "--optimize", "full",
                                                    "--detect-every", "2", "--overlap"],
}

FIGURES = (("fps", ("processed_fps",)),
           ("cnn1+cnn2 p50", ("cnn1_plus_cnn2_ms", "p50")),
           ("detect p50", ("stages_ms", "detect", "p50")),
           ("total p50", ("stages_ms", "total", "p50")),
           ("total p95", ("stages_ms", "total", "p95")),
           ("e2e p95", ("capture_to_result_ms", "p95")),
           ("dropped", ("dropped",)),
           ("first pred s", ("launch_to_first_prediction_s",)),
           ("peak RSS MB", ("peak_rss_mb",)))


def _get(report: dict, keys: tuple[str, ...]):
    for k in keys:
        report = report.get(k) if isinstance(report, dict) else None
    return report


def main() -> int:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--only", help="comma-separated substrings of config names to run")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    configs = CONFIGS
    if args.only:
        wanted = args.only.split(",")
        configs = {k: v for k, v in CONFIGS.items() if any(w in k for w in wanted)}
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    for _ in range(args.repeats):
        for name, flags in configs.items():
            cmd = [sys.executable, "-m", "app", "bench", "--video", args.video, "--seconds",
                   str(args.seconds), "--json", *extra, *flags]
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"{name}: failed\n{proc.stderr[-1500:]}", file=sys.stderr)
                return 1
            report = json.loads(proc.stdout)
            report["load_1min"] = Path("/proc/loadavg").read_text().split()[0]
            runs[name].append(report)
            print(f"  {name}: {report['processed_fps']:.1f} fps (load {report['load_1min']})",
                  file=sys.stderr, flush=True)
    print(f"medians of {args.repeats} runs x {args.seconds:g} s; bench args {' '.join(extra)}")
    print(f"{'configuration':<46}" + "".join(f"{label:>14}" for label, _ in FIGURES))
    for name, reports in runs.items():
        cells = []
        for _, keys in FIGURES:
            values = [v for v in (_get(r, keys) for r in reports) if v is not None]
            cells.append(f"{statistics.median(values):>14.2f}" if values else f"{'-':>14}")
        print(f"{name:<46}" + "".join(cells))
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
