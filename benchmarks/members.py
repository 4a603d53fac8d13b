"""Per-member latency of each optimisation level, interleaved so machine noise hits all alike.

    .venv/bin/python benchmarks/members.py --cnn1 CKPT --cnn2 CKPT [--rounds 7] [--json]

Times what `Predictor.predict_batch` times for one face (preprocessing + forward + softmax),
for every level in `app.model.optimize.LEVELS` and for 1 and 2 torch threads. Each round
runs every configuration for `--reps` faces and keeps the median; the table shows the
median over rounds, plus the optimisation (trace/freeze, quantisation) start-up cost.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.model.checkpoint import load_checkpoint  # noqa: E402
from app.model.optimize import LEVELS, optimize_member  # noqa: E402
from app.model.tensors import to_tensor  # noqa: E402


def _time_member(member, image: np.ndarray, reps: int) -> float:
    times = []
    with torch.inference_mode():
        for _ in range(reps):
            t0 = time.perf_counter()
            x = to_tensor([image], member.spec.input_size, member.spec.preprocess)
            x = x.contiguous(memory_format=torch.channels_last)
            torch.softmax(member.module(x).float(), dim=1).numpy()
            times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnn1", required=True)
    parser.add_argument("--cnn2", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
    threads = [int(t) for t in args.threads.split(",")]
    configs = {}
    setup_s = {}
    for name, path in (("cnn1", args.cnn1), ("cnn2", args.cnn2)):
        base = load_checkpoint(path, name=name)
        base.module.to(memory_format=torch.channels_last)
        for level in LEVELS:
            t0 = time.perf_counter()
            member = optimize_member(base, level)
            setup_s[f"{name}/{level}"] = round(time.perf_counter() - t0, 3)
            _time_member(member, image, 10)  # warm up (jit profiling runs, allocator)
            configs[(name, level)] = member
    samples: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for t in threads:
            torch.set_num_threads(t)
            for (name, level), member in configs.items():
                key = f"{name}/{level}/t{t}"
                samples.setdefault(key, []).append(_time_member(member, image, args.reps))
    medians = {k: round(float(np.median(v)), 3) for k, v in samples.items()}
    sizes = {n: load_checkpoint(p).spec.input_size for n, p in (("cnn1", args.cnn1),
                                                                 ("cnn2", args.cnn2))}
    report = {"input_sizes": sizes, "median_ms": medians, "setup_s": setup_s,
              "rounds": args.rounds, "reps": args.reps}
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"input sizes {sizes}; median of {args.rounds} rounds x {args.reps} faces (ms)")
    print(f"{'level':<8}" + "".join(f"{n + ' t' + str(t):>12}" for n in ("cnn1", "cnn2")
                                    for t in threads) + f"{'setup s':>18}")
    for level in LEVELS:
        row = "".join(f"{medians[f'{n}/{level}/t{t}']:>12.2f}" for n in ("cnn1", "cnn2")
                      for t in threads)
        print(f"{level:<8}{row}{setup_s['cnn1/' + level]:>9.2f}{setup_s['cnn2/' + level]:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
