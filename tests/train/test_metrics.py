"""The confusion matrix and its scores (app/metrics.py) and its PNG rendering."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.labels import EMOTIONS
from app.metrics import ConfusionMatrix, evaluate_probs
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


def test_labels_in_confusion_dict():
    cm = ConfusionMatrix.from_predictions([1], [1])
    assert cm.to_dict()["labels"] == list(EMOTIONS)
