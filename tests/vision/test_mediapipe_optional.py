"""MediaPipe is an optional extra: without it the opt-in detector says how to get it."""

import sys

import pytest

from app.vision.detector import DetectorError, create_detector


def test_missing_mediapipe_names_the_extra_and_the_default(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe -> ImportError
    with pytest.raises(DetectorError) as raised:
        create_detector("mediapipe")
    message = str(raised.value)
    assert "pip install '.[mediapipe]'" in message and "optional extra" in message
    assert 'model.detector = "opencv"' in message


def test_the_default_detector_needs_no_mediapipe(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    create_detector("opencv").close()
