"""On real data and the shipped weights: a profile fitted on one CK+ subject's frames
raises that subject's held-out accuracy, and the weights' bytes stay as shipped."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from app.model.checkpoint import load_checkpoint
from app.model.predictor import Predictor
from app.paths import default_weights
from app.profiles.calibration import fit_profile
from app.profiles.features import extract

CK = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "ckplus48.tar.gz"
SUBJECT = "S054"  # the shipped weights get 1 of this subject's 9 images right


def _digests():
    return {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in default_weights().items()}


@pytest.mark.skipif(not CK.is_file(), reason="CK+ archive not found")
def test_profile_on_one_ck_subject_raises_its_held_out_accuracy():
    from app.train.people import ckplus_people

    weights = default_weights()
    if not all(p.is_file() for p in weights.values()):
        pytest.skip("shipped weights not installed")
    before_bytes = _digests()
    people = ckplus_people(CK)
    idx = people.person(SUBJECT)
    predictor = Predictor([load_checkpoint(p, name=n) for n, p in weights.items()],
                          device="cpu", threads=1, flip=True)
    feats = extract(predictor, people.images[idx])
    labels = people.labels[idx]
    # CK+ keeps the last three frames of each sequence, in file order: per expression the
    # first two are fitted and the last is held out (a near copy: an optimistic test)
    times = np.arange(len(idx), dtype=float)
    _, guard = fit_profile(SUBJECT, feats, labels, times, before_bytes, holdout=0.34)
    assert guard.frames_held_out == 3  # one per expression
    assert guard.after.accuracy() > guard.before.accuracy()
    assert guard.kept
    assert _digests() == before_bytes
