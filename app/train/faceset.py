"""Labelled face images in memory, and reading them from a folder or a .tar.gz archive.

Every reader in `app.train.datasets` returns a `FaceSet`: uint8 images (H x W gray or
H x W x 3 RGB, exactly as stored), class indices in `app.labels.EMOTIONS` order, optional
soft targets (FER+ vote distributions), subject ids (CK+) and a count of files that could
not be decoded. Archives are read in place (one sequential pass through the gzip stream),
so nobody has to unpack 60 MB to train. Sets whose images share one shape are cached as
.npz in the user's cache folder, keyed by the source's path, size and mtime: decoding 28k
PNGs takes ~20 s, loading the cache well under one.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from app.atomic import atomic_open
from app.labels import EMOTIONS, NUM_CLASSES

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
CACHE_VERSION = 1


class DatasetError(Exception):
    """A data source that cannot be used; the message says what was found and expected."""


def cache_dir() -> Path:
    """Where decoded datasets are cached ($XDG_CACHE_HOME/emotune/cache, outside the repo)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "emotune" / "cache"


@dataclass(frozen=True)
class FaceSet:
    """Images with labels; `images` is an N x H x W(x3) uint8 array or a list of arrays."""

    images: np.ndarray | list[np.ndarray]
    labels: np.ndarray  # int64 (N,), index into EMOTIONS
    name: str = "faces"
    soft: np.ndarray | None = None  # float32 (N, 7), rows sum to 1
    subjects: tuple[str, ...] | None = None
    files: tuple[str, ...] | None = None
    skipped: int = 0  # unreadable files left out
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Per-face training terms of a mixed set (app.train.mix): loss weight and extra label
    # smoothing by source, for the sets whose labels are noisier than FER+'s.
    weights: np.ndarray | None = None  # float32 (N,)
    smoothing: np.ndarray | None = None  # float32 (N,), in [0, 1)

    def __post_init__(self) -> None:
        n = len(self.images)
        labels = np.asarray(self.labels)
        if labels.shape != (n,):
            raise ValueError(f"{self.name}: {n} images but labels of shape {labels.shape}")
        if n and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
            raise ValueError(f"{self.name}: labels must lie in 0..{NUM_CLASSES - 1}")
        if self.soft is not None and np.asarray(self.soft).shape != (n, NUM_CLASSES):
            raise ValueError(f"{self.name}: soft targets must be ({n}, {NUM_CLASSES})")
        for attr in ("weights", "smoothing"):
            value = getattr(self, attr)
            if value is not None and np.asarray(value).shape != (n,):
                raise ValueError(f"{self.name}: {attr} must be ({n},)")
        for attr in ("subjects", "files"):
            value = getattr(self, attr)
            if value is not None and len(value) != n:
                raise ValueError(f"{self.name}: {len(value)} {attr} for {n} images")

    def __len__(self) -> int:
        return len(self.images)

    def counts(self) -> dict[str, int]:
        """Images per class, in EMOTIONS order."""
        bins = np.bincount(np.asarray(self.labels, dtype=np.int64), minlength=NUM_CLASSES)
        return {name: int(c) for name, c in zip(EMOTIONS, bins, strict=True)}

    def subset(self, index: np.ndarray | Iterable[int], name: str | None = None) -> FaceSet:
        """The images at `index` (in that order) as a new FaceSet."""
        idx = np.asarray(list(index) if not isinstance(index, np.ndarray) else index,
                         dtype=np.int64)
        if isinstance(self.images, np.ndarray):
            images: np.ndarray | list[np.ndarray] = self.images[idx]
        else:
            images = [self.images[i] for i in idx]

        def pick(seq):
            return None if seq is None else tuple(seq[i] for i in idx)

        return FaceSet(images=images, labels=np.asarray(self.labels)[idx],
                       name=name or self.name,
                       soft=None if self.soft is None else np.asarray(self.soft)[idx],
                       subjects=pick(self.subjects), files=pick(self.files),
                       skipped=self.skipped, notes=self.notes,
                       weights=None if self.weights is None else np.asarray(self.weights)[idx],
                       smoothing=None if self.smoothing is None
                       else np.asarray(self.smoothing)[idx])

    def image(self, i: int) -> np.ndarray:
        return self.images[i]


def stack_if_uniform(images: list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """One array when every image has the same shape (fast batching, cacheable), else a list."""
    if images and all(im.shape == images[0].shape for im in images):
        return np.stack(images)
    return images


def decode_image(data: bytes) -> np.ndarray | None:
    """Bytes -> uint8 gray (H x W) or RGB (H x W x 3) image; None when undecodable."""
    if not data:
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if image is None:
        return None
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1.0, float(image.max())))
    if image.ndim == 3:
        if image.shape[2] == 1:
            return np.ascontiguousarray(image[:, :, 0])
        code = cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB
        image = cv2.cvtColor(image, code)
        if np.array_equal(image[:, :, 0], image[:, :, 1]) and \
                np.array_equal(image[:, :, 1], image[:, :, 2]):
            return np.ascontiguousarray(image[:, :, 0])  # gray stored as RGB
    return np.ascontiguousarray(image)


