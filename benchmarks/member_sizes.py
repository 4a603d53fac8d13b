"""Cost of each member architecture at the input sizes of the paper's Table 4 (48, 64, 96).

    .venv/bin/python benchmarks/member_sizes.py [--rounds 7] [--reps 30] [--json OUT]

What one face costs the live app per member: preprocessing, the forward pass of the face
and its mirror image (the test-time flip, a batch of 2) and the softmax, in float32 on one
torch thread (the app's default), for CNN_1, CNN_2 and the residual candidate at 48², 64²
and 96². Weights are random (speed does not depend on them); parameters are counted for
each size (a member's first dense layer grows with the input). Rounds interleave every
configuration so machine noise hits all alike; the table is the median over rounds of each
round's median. Accuracy by size is in docs/RESULTS.md, Table 4.
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
from app.model.checkpoint import DEFAULT_PREPROCESS, build_model  # noqa: E402
from app.model.tensors import to_tensor  # noqa: E402

ARCHS = ("cnn1", "cnn2", "resnet")
SIZES = (48, 64, 96)


def _time(module: torch.nn.Module, face: np.ndarray, size: int, reps: int) -> float:
    times = []
    with torch.inference_mode():
        for _ in range(reps):
            t0 = time.perf_counter()
            x = to_tensor([face, face[:, ::-1]], size, DEFAULT_PREPROCESS)
            x = x.contiguous(memory_format=torch.channels_last)
            torch.softmax(module(x).float(), dim=1).numpy()
            times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    torch.set_num_threads(1)
    face = np.random.default_rng(0).integers(0, 256, (120, 120), dtype=np.uint8)
    models = {}
    for arch in ARCHS:
        for size in SIZES:
            module = build_model(arch, size).eval()
            models[(arch, size)] = module.to(memory_format=torch.channels_last)
    rounds: dict[tuple[str, int], list[float]] = {k: [] for k in models}
    for _ in range(args.rounds):
        for key, module in models.items():
            _time(module, face, key[1], 3)  # warm-up
            rounds[key].append(_time(module, face, key[1], args.reps))
    rows = [{"arch": a, "size": s, "params": sum(t.numel() for t in models[(a, s)].parameters()),
             "ms_per_face": round(float(np.median(rounds[(a, s)])), 3),
             "ms_range": [round(min(rounds[(a, s)]), 3), round(max(rounds[(a, s)]), 3)]}
            for a, s in models]
    print("| member | input | parameters | ms per face (face + mirror), median | range |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['arch']} | {r['size']}² | {r['params']:,} | {r['ms_per_face']:.2f} | "
              f"{r['ms_range'][0]:.2f}-{r['ms_range'][1]:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "rounds": args.rounds,
                                               "reps": args.reps, "threads": 1}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
