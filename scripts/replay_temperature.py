"""Probabilities saved by `bench-control --save-probs`, re-scored at a product temperature.

    .venv/bin/python scripts/replay_temperature.py IN.npz 1.2963 OUT.npz
    .venv/bin/python -m app bench-control --video V --script S --from-probs OUT.npz --json

With the product rule and one temperature T on every member, the fused probabilities at
T are the fused probabilities at 1 raised to 1/T and renormalised: softmax(z_m / T) is
proportional to softmax(z_m) ** (1/T), and the product of powers is the power of the
product. So this checks a temperature against the control (unrequested switches, missed
switches, gestures) on exactly the recognition that was saved, with nothing else changed.
Frames without a face (NaN rows) stay NaN.
"""

from __future__ import annotations

import sys

import numpy as np


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, temperature, dst = argv[0], float(argv[1]), argv[2]
    if not temperature > 0:
        print(f"replay_temperature: T must be > 0, got {temperature}", file=sys.stderr)
        return 2
    with np.load(src) as data:
        arrays = {k: data[k] for k in data.files}
    p = np.asarray(arrays["probs"], dtype=np.float64)
    face = ~np.isnan(p).any(axis=-1)
    logs = np.log(np.clip(p[face], 1e-12, None)) / temperature
    scaled = np.exp(logs - logs.max(axis=-1, keepdims=True))
    out = np.full_like(p, np.nan)
    out[face] = scaled / scaled.sum(axis=-1, keepdims=True)
    arrays["probs"] = out
    np.savez_compressed(dst, **arrays)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
