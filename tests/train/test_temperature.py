"""ECE, temperature fitting, and the Predictor applying a checkpoint's temperature."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.model.checkpoint import build_model, load_checkpoint, save_checkpoint
from app.model.predictor import Predictor
from app.train.temperature import ece, fit_temperature, scaled_probs, set_temperature


@pytest.mark.parametrize(("probs", "labels", "expect"), [
    ([[1.0, 0.0], [0.0, 1.0]], [0, 1], 0.0),          # sure and right
    ([[1.0, 0.0], [1.0, 0.0]], [1, 1], 1.0),          # sure and wrong
    ([[0.6, 0.4], [0.6, 0.4]], [0, 1], 0.1),          # says 0.6, right half the time
])
def test_ece_table(probs, labels, expect):
    assert ece(np.array(probs), np.array(labels)) == pytest.approx(expect)


def test_fit_recovers_the_temperature_that_generated_the_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 7))
    true_t = 2.5
    p = scaled_probs(logits, true_t)
    labels = np.array([rng.choice(7, p=row) for row in p])
    t = fit_temperature(logits, labels)
    assert t == pytest.approx(true_t, rel=0.1)
    assert ece(scaled_probs(logits, t), labels) < ece(scaled_probs(logits, 1.0), labels)


def test_scaled_probs_averages_views_after_scaling():
    logits = np.array([[[2.0, 0.0], [0.0, 2.0]]])
    assert np.allclose(scaled_probs(logits, 1.0), [[0.5, 0.5]])
    assert np.allclose(scaled_probs(logits[:, 0], 2.0)[0],
                       np.exp([1, 0]) / np.exp([1, 0]).sum())


def test_predictor_applies_the_checkpoint_temperature(tmp_path):
    torch.manual_seed(0)
    model = build_model("cnn2", 48).eval()
    plain = save_checkpoint(tmp_path / "m.pt", model, arch="cnn2", input_size=48)
    hot = set_temperature(plain, tmp_path / "hot.pt", 4.0)
    assert load_checkpoint(plain).spec.temperature == 1.0
    assert load_checkpoint(hot).spec.temperature == 4.0
    face = [np.random.default_rng(1).integers(0, 255, (48, 48, 3), dtype=np.uint8)]
    p1 = Predictor.from_checkpoints({"a": plain}, threads=1).predict(face)[0].probs
    p4 = Predictor.from_checkpoints({"a": hot}, threads=1).predict(face)[0].probs
    assert p1.argmax() == p4.argmax() and p4.max() < p1.max()
    logp1 = np.log(p1)
    expect = np.exp(logp1 / 4.0) / np.exp(logp1 / 4.0).sum()
    assert np.allclose(p4, expect, atol=1e-5)
    with pytest.raises(ValueError):
        set_temperature(plain, tmp_path / "bad.pt", 0.0)
