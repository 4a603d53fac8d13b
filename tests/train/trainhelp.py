"""Tiny generated datasets in every layout the readers know (seconds to build and read).

Images carry a class-dependent pattern (a bright bar whose position encodes the class), so
a model can learn something from them; they are synthetic, never dataset images.
"""

from __future__ import annotations

import csv
import tarfile
from pathlib import Path

import cv2
import numpy as np

from app.labels import EMOTIONS


def face_image(label: int, seed: int, size: int = 48, rgb: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, size=(size, size), dtype=np.uint8)
    band = size // 8
    img[label * band % (size - band):label * band % (size - band) + band, :] = 220
    if rgb:
        return np.stack([img, img // 2, 255 - img], axis=2)
    return img


def write_image(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), image)


def make_class_folders(root: Path, per_class: int = 3, names=None, rgb: bool = False,
                       size: int = 48) -> Path:
    names = names or {e: e for e in EMOTIONS}
    for i, (label, folder) in enumerate(names.items()):
        for j in range(per_class):
            write_image(root / folder / f"img{j}.png",
                        face_image(EMOTIONS.index(label), i * 100 + j, size, rgb))
    return root


def make_archive(folder: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(folder, arcname=folder.name)
    return archive


def make_fer2013(root: Path, per_class: int = 2) -> Path:
    for i, emotion in enumerate(EMOTIONS):
        for j in range(per_class):
            for split, prefix in (("train", "Training"), ("test", "PublicTest"),
                                  ("test", "PrivateTest")):
                write_image(root / split / emotion / f"{prefix}_{i}{j}.jpg",
                            face_image(i, i * 10 + j))
    return root


FERPLUS_ROWS = [  # votes: neutral, happiness, surprise, sadness, anger, disgust, fear,
    # contempt, unknown, NF
    [0, 9, 1, 0, 0, 0, 0, 0, 0, 0],  # happy
    [6, 0, 0, 4, 0, 0, 0, 0, 0, 0],  # neutral (soft: 0.6 neutral, 0.4 sad)
    [0, 0, 0, 0, 5, 5, 0, 0, 0, 0],  # tie anger/disgust -> anger (first column)
    [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt majority -> dropped
    [0, 0, 0, 0, 0, 0, 0, 0, 3, 7],  # NF -> dropped
    [0, 0, 7, 0, 0, 0, 3, 0, 0, 0],  # surprise
]


def make_ferplus(root: Path, broken: str | None = None) -> Path:
    for split in ("Train", "Valid", "Test"):
        folder = root / f"FER2013{split}"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "label.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            for k, votes in enumerate(FERPLUS_ROWS):
                name = f"fer{k:07d}.png"
                w.writerow([name, "(0, 0, 48, 48)", *votes])
                if name == broken:
                    (folder / name).write_bytes(b"not a png")
                else:
                    write_image(folder / name, face_image(k % 7, k))
    return root


def make_ckplus(root: Path, subjects: int = 6, per_class: int = 2) -> Path:
    folders = ("anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")
    for s in range(subjects):
        for c, folder in enumerate(folders):
            for f in range(per_class):
                label = {"anger": 0, "contempt": 4, "disgust": 1, "fear": 2, "happy": 3,
                         "sadness": 5, "surprise": 6}[folder]
                write_image(root / folder / f"S{100 + s:03d}_{c:03d}_{f:08d}.png",
                            face_image(label, s * 100 + c * 10 + f))
    return root


def make_sfew(root: Path, per_class: int = 2) -> Path:
    for split in ("Train", "Val"):
        for i, emotion in enumerate(EMOTIONS):
            for j in range(per_class):
                img = face_image(i, i * 10 + j + (0 if split == "Train" else 500), 56, rgb=True)
                write_image(root / split / emotion.capitalize() / f"movie_{i}{j}.png",
                            img[:, 4:52])
    return root
