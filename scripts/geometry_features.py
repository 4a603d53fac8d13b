"""Cache the geometry member's features (blendshapes + normalised landmarks) for sets.

    python scripts/geometry_features.py rafdb:val ferplus:Test imfdb:train@8000 ...

`kind:split` runs the whole split, `kind:split@N` a seeded sample of N faces
(app/train/geometry_features.py). One core; prints faces, meshes found and time per set.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.train.geometry_features import set_features  # noqa: E402


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for spec in argv:
        name, _, limit = spec.partition("@")
        kind, _, split = name.partition(":")
        t = time.perf_counter()
        out = set_features(kind, split, int(limit) if limit else None)
        print(f"{spec}: {len(out['ok'])} faces, {int(out['ok'].sum())} meshes, "
              f"{time.perf_counter() - t:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
