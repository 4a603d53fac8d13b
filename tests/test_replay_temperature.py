"""scripts/replay_temperature.py: saved bench-control probabilities at a product temperature.

The replay must equal fusing members whose logits were divided by T (that is what makes it
a check of a temperature on the same recognition), leave no-face rows as NaN, and refuse
a temperature that is not positive."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.model.fusion import fuse

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "replay_temperature.py"


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_replay_equals_fusing_members_at_that_temperature(tmp_path):
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(0, 3, (6, 7)), rng.normal(0, 3, (6, 7))
    probs = fuse("product", [_softmax(z1), _softmax(z2)])
    probs[2] = np.nan  # a frame without a face
    src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez_compressed(src, times=np.arange(6) / 30, probs=probs, meta="{}")
    assert _run(src, 1.3, dst).returncode == 0
    with np.load(dst) as out:
        replayed, times = out["probs"], out["times"]
    expected = fuse("product", [_softmax(z1 / 1.3), _softmax(z2 / 1.3)])
    face = np.arange(6) != 2
    np.testing.assert_allclose(replayed[face], expected[face], atol=1e-9)
    assert np.isnan(replayed[2]).all() and np.array_equal(times, np.arange(6) / 30)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_replay_refuses_a_temperature_that_is_not_positive(tmp_path, value):
    src = tmp_path / "in.npz"
    np.savez_compressed(src, times=np.zeros(1), probs=np.full((1, 7), 1 / 7), meta="{}")
    done = _run(src, value, tmp_path / "out.npz")
    assert done.returncode == 2 and "must be > 0" in done.stderr
