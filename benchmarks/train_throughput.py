"""Training throughput (images/s) of each member at each input size, through `train_model`.

    .venv/bin/python benchmarks/train_throughput.py [--sizes 48,64,96] [--device auto|cpu|cuda]
        [--threads 2] [--steps 6] [--epochs 4] [--batch-size 64] [--workers 0] [--json]

What is timed is one real training epoch of `app.train.loop.train_model`: augmentation
(`strong`), preprocessing, forward and backward under bf16 autocast, the AdamW step, and
the checkpoint written at the epoch's end; the faces are random 48 x 48 gray images (the
stored size of FER), resized to the input size as in training. Each configuration trains
`--epochs` epochs of `--steps` batches; the first (warm-up: oneDNN/cuDNN kernel choice) is
dropped and the median of the rest is reported, with the range.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.train.config import TrainConfig  # noqa: E402
from app.train.faceset import FaceSet  # noqa: E402
from app.train.loop import train_model  # noqa: E402


def measure(arch: str, size: int, args: argparse.Namespace, folder: Path) -> dict:
    n = args.steps * args.batch_size
    rng = np.random.default_rng(0)
    faces = FaceSet(images=rng.integers(0, 256, (n, 48, 48), dtype=np.uint8),
                    labels=rng.integers(0, 7, n), name="random")
    cfg = TrainConfig(arch=arch, sizes=(size,), epochs=args.epochs, batch_size=args.batch_size,
                      augment="strong", amp="bf16", threads=args.threads, device=args.device,
                      workers=args.workers, schedule="none")
    run = folder / f"{arch}-{size}"
    train_model(cfg, faces, None, run, quiet=True)
    with (run / "metrics.csv").open() as fh:
        seconds = [float(r["seconds"]) for r in csv.DictReader(fh)][1:]
    rates = sorted(n / max(s, 1e-3) for s in seconds)
    return {"arch": arch, "size": size, "images_per_s": round(float(np.median(rates)), 1),
            "range": [round(rates[0], 1), round(rates[-1], 1)], "epochs_timed": len(rates)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="48,64,96")
    p.add_argument("--archs", default="cnn1,cnn2")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.epochs < 2:
        p.error("--epochs must be at least 2 (the first is warm-up)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="emotune-throughput-") as tmp:
        for arch in args.archs.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                rows.append(measure(arch, size, args, Path(tmp)))
                if not args.json:
                    r = rows[-1]
                    print(f"{arch} {size}x{size}: {r['images_per_s']} images/s "
                          f"(range {r['range'][0]}-{r['range'][1]}, {r['epochs_timed']} "
                          f"epochs of {args.steps * args.batch_size})", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
