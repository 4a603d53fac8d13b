"""`protocol personal`: how much a profile helps each person, on that person's other images.

Per person and per repeat (seeded): K calibration images of every class the person has at
least K + 1 images of; the rest are the test images. The profile covers exactly
those classes (scope "calibrated"), so a class the person never showed is
neither calibrated nor scored. Calibration images are drawn from one group (CK+ sequence,
IMFDB movie) per class where the person has more than one; the test images are reported
twice: all of them, and only those from a group no calibration image came from ("other
groups": CK+ near-copy frames of the calibration sequence left out). Before = the shipped
weights' fused top class (seven classes); after = the head's. Mean and spread are over
people (each person's figure is the mean over repeats).
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.atomic import atomic_write_text
from app.profiles.features import Features
from app.profiles.heads import fit_head

# name -> (kind, lam, members or None for all): the comparison of docs/PROFILES.md
VARIANTS: dict[str, tuple[str, float, tuple[str, ...] | None]] = {
    "prototype": ("prototype", 0.0, None),
    "prototype+base": ("prototype", 1.0, None),
    "linear": ("linear", 0.0, None),
    "linear+base": ("linear", 1.0, None),
    "bias": ("bias", 0.0, None),
    "finetune": ("finetune", 0.0, None),
    "finetune+base": ("finetune", 1.0, None),
    "prototype+base cnn1": ("prototype", 1.0, ("cnn1",)),
    "linear+base cnn1": ("linear", 1.0, ("cnn1",)),
    # issue 27's default: base weight and temperature fitted per person (lam unused),
    # log-probabilities only; "+emb" adds CNN_1's embedding block
    "fused": ("fused", 0.0, ()),
    "fused+emb cnn1": ("fused", 0.0, ("cnn1",)),
}


@dataclass(frozen=True)
class Split:
    calib: np.ndarray
    test: np.ndarray
    other_group: np.ndarray  # bool per test image: its group gave no calibration image


def split_person(labels: np.ndarray, groups: np.ndarray, idx: np.ndarray, shots: int,
                 rng: np.random.Generator) -> Split | None:
    """Calibration and test indices of one person (module docstring); None when fewer than
    two classes have K + 1 images."""
    calib, test = [], []
    for c in np.unique(labels[idx]):
        mine = idx[labels[idx] == c]
        if len(mine) < shots + 1:
            continue
        gs = np.unique(groups[mine])
        g = gs[rng.integers(len(gs))]
        pool = mine[groups[mine] == g]
        if len(pool) < shots or (len(gs) == 1 and len(pool) < shots + 1):
            pool = mine
        pick = rng.choice(pool, size=shots, replace=False)
        taken = set(pick)
        calib += list(pick)
        test += [i for i in mine if i not in taken]
    calib_c = {int(labels[i]) for i in calib}
    if len(calib_c) < 2 or not test:
        return None
    calib, test = np.array(calib), np.array(test)
    used = set(groups[calib])
    return Split(calib, test, np.array([groups[i] not in used for i in test]))


def _acc(pred: np.ndarray, true: np.ndarray) -> float:
    return float((pred == true).mean()) if len(true) else float("nan")


def score_people(feats: Features, labels: np.ndarray, people: np.ndarray,
                 groups: np.ndarray, shots: int, repeats: int = 3,
                 variants: Sequence[str] = tuple(VARIANTS), last_layers=None,
                 seed: int = 0) -> dict:
    """Per-person before/after accuracies of every variant (see the module docstring)."""
    per_person: dict[str, dict] = {}
    fit_ms: dict[str, list[float]] = {v: [] for v in variants}
    for who in sorted(set(people.tolist())):
        idx = np.flatnonzero(people == who)
        rows: dict[str, list[float]] = {}
        for r in range(repeats):
            rng = np.random.default_rng([seed, r, zlib.crc32(who.encode())])
            split = split_person(labels, groups, idx, shots, rng)
            if split is None:
                break
            true = labels[split.test]
            base = feats.base_logp[split.test].argmax(axis=1)
            cal, tst = feats.take(split.calib), feats.take(split.test)
            own = sorted(set(labels[split.calib].tolist()))
            in_set = np.array(own)[tst.base_logp[:, own].argmax(axis=1)]
            entries = {"before": _acc(base, true),
                       "before other groups": _acc(base[split.other_group],
                                                   true[split.other_group]),
                       "before, own set": _acc(in_set, true)}
            for name in variants:
                kind, lam, members = VARIANTS[name]
                t0 = time.perf_counter()
                head = fit_head(kind, cal, labels[split.calib], "calibrated", lam, members,
                                last_layers)
                fit_ms[name].append((time.perf_counter() - t0) * 1000.0)
                pred = head.log_probs(tst).argmax(axis=1)
                entries[name] = _acc(pred, true)
                entries[f"{name} other groups"] = _acc(pred[split.other_group],
                                                       true[split.other_group])
            entries["test images"] = float(len(split.test))
            entries["other-group test images"] = float(split.other_group.sum())
            entries["classes"] = float(len(set(labels[split.calib].tolist())))
            for k, v in entries.items():
                rows.setdefault(k, []).append(v)
        if rows:
            per_person[who] = {k: float(np.nanmean(v)) if not np.all(np.isnan(v))
                               else None for k, v in rows.items()}
    return summarise(per_person, fit_ms, shots, repeats)


def summarise(per_person: dict[str, dict], fit_ms: dict[str, list[float]], shots: int,
              repeats: int) -> dict:
    keys = list(next(iter(per_person.values()))) if per_person else []
    summary = {}
    for k in keys:
        vals = np.array([p[k] for p in per_person.values() if p.get(k) is not None])
        if len(vals):
            summary[k] = {"mean": round(float(vals.mean()), 4),
                          "std": round(float(vals.std()), 4),
                          "min": round(float(vals.min()), 4), "people": int(len(vals))}
            if k not in ("test images", "other-group test images", "classes"):
                summary[k]["people >= 0.95"] = int((vals >= 0.95).sum())
    return {"shots": shots, "repeats": repeats, "people": len(per_person),
            "summary": summary,
            "fit_ms_median": {k: round(float(np.median(v)), 1) for k, v in fit_ms.items() if v},
            "per_person": per_person}


def write_report(result: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "personal.json"
    return atomic_write_text(path, json.dumps(result, indent=1))


def people_set(data: Path):
    """The people of `data`: an IMFDB copy (its 20 hold-out actors) or CK+ (subjects)."""
    from app.train.faceset import Store
    from app.train.people import ckplus_people, imfdb_holdout_people

    names = Store(data).names()
    if any(Path(n).name == "labels.csv" and "imfdb" in n.lower() for n in names):
        return imfdb_holdout_people(data)
    return ckplus_people(data)


def people_features(people, predictor, weights_id: str) -> Features:
    """Features of every image of a people set, cached outside the repo by images and
    weights (the extraction is the slow part: a forward pass of both members per image)."""
    from app.profiles import features as F
    from app.train.faceset import cache_dir

    key = F.images_digest(people.images) + "-" + weights_id
    path = cache_dir() / f"profile-features-{people.name}-{key}.npz"
    if path.is_file():
        return F.load(path)
    feats = F.extract(predictor, people.images)
    F.save(feats, path)
    return feats


def run_personal(data: Path, shots: int, repeats: int = 3, threads: int = 2,
                 variants: Sequence[str] = tuple(VARIANTS),
                 weights: Mapping[str, Path] | None = None) -> dict:
    """The whole protocol on one data set (flip on, as the app), with the shipped weights
    or, per member name, the checkpoints in `weights` (the others stay shipped); the
    report's "weights" names the SHA-256 of the files used."""
    from app.model.predictor import Predictor
    from app.paths import default_weights
    from app.profiles.heads import last_layers
    from app.profiles.profile import weights_hashes

    paths = {**default_weights(), **{k: Path(v) for k, v in (weights or {}).items()}}
    predictor = Predictor.from_checkpoints(paths, device="cpu", threads=threads, flip=True)
    hashes = weights_hashes(paths)
    people = people_set(Path(data))
    feats = people_features(people, predictor, "-".join(h[:8] for h in hashes.values()))
    result = score_people(feats, people.labels, people.people, people.groups, shots,
                          repeats, variants, last_layers(predictor))
    result.update({"data": people.name, "images": len(people), "weights": hashes,
                   "flip": True})
    return result
