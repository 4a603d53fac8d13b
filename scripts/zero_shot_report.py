"""Issue 16's figures for a set of members: zero-shot sets, calibration, robustness, TTA.

    .venv/bin/python scripts/zero_shot_report.py --member cnn1=models/cnn1.pt \
        --member cnn2=models/cnn2.pt --out ~/.cache/emotune/reports/shipped.json \
        [--robust] [--tta] [--threads 1]

Temperatures are fitted on FER+ Valid; the sets scored are FER+ Test (majority), CK+ six
classes (among the six, and all seven answers allowed), SFEW 2.0 Val and the IMFDB hold-out
actors, none of which any member trained on (see app/train/zeroshot.py). Prints a Markdown
table of the product rule and writes everything (per member, per class) to --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import torch  # noqa: E402

from app.hashing import file_sha256  # noqa: E402
from app.model.checkpoint import load_checkpoint  # noqa: E402
from app.train.datasets import load_faces  # noqa: E402
from app.train.robust import TTA_MODES  # noqa: E402
from app.train.temperature import fit_temperature  # noqa: E402
from app.train.zeroshot import (  # noqa: E402
    SIX,
    cached_logits,
    fit_product_temperature,
    fit_product_weights,
    fused_table,
    robustness,
    tta_costs,
)

SETS = (("ferplus-test", "ferplus", "Test", None), ("ckplus-six", "ckplus", "all", SIX),
        ("ckplus-seven", "ckplus", "all", None), ("sfew-val", "sfew", "Val", None),
        ("imfdb-holdout", "imfdb", "holdout", None))


def _images(faces):
    return [faces.image(i) for i in range(len(faces))]


def _logits(member, digest: str, faces, key: str):
    return cached_logits(member, digest, faces, key)  # app/train/zeroshot.py


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--member", action="append", required=True, metavar="NAME=CKPT")
    p.add_argument("--out", required=True)
    p.add_argument("--robust", action="store_true")
    p.add_argument("--tta", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--fit-weights", action="store_true", help="also fit the weighted "
                   "product's exponents on FER+ Valid and score it ('weighted')")
    p.add_argument("--every", type=int, default=3, help="robustness and TTA on FER+ Test use "
                   "every N-th face (default 3: 1,173 faces; CK+ always whole)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    members = []
    for spec in args.member:
        name, _, path = spec.partition("=")
        members.append(load_checkpoint(path, name=name))
    t0 = time.monotonic()
    valid = load_faces("ferplus", None, "Valid")
    digests = {m.name: file_sha256(m.spec.path) for m in members}  # once: files are MBs
    valid_logits = {m.name: _logits(m, digests[m.name], valid, "ferplus-Valid")
                    for m in members}
    temps = {n: round(fit_temperature(z, valid.labels), 4) for n, z in valid_logits.items()}
    product_t = fit_product_temperature(valid_logits, valid.labels) if len(members) > 1 \
        else None
    weights = fit_product_weights(valid_logits, valid.labels) \
        if args.fit_weights and len(members) > 1 else None
    report = {"members": {m.name: m.spec.path for m in members}, "temperature": temps,
              "product_temperature": product_t, "product_weights": weights,
              "temperature_fitted_on": f"ferplus-Valid ({len(valid)} faces, flip views)",
              "sets": {}}
    cache = {}
    for label, kind, split, restrict in SETS:
        if (kind, split) not in cache:
            faces = load_faces(kind, None, split)
            cache[(kind, split)] = (faces, {m.name: _logits(m, digests[m.name], faces,
                                                            f"{kind}-{split}")
                                            for m in members})
        faces, logits = cache[(kind, split)]
        report["sets"][label] = fused_table(logits, faces.labels, temps, restrict, product_t,
                                               weights)
    out = Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")  # the main figures first
    if args.robust:
        report["robustness"] = {}
        for label, kind, split, restrict in SETS[:2]:
            faces = cache[(kind, split)][0]
            if kind == "ferplus":
                faces = faces.subset(range(0, len(faces), args.every))
            report["robustness"][label] = robustness(members, _images(faces), faces.labels,
                                                     temps, restrict)
            report["robustness"][label]["n"] = len(faces)
            out.write_text(json.dumps(report, indent=1) + "\n")
    if args.tta:
        faces = cache[("ferplus", "Test")][0]
        faces = faces.subset(range(0, len(faces), args.every))
        report["tta_n"] = len(faces)
        report["tta_ferplus_test"] = tta_costs(members, _images(faces), faces.labels,
                                               TTA_MODES)
        report["tta_machine"] = f"{torch.get_num_threads()} torch thread(s), this host's CPU"
    report["minutes"] = round((time.monotonic() - t0) / 60, 2)
    out.write_text(json.dumps(report, indent=1) + "\n")
    fused = "product" if len(members) > 1 else members[0].name
    print(f"temperatures (FER+ Valid): {temps}; product weights: {weights}")
    print("| set | acc | UAR | ECE | acc (T) | ECE (T) | weighted acc / UAR |\n"
          "|---|---|---|---|---|---|---|")
    for label, row in report["sets"].items():
        s, c = row["shipped"][fused], row["calibrated"][fused]
        w = row["shipped"].get("weighted")
        extra = f"{w['accuracy']:.4f} / {w['uar']:.4f}" if w else "-"
        print(f"| {label} | {s['accuracy']:.4f} | {s['uar']:.4f} | {s['ece']:.4f} | "
              f"{c['accuracy']:.4f} | {c['ece']:.4f} | {extra} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
