"""Labelled face images of people no weights were trained on, grouped by person.

Two sources, both read from the shared archives: CK+ subjects (posed, lab lighting; the
sequence id travels with each image, so calibration and test can be kept apart by
sequence) and the 20 hold-out IMFDB actors of `app.train.holdout` (film stills, varied
light and pose; the movie travels with each image). The decoded images are squared and
resized once to 64 px (the largest member input) and cached as npz outside the repo.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.atomic import atomic_open
from app.labels import EMOTIONS
from app.model.preprocess import prepare_image
from app.train.datasets import load_faces
from app.train.faceset import DatasetError, Store, cache_dir, cache_key, decode_files
from app.train.holdout import IMFDB_HOLDOUT_ACTORS

SIDE = 64  # the largest member input size of the shipped weights


@dataclass(frozen=True)
class PeopleSet:
    """Images (N, SIDE, SIDE, 3) uint8 with labels, the person and a group id (CK+ sequence,
    IMFDB movie): calibration and test images of one person are drawn from different groups
    where the person has more than one."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    people: np.ndarray  # str (N,)
    groups: np.ndarray  # str (N,)

    def __len__(self) -> int:
        return len(self.labels)

    def person(self, who: str) -> np.ndarray:
        return np.flatnonzero(self.people == who)


def _square(images) -> np.ndarray:
    return np.stack([prepare_image(im, SIDE, "rgb") for im in images])


def ckplus_people(root: str | Path) -> PeopleSet:
    """CK+48, six basic classes (contempt left out), by subject; group = sequence."""
    faces = load_faces("ckplus", root)
    files = faces.files or ()
    seqs = ["_".join(Path(f).name.split("_")[:2]) for f in files]
    return PeopleSet("ckplus", _square(faces.images), np.asarray(faces.labels, np.int64),
                     np.array(faces.subjects), np.array(seqs))


def imfdb_holdout_people(root: str | Path) -> PeopleSet:
    """The 20 hold-out IMFDB actors (never trained on), by actor; group = movie."""
    store = Store(root)
    key = cache_key("imfdb-holdout", store.fingerprint(), str(SIDE))
    path = cache_dir() / f"imfdb-holdout-{key}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return PeopleSet("imfdb-holdout", z["images"], z["labels"], z["people"],
                             z["groups"])
    names = [n for n in store.names() if Path(n).name == "labels.csv"]
    if not names:
        raise DatasetError(f"{root}: no imfdb/labels.csv; expected the IMFDB archive layout")
    rows = [r for r in csv.DictReader(io.StringIO(store.read_text(names[0])))
            if r["actor"] in IMFDB_HOLDOUT_ACTORS and r["label"] in EMOTIONS]
    decoded, _bad = decode_files(store, [r["file"] for r in rows])
    rows = [r for r in rows if r["file"] in decoded]
    images = _square(decoded[r["file"]] for r in rows)
    out = PeopleSet("imfdb-holdout", images,
                    np.array([EMOTIONS.index(r["label"]) for r in rows], np.int64),
                    np.array([r["actor"] for r in rows]), np.array([r["movie"] for r in rows]))
    with atomic_open(path, "wb") as fh:
        np.savez(fh, images=out.images, labels=out.labels, people=out.people,
                 groups=out.groups)
    return out


def person_bank(people: PeopleSet, who: str, part: str) -> dict[str, tuple[np.ndarray, ...]]:
    """One person's faces per expression for a scripted video: part "calib" takes every
    other image (in group, then file order) and "test" the ones between, so a calibration
    video and a test video never show the same image (on CK+ they are still neighbouring
    frames of one sequence: near copies)."""
    if part not in ("calib", "test"):
        raise ValueError(f"part must be calib or test, got {part!r}")
    idx = people.person(who)
    if not len(idx):
        raise ValueError(f"no images of {who!r} in {people.name}")
    bank: dict[str, tuple[np.ndarray, ...]] = {}
    for c, emotion in enumerate(EMOTIONS):
        mine = idx[people.labels[idx] == c]
        mine = mine[np.argsort(people.groups[mine], kind="stable")]
        pick = mine[0::2] if part == "calib" else mine[1::2]
        if len(pick):
            bank[emotion] = tuple(people.images[i] for i in pick)
    return bank
