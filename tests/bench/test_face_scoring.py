"""bench-control's face-gesture figures and the script's optional "gesture" field."""

from __future__ import annotations

import pytest

from app.bench.face_scoring import score_face_gestures
from app.capture.facevideo import VideoScript
from app.records import MARK_ACTION, GestureEvent

SCRIPT = VideoScript.from_dict({"fps": 30, "segments": [
    {"start_s": 0, "end_s": 4, "emotion": "neutral"},
    {"start_s": 4, "end_s": 6, "emotion": "surprise", "gesture": "mouth_open"},
    {"start_s": 6, "end_s": 12, "emotion": "neutral"},
    {"start_s": 12, "end_s": 14, "emotion": "happy", "gesture": "smile"},
    {"start_s": 14, "end_s": 20, "emotion": "neutral"},
    {"start_s": 20, "end_s": 22, "emotion": "surprise", "gesture": "mouth_open"}]})


def face(name: str, t: float, action: str = MARK_ACTION) -> GestureEvent:
    return GestureEvent(action, name, t, kind="face")


@pytest.mark.parametrize(("events", "expect"), [
    # every request met once: precision and recall 1
    ([face("mouth_open", 4.7), face("smile", 12.7), face("mouth_open", 20.7)],
     {"face_gestures_matched": 3, "face_gestures_unrequested": 0,
      "face_gesture_precision": 1.0, "face_gesture_recall": 1.0}),
    # late but inside the 1.5 s grace after the segment's end: still matched
    ([face("mouth_open", 7.4)], {"face_gestures_matched": 1, "face_gesture_recall": 0.3333}),
    # after the grace: unrequested
    ([face("mouth_open", 7.6)], {"face_gestures_matched": 0, "face_gestures_unrequested": 1,
                                 "face_gesture_precision": 0.0}),
    # the wrong gesture in a window: unrequested (smile is named, but not requested then)
    ([face("smile", 4.7)], {"face_gestures_matched": 0, "face_gestures_unrequested": 1}),
    # a double press inside one window: one match, the repeat lowers precision only
    ([face("smile", 12.5), face("smile", 13.5)],
     {"face_gestures_matched": 1, "face_gestures_unrequested": 0, "face_gestures_fired": 2,
      "face_gesture_precision": 0.5}),
    # gestures the script never names are not scored; expression gestures neither
    ([face("brows_up", 4.5, "play_pause"), GestureEvent("next", "surprise", 4.5)],
     {"face_gestures_fired": 0, "face_gesture_precision": None, "face_gesture_recall": 0.0}),
])
def test_face_gesture_figures(events, expect):
    report = score_face_gestures(SCRIPT, events)
    assert report["face_gestures_requested"] == 3
    for key, value in expect.items():
        assert report[key] == value, key


def test_per_gesture_figures():
    report = score_face_gestures(SCRIPT, [face("mouth_open", 4.7), face("smile", 1.0)])
    assert report["face_gestures_by_name"]["mouth_open"] == {
        "requested": 2, "matched": 1, "fired": 1, "recall": 0.5, "precision": 1.0}
    assert report["face_gestures_by_name"]["smile"]["precision"] == 0.0


def test_script_gesture_field_round_trips_and_is_checked():
    assert SCRIPT.gestures == ("mouth_open", "smile")
    again = VideoScript.from_dict(SCRIPT.to_dict())
    assert again == SCRIPT
    assert "gesture" not in again.to_dict()["segments"][0]
    with pytest.raises(ValueError, match="not a face gesture"):
        VideoScript.from_dict({"fps": 30, "segments": [
            {"start_s": 0, "end_s": 1, "emotion": "happy", "gesture": "grin"}]})
