"""Readers for the expression datasets: FER2013, FER+, CK+48, SFEW 2.0, any class-folder set.

Each reader takes a folder or a .tar.gz archive (the dataset may sit one folder deep inside
it) and returns a `FaceSet`. Class folders are matched with `app.labels.canonical`
(case-insensitive, synonyms). A source with unknown class names, no images or the wrong
layout raises `DatasetError` naming what was found and what was expected; single files
that cannot be decoded are skipped and counted in `FaceSet.skipped`.

FER+ labels (`label.csv`: neutral, happiness, surprise, sadness, anger, disgust, fear,
contempt, unknown, NF vote counts) become two targets:
- majority: the arg-max of the ten counts (ties go to the first column, as numpy does);
  faces whose majority is contempt, unknown or NF are dropped. On FER2013Test this keeps
  3,517 faces, the count the field reports.
- soft: the seven basic classes' votes normalised to sum to 1 (contempt, unknown and NF
  votes are left out of the distribution).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np

from app.labels import EMOTIONS, INDEX, canonical
from app.train.faceset import (
    IMAGE_SUFFIXES,
    DatasetError,
    FaceSet,
    Store,
    cache_key,
    decode_files,
    load_cached,
    save_cached,
    stack_if_uniform,
)

KINDS = ("ferplus", "fer2013", "ckplus", "sfew", "folder", "expw", "imfdb", "rafdb")
SPLITS: dict[str, tuple[str, ...]] = {
    "ferplus": ("Train", "Valid", "Test"),
    "fer2013": ("Training", "PublicTest", "PrivateTest"),
    "sfew": ("Train", "Val"),
    "ckplus": ("all",),
    "folder": ("all",),
    "expw": ("all",),
    "imfdb": ("train", "holdout", "all"),  # train: without the hold-out actors
    "rafdb": ("train", "val", "all"),  # val: a seeded, class-stratified 10 % of train
}
FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                   "contempt", "unknown", "NF")
# Where our seven classes sit among FER+'s ten vote columns.
FERPLUS_TO_OURS = np.array([FERPLUS_COLUMNS.index(c) for c in
                            ("anger", "disgust", "fear", "happiness", "neutral", "sadness",
                             "surprise")])
# Folder names datasets use for classes outside our seven; skipped, with a note.
KNOWN_EXTRA_CLASSES = ("contempt",)

# Unpacked copies first (fast), then the shared archives beside the project.
_FOLDERS = {"ferplus": "ferplus", "fer2013": "fer2013", "ckplus": "CK+48", "sfew": "sfew2"}
_ARCHIVES = {"ferplus": "ferplus.tar.gz", "fer2013": "fer2013.tar.gz",
             "ckplus": "ckplus48.tar.gz", "sfew": "sfew2.tar.gz"}


def default_root(kind: str) -> Path:
    """Where a known dataset is found when no --root is given."""
    if kind in ("expw", "imfdb", "rafdb"):
        from app.train.wild import wild_root

        return wild_root(kind)
    if kind not in _FOLDERS:
        raise DatasetError(f"dataset kind {kind!r} needs an explicit root folder")
    unpacked = Path.home() / ".cache" / "emotune" / "datasets" / _FOLDERS[kind]
    if unpacked.is_dir():
        return unpacked
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / _ARCHIVES[kind]
    if shared.is_file():
        return shared
    raise DatasetError(f"no {kind} data found at {unpacked} or {shared}; pass --root PATH")


def _images(names: list[str]) -> list[str]:
    return [n for n in names if n.lower().endswith(IMAGE_SUFFIXES)]


def _describe(names: list[str], limit: int = 8) -> str:
    tops = sorted({"/".join(PurePosixPath(n).parts[:2]) for n in names})
    more = f" (+{len(tops) - limit} more)" if len(tops) > limit else ""
    return ", ".join(tops[:limit]) + more if tops else "nothing"


def read_class_folders(store: Store, keep: Callable[[str], bool] = lambda n: True,
                       name: str = "faces", skip_unknown: bool = False) -> FaceSet:
    """Images whose parent folder names an expression (synonyms allowed); `keep` filters."""
    images = [n for n in _images(store.names()) if keep(n)]
    if not images:
        raise DatasetError(f"{store.root}: no images found (expected <class>/<image> with "
                           f"classes like {', '.join(EMOTIONS)}); found: "
                           f"{_describe(store.names())}")
    by_class: dict[str, str] = {}
    unknown: dict[str, int] = {}
    for n in images:
        folder = PurePosixPath(n).parent.name
        label = canonical(folder)
        if label is None:
            unknown[folder or "(top level)"] = unknown.get(folder or "(top level)", 0) + 1
        else:
            by_class[n] = label
    notes: list[str] = []
    if unknown:
        listing = ", ".join(f"{k} ({v})" for k, v in sorted(unknown.items()))
        extra_only = all(k.lower() in KNOWN_EXTRA_CLASSES for k in unknown)
        if not (skip_unknown or extra_only):
            raise DatasetError(f"{store.root}: class folders not recognised: {listing}; "
                               f"expected folder names among {', '.join(EMOTIONS)} or their "
                               "synonyms (anger, happiness, sadness, fearful, disgusted, "
                               "surprised, calm); pass skip_unknown to leave them out")
        notes.append(f"left out (not one of the seven classes): {listing}")
    if not by_class:
        raise DatasetError(f"{store.root}: none of the class folders is an expression: "
                           f"{', '.join(sorted(unknown))}")
    decoded, bad = decode_files(store, list(by_class))
    files = sorted(decoded)
    if not files:
        raise DatasetError(f"{store.root}: none of the {len(by_class)} image files could be "
                           "decoded")
    labels = np.array([INDEX[by_class[f]] for f in files], dtype=np.int64)
    if bad:
        notes.append(f"{bad} unreadable image files skipped")
    return FaceSet(images=stack_if_uniform([decoded[f] for f in files]), labels=labels,
                   name=name, files=tuple(files), skipped=bad, notes=tuple(notes))


def read_folder(root, skip_unknown: bool = False) -> FaceSet:
    """Any folder-per-class set (or archive of one)."""
    store = Store(root)
    return read_class_folders(store, name=Path(root).name, skip_unknown=skip_unknown)


def read_fer2013(root, split: str) -> FaceSet:
    """FER2013, Kaggle layout ({train,test}/<class>/<Split>_<n>.jpg); split from the prefix."""
    _check_split("fer2013", split)
    store = Store(root)
    prefix = split.lower() + "_"
    if not any(PurePosixPath(n).name.lower().startswith(prefix) for n in store.names()):
        raise DatasetError(f"{store.root}: no {split}_*.jpg files; expected the Kaggle FER2013 "
                           f"layout train/<class>/Training_*.jpg, test/<class>/"
                           f"PrivateTest_*.jpg; found: {_describe(store.names())}")
    return read_class_folders(
        store, keep=lambda n: PurePosixPath(n).name.lower().startswith(prefix),
        name=f"fer2013-{split}")


def read_sfew(root, split: str) -> FaceSet:
    """SFEW 2.0 aligned faces: {Train,Val}/<Class>/*.png."""
    _check_split("sfew", split)
    store = Store(root)
    key = split.lower()

    def keep(n: str) -> bool:
        return key in (p.lower() for p in PurePosixPath(n).parts[:-2])

    if not any(keep(n) for n in _images(store.names())):
        raise DatasetError(f"{store.root}: no {split}/<Class>/ images; expected SFEW 2.0 "
                           f"Train/ and Val/ folders; found: {_describe(store.names())}")
    return read_class_folders(store, keep=keep, name=f"sfew-{split}")


def ck_subject(filename: str) -> str:
    """The subject id of a CK+ file name S005_001_00000011.png -> 'S005'."""
    stem = PurePosixPath(filename).name
    head = stem.split("_", 1)[0]
    if not (head.startswith("S") and head[1:].isdigit()):
        raise DatasetError(f"{filename}: not a CK+ file name (expected S###_###_########.png)")
    return head


def read_ckplus(root) -> FaceSet:
    """CK+48 (<class>/S###_###_########.png): six basic classes; contempt is left out."""
    store = Store(root)
    faces = read_class_folders(store, name="ckplus")
    subjects = tuple(ck_subject(f) for f in faces.files or ())
    return FaceSet(images=faces.images, labels=faces.labels, name=faces.name,
                   subjects=subjects, files=faces.files, skipped=faces.skipped,
                   notes=faces.notes)


def ferplus_targets(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keep mask, majority label in our order, soft 7-class distribution) from vote rows."""
    votes = np.asarray(votes, dtype=np.float64)
    majority = votes.argmax(axis=1)
    ours = votes[:, FERPLUS_TO_OURS]
    keep = (majority < 7) & (ours.sum(axis=1) > 0)
    column_to_ours = {int(c): i for i, c in enumerate(FERPLUS_TO_OURS)}
    labels = np.array([column_to_ours.get(int(m), 0) for m in majority], dtype=np.int64)
    soft = ours / np.clip(ours.sum(axis=1, keepdims=True), 1e-9, None)
    return keep, labels, soft.astype(np.float32)


def read_ferplus(root, split: str) -> FaceSet:
    """FER+ FER2013{Train,Valid,Test}: majority labels plus vote distributions."""
    _check_split("ferplus", split)
    store = Store(root)
    folder = f"FER2013{split}"
    csvs = [n for n in store.names() if PurePosixPath(n).name == "label.csv"
            and PurePosixPath(n).parent.name == folder]
    if not csvs:
        raise DatasetError(f"{store.root}: no {folder}/label.csv; expected the FER+ layout "
                           "FER2013{Train,Valid,Test}/label.csv with fer*.png beside it; "
                           f"found: {_describe(store.names())}")
    base = PurePosixPath(csvs[0]).parent
    names, votes = [], []
    for row in csv.reader(io.StringIO(store.read_text(csvs[0]))):
        if not row:
            continue
        if len(row) != 12:
            raise DatasetError(f"{store.root}/{csvs[0]}: rows must have 12 fields (name, box, "
                               f"10 vote counts), found {len(row)}: {row[:3]}...")
        try:
            votes.append([int(float(v)) for v in row[2:]])
        except ValueError:
            continue  # a header row
        names.append((base / row[0]).as_posix())
    keep, labels, soft = ferplus_targets(np.array(votes).reshape(-1, 10))
    wanted = [n for n, k in zip(names, keep, strict=True) if k]
    decoded, bad = decode_files(store, wanted)
    rows = [i for i, n in enumerate(names) if keep[i] and n in decoded]
    if not rows:
        raise DatasetError(f"{store.root}: none of the {len(wanted)} FER+ images listed in "
                           f"{csvs[0]} could be read")
    dropped = int((~keep).sum())
    notes = (f"{dropped} faces whose majority vote is contempt, unknown or NF left out",)
    if bad:
        notes += (f"{bad} listed images missing or unreadable",)
    return FaceSet(images=stack_if_uniform([decoded[names[i]] for i in rows]),
                   labels=labels[rows], name=f"ferplus-{split}", soft=soft[rows],
                   files=tuple(names[i] for i in rows), skipped=bad, notes=notes)


def _check_split(kind: str, split: str) -> None:
    if split not in SPLITS[kind]:
        raise DatasetError(f"{kind} has no split {split!r}; choose one of "
                           f"{', '.join(SPLITS[kind])}")


def load_faces(kind: str, root=None, split: str | None = None, use_cache: bool = True,
               skip_unknown: bool = False) -> FaceSet:
    """Read a dataset split by kind (see KINDS), through the npz cache when possible."""
    if kind not in KINDS:
        raise DatasetError(f"unknown dataset kind {kind!r}; choose one of {', '.join(KINDS)}")
    if root is None:
        root = default_root(kind)
    split = split or SPLITS[kind][0]
    _check_split(kind, split)
    store = Store(root)
    recipe = ()
    if kind in ("expw", "imfdb", "rafdb"):  # the framing and the hold-out list are part of the data
        from app.train.wild import recipe_key

        recipe = (recipe_key(),)
    key = cache_key(kind, split, store.fingerprint(), str(skip_unknown), *recipe)
    label = f"{kind}-{split}"
    if use_cache and kind != "folder":
        cached = load_cached(key, label)
        if cached is not None:
            return cached
    if kind == "ferplus":
        faces = read_ferplus(root, split)
    elif kind == "fer2013":
        faces = read_fer2013(root, split)
    elif kind == "sfew":
        faces = read_sfew(root, split)
    elif kind == "ckplus":
        faces = read_ckplus(root)
    elif kind in ("expw", "imfdb", "rafdb"):
        from app.train.wild import read_wild

        faces = read_wild(kind, root, split)
    else:
        faces = read_folder(root, skip_unknown=skip_unknown)
    if use_cache and kind != "folder":
        save_cached(key, label, faces)
    return faces
