"""`python -m app protocol basket`: the ship rule that counts people, in one command.

    python -m app protocol basket --cnn1 A.pt --cnn2 B.pt \\
        [--baseline-cnn1 X.pt --baseline-cnn2 Y.pt] --out DIR [--threads N]

Scores the candidate pair and the baseline pair (default: the shipped weights) on FER+
Test, RAF-DB validation, SFEW Val, CK+ (seven answers) and the IMFDB hold-out actors, and
writes `basket.md` (the table and the verdict) and `basket.json` into --out
(app/train/basket.py says the rule). Exit 0 whatever the verdict; 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register_args(p: argparse.ArgumentParser) -> None:
    """The options only `protocol basket` reads (added to the protocol parser)."""
    p.add_argument("--baseline-cnn1", help="basket: baseline CNN_1 (default models/cnn1.pt)")
    p.add_argument("--baseline-cnn2", help="basket: baseline CNN_2 (default models/cnn2.pt)")


def _pairs(args) -> tuple[dict[str, Path], dict[str, Path]]:
    from app.paths import default_weights

    shipped = default_weights()
    cand = {"cnn1": Path(args.cnn1 or shipped["cnn1"]), "cnn2": Path(args.cnn2 or shipped["cnn2"])}
    base = {"cnn1": Path(args.baseline_cnn1 or shipped["cnn1"]),
            "cnn2": Path(args.baseline_cnn2 or shipped["cnn2"])}
    return cand, base


def run_basket_command(args: argparse.Namespace) -> int:
    from app.hashing import file_sha256
    from app.model.checkpoint import CheckpointError, load_checkpoint
    from app.train import basket
    from app.train.datasets import load_faces
    from app.train.zeroshot import cached_logits

    if not args.out:
        print("emotune protocol basket: --out is required (a folder for basket.md and "
              "basket.json)", file=sys.stderr)
        return 2
    cand, base = _pairs(args)
    missing = [str(p) for p in (*cand.values(), *base.values()) if not p.is_file()]
    if missing:
        print(f"emotune protocol basket: no checkpoint at {', '.join(sorted(set(missing)))}",
              file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(max(1, args.threads))
    digests: dict[Path, str] = {}
    sets: dict[tuple[str, str], object] = {}

    def load(kind, split):
        if (kind, split) not in sets:
            sets[(kind, split)] = load_faces(kind, None, split)
        return sets[(kind, split)]

    def logits_of(member, faces, key):
        return cached_logits(member, digests[Path(member.spec.path)], faces, key)

    scores = {}
    try:
        for role, pair in (("candidate", cand), ("baseline", base)):
            members = [load_checkpoint(p, name=n) for n, p in pair.items()]
            for p in pair.values():
                digests.setdefault(p, file_sha256(p))
            scores[role] = basket.pair_scores(members, load, logits_of)
    except (CheckpointError, OSError) as exc:
        print(f"emotune protocol basket: {exc}", file=sys.stderr)
        return 2
    result = basket.verdict(scores["candidate"], scores["baseline"])
    table = basket.markdown(scores["candidate"], scores["baseline"], result)
    report = {"candidate": {n: str(p) for n, p in cand.items()},
              "baseline": {n: str(p) for n, p in base.items()},
              "sha256": {str(p): d for p, d in digests.items()},
              "scored_as": "product rule, test-time flip, each member at its checkpoint "
                           "temperature",
              "scores": scores, **result}
    paths = basket.write(Path(args.out).expanduser(), report, table)
    print(table, end="")
    print(json.dumps({"ship": result["ship"], "written": [str(p) for p in paths]}))
    return 0
