"""The IMFDB actors no training run may use: the unseen people of the profile protocol.

Chosen once, on 2026-12-02, by a seeded draw: the 98 actor names of IMFDB's ``labels.csv``
sorted, then ``random.Random(IMFDB_HOLDOUT_SEED).sample(names, 20)``. The result is written
out below so that it never changes, whatever the dataset copy; ``draw_holdout`` repeats the
draw so a test can check the list is what the seed gives. Every reader of IMFDB for training
drops these actors (``is_holdout_actor``); evaluation of "people never trained on" uses only
them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

IMFDB_HOLDOUT_SEED = 20261202
IMFDB_HOLDOUT_COUNT = 20

IMFDB_HOLDOUT_ACTORS: tuple[str, ...] = (
    "AamairKhan", "Ali", "AnilKapoor", "Annapoorna", "BomanIrani", "Dileep", "Dwarkish",
    "Jayaprakash", "KatrinaKaif", "KavyaMadhavan", "Leelavathi", "Prema", "RamanaReddy",
    "Ranimukherji", "Rimisen", "SharukhKhan", "Siddique", "SoumithraChatterjee", "SureshGopi",
    "Umashri",
)


def draw_holdout(actors: Iterable[str], seed: int = IMFDB_HOLDOUT_SEED,
                 count: int = IMFDB_HOLDOUT_COUNT) -> tuple[str, ...]:
    """Repeat the seeded draw over a set of actor names (sorted first); sorted result."""
    names = sorted(set(actors))
    if len(names) < count:
        raise ValueError(f"cannot hold out {count} actors from {len(names)}")
    return tuple(sorted(random.Random(seed).sample(names, count)))


def is_holdout_actor(actor: str) -> bool:
    """True for an IMFDB actor that no training run may see."""
    return actor in IMFDB_HOLDOUT_ACTORS