class Store:
    """Files of a dataset root: a folder or a tar(.gz) archive, by relative posix path."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        if not self.root.exists():
            raise DatasetError(f"{self.root}: no such file or folder; give the unpacked "
                               "dataset folder or its .tar.gz archive")
        self.is_archive = self.root.is_file()
        if self.is_archive and not str(self.root).lower().endswith(ARCHIVE_SUFFIXES):
            raise DatasetError(f"{self.root}: a file that is not an archive; expected a folder "
                               f"or one of {', '.join(ARCHIVE_SUFFIXES)}")
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        """All file paths under the root, relative, '/'-separated, sorted."""
        if self._names is None:
            if self.is_archive:
                try:
                    with tarfile.open(self.root, "r:*") as tf:
                        self._names = sorted(m.name.lstrip("./") for m in tf.getmembers()
                                             if m.isfile())
                except (tarfile.TarError, OSError, EOFError) as exc:
                    raise DatasetError(f"{self.root}: cannot read the archive ({exc}); it is "
                                       "damaged or not a tar archive") from exc
            else:
                out = []
                for dirpath, _dirs, files in os.walk(self.root):
                    rel = Path(dirpath).relative_to(self.root)
                    out += [(rel / f).as_posix() for f in files]
                self._names = sorted(n[2:] if n.startswith("./") else n for n in out)
        return self._names

    def read_many(self, wanted: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """(name, bytes) for each wanted name (None when it cannot be read), archive order."""
        want = set(wanted)
        if not self.is_archive:
            for name in sorted(want):
                try:
                    yield name, (self.root / name).read_bytes()
                except OSError:
                    yield name, None
            return
        try:
            with tarfile.open(self.root, "r:*") as tf:
                for member in tf:
                    name = member.name.lstrip("./")
                    if name not in want:
                        continue
                    fh = tf.extractfile(member)
                    yield name, (fh.read() if fh is not None else None)
                    want.discard(name)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DatasetError(f"{self.root}: the archive broke off while reading ({exc})") \
                from exc
        for name in sorted(want):
            yield name, None

    def read_text(self, name: str) -> str:
        for _name, data in self.read_many([name]):
            if data is None:
                raise DatasetError(f"{self.root}: cannot read {name}")
            return data.decode("utf-8-sig")
        raise DatasetError(f"{self.root}: {name} is missing")

    def fingerprint(self) -> str:
        """Changes when the source changes (path, size, mtime), for cache keys."""
        st = self.root.stat()
        return f"{self.root.resolve()}|{st.st_size}|{int(st.st_mtime)}"


def decode_files(store: Store, names: list[str]) -> tuple[dict[str, np.ndarray], int]:
    """Decode the named images; returns {name: image} and how many could not be decoded."""
    images: dict[str, np.ndarray] = {}
    bad = 0
    for name, data in store.read_many(names):
        image = decode_image(data) if data is not None else None
        if image is None:
            bad += 1
        else:
            images[name] = image
    return images, bad


def cache_key(*parts: str) -> str:
    return hashlib.sha1("|".join((f"v{CACHE_VERSION}",) + parts).encode()).hexdigest()[:16]


def load_cached(key: str, label: str) -> FaceSet | None:
    """A FaceSet from the npz cache, or None when absent or unreadable."""
    path = cache_dir() / f"{label}-{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            soft = z["soft"] if "soft" in z.files else None
            subjects = tuple(str(s) for s in z["subjects"]) if "subjects" in z.files else None
            files = tuple(str(s) for s in z["files"]) if "files" in z.files else None
            notes = tuple(str(s) for s in z["notes"]) if "notes" in z.files else ()
            return FaceSet(images=z["images"], labels=z["labels"].astype(np.int64),
                           name=str(z["name"]), soft=soft, subjects=subjects, files=files,
                           skipped=int(z["skipped"]), notes=notes)
    except (OSError, ValueError, KeyError):
        return None


def save_cached(key: str, label: str, faces: FaceSet) -> Path | None:
    """Cache a FaceSet whose images are one array (atomic write); lists are not cached."""
    if not isinstance(faces.images, np.ndarray):
        return None
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{label}-{key}.npz"
    arrays: dict[str, np.ndarray] = {
        "images": faces.images, "labels": np.asarray(faces.labels, dtype=np.int64),
        "name": np.array(faces.name), "skipped": np.array(faces.skipped),
        "notes": np.array(list(faces.notes), dtype=str)}
    if faces.soft is not None:
        arrays["soft"] = np.asarray(faces.soft, dtype=np.float32)
    if faces.subjects is not None:
        arrays["subjects"] = np.array(faces.subjects, dtype=str)
    if faces.files is not None:
        arrays["files"] = np.array(faces.files, dtype=str)
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path
