import csv
import io
import tarfile
from pathlib import Path

import pytest

from app.train.holdout import (
    IMFDB_HOLDOUT_ACTORS,
    draw_holdout,
    is_holdout_actor,
)

ARCHIVE = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "imfdb.tar.gz"


def test_holdout_is_twenty_sorted_unique_names():
    assert len(IMFDB_HOLDOUT_ACTORS) == 20
    assert list(IMFDB_HOLDOUT_ACTORS) == sorted(set(IMFDB_HOLDOUT_ACTORS))
    assert is_holdout_actor("SharukhKhan") and not is_holdout_actor("MadhuriDixit")


def test_draw_is_seeded_and_refuses_too_few():
    names = [f"a{i}" for i in range(50)]
    assert draw_holdout(names) == draw_holdout(reversed(names))
    assert draw_holdout(names) != draw_holdout(names, seed=1)
    with pytest.raises(ValueError, match="cannot hold out 20 actors from 5"):
        draw_holdout(names[:5])


def test_written_list_is_the_seeded_draw_over_imfdb():
    if not ARCHIVE.exists():
        pytest.skip(f"IMFDB archive not found at {ARCHIVE}")
    with tarfile.open(ARCHIVE) as tar:
        member = tar.extractfile("imfdb/labels.csv")
        rows = list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))
    assert draw_holdout(r["actor"] for r in rows) == IMFDB_HOLDOUT_ACTORS
