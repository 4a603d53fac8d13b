"""Score face gestures against a script's `"gesture"` segments (pure; used by bench-control).

A segment with `"gesture": NAME` requests that face gesture once. A fired face gesture of a
name the script requests *matches* the earliest open request of that name when it fires
between the segment's start and `GRACE_S` after its end; each request is matched once. A
fire of a requested name outside every window of that name is *unrequested*; a second fire
inside a window already matched is neither (it is counted in `face_gestures_fired`, so the
precision, matched / fired, still pays for it). Gestures the script never names are not
scored: the script alone says what is tested.
"""

from __future__ import annotations

from app.capture.facevideo import VideoScript
from app.records import GestureEvent

GRACE_S = 1.5


def score_face_gestures(script: VideoScript, events: list[GestureEvent],
                        grace_s: float = GRACE_S) -> dict:
    """The face-gesture figures as a JSON-ready dict (keys prefixed `face_gesture`)."""
    named = set(script.gestures)
    requests = [(s.gesture, s.start_s, s.end_s) for s in script.segments if s.gesture]
    fired = sorted((e for e in events if e.kind == "face" and e.emotion in named),
                   key=lambda e: e.t)
    open_requests = list(requests)
    matched, unrequested, details = 0, 0, []
    for event in fired:
        windows = [r for r in requests
                   if r[0] == event.emotion and r[1] <= event.t <= r[2] + grace_s]
        hit = next((r for r in open_requests if r in windows), None)
        entry = {"gesture": event.emotion, "t": round(event.t, 3), "action": event.action}
        if hit is not None:
            open_requests.remove(hit)
            matched += 1
            entry["latency_s"] = round(event.t - hit[1], 3)
        elif not windows:
            unrequested += 1
            entry["unrequested"] = True
        else:
            entry["repeat"] = True
        details.append(entry)
    per_gesture = {}
    for name in script.gestures:
        asked = sum(r[0] == name for r in requests)
        got = sum(d["gesture"] == name and "latency_s" in d for d in details)
        shots = sum(d["gesture"] == name for d in details)
        per_gesture[name] = {"requested": asked, "matched": got, "fired": shots,
                             "recall": round(got / asked, 4) if asked else None,
                             "precision": round(got / shots, 4) if shots else None}
    return {
        "face_gestures_requested": len(requests),
        "face_gestures_matched": matched,
        "face_gestures_unrequested": unrequested,
        "face_gestures_fired": len(fired),
        "face_gesture_precision": round(matched / len(fired), 4) if fired else None,
        "face_gesture_recall": round(matched / len(requests), 4) if requests else None,
        "face_gestures_by_name": per_gesture,
        "face_gesture_events": details,
    }


__all__ = ["GRACE_S", "score_face_gestures"]
