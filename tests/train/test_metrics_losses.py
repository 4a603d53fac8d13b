"""Metrics (confusion matrix, macro-F1, UAR), the PNG rendering, and the losses."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.labels import EMOTIONS
from app.metrics import ConfusionMatrix, evaluate_probs
from app.train.losses import class_weights, one_hot, smooth, target_loss
from app.train.report import render_confusion, save_confusion_png


def test_confusion_metrics_by_hand():
    y_true = [0, 0, 0, 1, 1, 3]
    y_pred = [0, 0, 1, 1, 3, 3]
    cm = ConfusionMatrix.from_predictions(y_true, y_pred)
    assert cm.counts[0, 0] == 2 and cm.counts[0, 1] == 1 and cm.n == 6
    assert cm.accuracy() == pytest.approx(4 / 6)
    # recalls over the present classes 0, 1, 3: 2/3, 1/2, 1
    assert cm.uar() == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    f1 = [2 * 1 * (2 / 3) / (1 + 2 / 3), 0.5, 2 * 0.5 * 1 / 1.5]
    assert cm.macro_f1() == pytest.approx(np.mean(f1))
    assert cm.per_class()["angry"]["support"] == 3
    assert cm.per_class()["neutral"]["support"] == 0


@pytest.mark.parametrize("counts", [np.zeros((6, 6)), -np.ones((7, 7))])
def test_confusion_rejects_bad_counts(counts):
    with pytest.raises(ValueError):
        ConfusionMatrix(counts)


def test_restricted_evaluation_ignores_absent_classes():
    probs = np.full((2, 7), 0.01)
    probs[0, 4], probs[0, 3] = 0.9, 0.05  # neutral first, then happy
    probs[1, 0] = 0.9
    labels = np.array([3, 0])
    present = np.zeros(7, dtype=bool)
    present[[0, 3]] = True
    assert evaluate_probs(probs, labels)["accuracy"] == 0.5
    assert evaluate_probs(probs, labels, present)["accuracy"] == 1.0


def test_png_is_written_and_labelled(tmp_path):
    cm = ConfusionMatrix.from_predictions([0, 1, 2, 3, 4, 5, 6, 6], [0, 1, 2, 3, 4, 5, 6, 0])
    path = save_confusion_png(cm, tmp_path / "cm.png", "cnn1 on test")
    img = cv2.imread(str(path))
    assert img is not None and img.shape == render_confusion(cm, "x").shape
    assert img.shape[0] > 7 * 60 and (img < 128).any()  # text and dark cells drawn


def test_losses_match_torch_and_handle_targets():
    logits = torch.randn(5, 7)
    labels = np.array([0, 1, 2, 3, 6])
    t = one_hot(labels, 7)
    ref = F.cross_entropy(logits, torch.as_tensor(labels))
    assert target_loss("ce", logits, t) == pytest.approx(float(ref), rel=1e-5)
    ls = F.cross_entropy(logits, torch.as_tensor(labels), label_smoothing=0.1)
    assert target_loss("soft", logits, smooth(t, 0.1)) == pytest.approx(float(ls), rel=1e-5)
    bce = F.binary_cross_entropy_with_logits(logits, t, reduction="sum") / 5
    assert target_loss("bce", logits, t) == pytest.approx(float(bce), rel=1e-5)


@pytest.mark.parametrize("kind, eps", [("hinge", 0.0), ("ce", 1.0)])
def test_bad_loss_settings(kind, eps):
    with pytest.raises(ValueError):
        target_loss(kind, torch.zeros(2, 7), smooth(one_hot([0, 1], 7), eps))


def test_class_weights_balance_frequencies():
    labels = np.array([0] * 90 + [1] * 10)
    w = class_weights(labels, 7)
    assert w[1] / w[0] == pytest.approx(9.0)
    assert w[labels].mean() == pytest.approx(1.0)
    assert w[2] == 0.0
    assert class_weights(labels, 7, 0.5)[1] / class_weights(labels, 7, 0.5)[0] == \
        pytest.approx(3.0)


def test_labels_in_confusion_dict():
    cm = ConfusionMatrix.from_predictions([1], [1])
    assert cm.to_dict()["labels"] == list(EMOTIONS)
