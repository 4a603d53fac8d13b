"""The ship rule that counts people (issue 27): a candidate pair of members against the
shipped pair on a basket of five sets, each scored as the app scores a face.

Sets (none of them trained on by any member): FER+ Test (majority labels), RAF-DB
validation (the seeded class-stratified 10 % of its training split, `rafdb:val`), SFEW 2.0
Val, CK+ (six classes, all seven answers allowed, as in the app) and the 20 IMFDB hold-out
actors (`imfdb:holdout`). Each pair is scored as the app runs it: both members with the
test-time flip, each at its checkpoint's temperature, fused by the product rule.

The rule: **ship iff the basket UAR (the mean of the five sets' unweighted average recall)
rises and no set's accuracy falls by more than 1 point.** It replaced "better on FER+ Test,
CK+ and SFEW together", which kept out a candidate that gained 3.2 points on SFEW and 1.4
on unseen actors for 5 CK+ images. A set missing for either pair makes the basket
incomplete and the verdict "no".

Member logits are cached per checkpoint SHA-256 and set (`zeroshot.cached_logits`, shared
with scripts/zero_shot_report.py), so scoring another pairing re-runs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# label, dataset kind, split
BASKET: tuple[tuple[str, str, str], ...] = (
    ("ferplus-test", "ferplus", "Test"), ("rafdb-val", "rafdb", "val"),
    ("sfew-val", "sfew", "Val"), ("ckplus-seven", "ckplus", "all"),
    ("imfdb-holdout", "imfdb", "holdout"))
NAMES = {"ferplus-test": "FER+ Test", "rafdb-val": "RAF-DB val", "sfew-val": "SFEW Val",
         "ckplus-seven": "CK+ (7 answers)", "imfdb-holdout": "IMFDB hold-out actors"}
MAX_ACCURACY_DROP = 0.01

Scores = Mapping[str, Mapping[str, float]]  # set label -> {"accuracy", "uar", "n"}


def basket_uar(scores: Scores, sets: Sequence[str] = tuple(s[0] for s in BASKET)
               ) -> float | None:
    """Mean UAR over `sets`; None when one of them is missing."""
    if any(s not in scores for s in sets):
        return None
    return float(np.mean([scores[s]["uar"] for s in sets]))


def verdict(candidate: Scores, baseline: Scores,
            sets: Sequence[str] = tuple(s[0] for s in BASKET),
            max_drop: float = MAX_ACCURACY_DROP) -> dict[str, Any]:
    """The rule of the module docstring: {"ship", "basket_uar" (both), "reasons"}."""
    reasons = []
    missing = [s for s in sets if s not in candidate or s not in baseline]
    if missing:
        reasons.append("basket incomplete: no figures for " + ", ".join(missing))
    cand, base = basket_uar(candidate, sets), basket_uar(baseline, sets)
    if cand is not None and base is not None and not cand > base:
        reasons.append(f"basket UAR does not rise ({100 * base:.2f} -> {100 * cand:.2f} %)")
    for s in sets:
        if s in candidate and s in baseline:
            drop = baseline[s]["accuracy"] - candidate[s]["accuracy"]
            if drop > max_drop + 1e-12:
                reasons.append(f"{NAMES.get(s, s)} accuracy falls {100 * drop:.2f} points "
                               f"(more than {100 * max_drop:g})")
    return {"ship": not reasons, "basket_uar": {"candidate": cand, "baseline": base},
            "reasons": reasons}


def pair_scores(members, load: Callable[[str, str], Any], logits_of: Callable[..., np.ndarray]
                ) -> dict[str, dict[str, Any]]:
    """Accuracy and UAR of a pair (product rule, flip, each member's temperature) on each
    basket set that `load(kind, split)` can read; a set that cannot be read is left out
    with the reason under "missing"."""
    from app.metrics import evaluate_probs
    from app.model.fusion import fuse
    from app.train.faceset import DatasetError
    from app.train.temperature import scaled_probs

    out: dict[str, dict[str, Any]] = {}
    for label, kind, split in BASKET:
        try:
            faces = load(kind, split)
        except (DatasetError, OSError) as exc:
            out.setdefault("missing", {})[label] = str(exc)
            continue
        probs = [scaled_probs(logits_of(m, faces, f"{kind}-{split}"), m.spec.temperature)
                 for m in members]
        m = evaluate_probs(fuse("product", probs) if len(probs) > 1 else probs[0],
                           faces.labels)
        out[label] = {"n": m["n"], "accuracy": m["accuracy"], "uar": m["uar"]}
    return out


def markdown(candidate: Scores, baseline: Scores, result: Mapping[str, Any],
             names: tuple[str, str] = ("candidate", "shipped")) -> str:
    """The basket's table: accuracy and UAR per set for both pairs, the basket UAR and the
    verdict with its reasons."""
    c, b = names
    lines = [f"| set | n | {b} acc | {c} acc | Δ acc | {b} UAR | {c} UAR |",
             "|---|---|---|---|---|---|---|"]
    for label, _, _ in BASKET:
        cs, bs = candidate.get(label), baseline.get(label)
        if cs is None or bs is None:
            lines.append(f"| {NAMES[label]} | – | – | – | – | – | – |")
            continue
        lines.append(f"| {NAMES[label]} | {cs['n']} | {100 * bs['accuracy']:.2f} | "
                     f"{100 * cs['accuracy']:.2f} | "
                     f"{100 * (cs['accuracy'] - bs['accuracy']):+.2f} | "
                     f"{100 * bs['uar']:.2f} | {100 * cs['uar']:.2f} |")
    u = result["basket_uar"]
    fmt = (lambda v: "–" if v is None else f"{100 * v:.2f}")  # noqa: E731
    lines.append(f"| **basket UAR** | | | | | **{fmt(u['baseline'])}** | "
                 f"**{fmt(u['candidate'])}** |")
    why = "; ".join(result["reasons"]) or "basket UAR rises, no set loses more than 1 point"
    lines.append("")
    lines.append(f"Verdict: **{'ship' if result['ship'] else 'do not ship'}** ({why}).")
    return "\n".join(lines) + "\n"


def write(out: Path, report: Mapping[str, Any], table: str) -> tuple[Path, Path]:
    from app.atomic import atomic_open

    out.mkdir(parents=True, exist_ok=True)
    paths = out / "basket.json", out / "basket.md"
    with atomic_open(paths[0], "w") as fh:
        fh.write(json.dumps(report, indent=1) + "\n")
    with atomic_open(paths[1], "w") as fh:
        fh.write(table)
    return paths
