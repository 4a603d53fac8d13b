"""Score music control against a script of shown expressions (pure; used by bench-control).

The script says which expression was shown when. Following issue 6:

- a *requested switch* is a change to an emotion shown for at least `music.dwell_s` whose
  playlist differs from the one requested before (adjacent segments of one emotion are
  merged; no-face and shorter segments request nothing);
- a *requested gesture* is a segment of a gesture-mapped emotion shown for at least
  `gestures.hold_s`.

A switch (or gesture) matches a request when it names the requested playlist (emotion)
and happens between the segment's start and `grace_s` after its end; each request is
matched once. Everything else is unrequested; each unrequested action says what was
shown in the dwell (hold) window before it: one steady expression means the recogniser
misread that face, a change means the control was not stable enough. Latency is measured
from the moment the action was *due*: the segment start plus the deliberate wait the
settings impose (dwell or hold time, or the end of a cooldown / refractory period still
running), so it shows the lag the system adds, not the wait the user asked for. The raw
delay from the segment start is reported beside it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from app.capture.facevideo import Segment, VideoScript
from app.config import GestureConfig, MusicConfig
from app.music.policy import target_playlist
from app.records import GestureEvent, MusicAction


@dataclass(frozen=True)
class Request:
    """An action the script asks for: `what` is the playlist (switch) or emotion (gesture)."""

    what: str
    start_s: float
    end_s: float


def merge_segments(segments: tuple[Segment, ...]) -> list[Segment]:
    """Adjacent segments showing the same emotion, joined (a new face, same expression)."""
    merged: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.start_s):
        if merged and merged[-1].emotion == seg.emotion and \
                abs(merged[-1].end_s - seg.start_s) < 1e-6:
            merged[-1] = Segment(merged[-1].start_s, seg.end_s, seg.emotion)
        else:
            merged.append(seg)
    return merged


def requested_switches(script: VideoScript, music: MusicConfig) -> list[Request]:
    out, current = [], None
    for seg in merge_segments(script.segments):
        if seg.emotion is None or seg.end_s - seg.start_s < music.dwell_s:
            continue
        target = target_playlist(seg.emotion, music.mode, music.lift_map)
        if target != current:
            out.append(Request(target, seg.start_s, seg.end_s))
            current = target
    return out


def requested_gestures(script: VideoScript, gestures: GestureConfig) -> list[Request]:
    if not gestures.enabled:
        return []
    return [Request(seg.emotion, seg.start_s, seg.end_s)
            for seg in merge_segments(script.segments)
            if seg.emotion in gestures.mapping and seg.end_s - seg.start_s >= gestures.hold_s]


def _match(requests: list[Request], events: list[tuple[str, float]], wait_s: float,
           gap_s: float, grace_s: float) -> tuple[list[dict], list[tuple[str, float]]]:
    """Greedy in time order: each event takes the earliest open request it fits."""
    open_requests = list(requests)
    matched, unrequested = [], []
    last_t: float | None = None
    for what, t in sorted(events, key=lambda e: e[1]):
        hit = next((r for r in open_requests
                    if r.what == what and r.start_s <= t <= r.end_s + grace_s), None)
        if hit is None:
            unrequested.append((what, t))
        else:
            open_requests.remove(hit)
            due = hit.start_s + wait_s
            if last_t is not None:
                due = max(due, last_t + gap_s)
            matched.append({"what": what, "segment_start_s": hit.start_s, "t": round(t, 3),
                            "latency_s": round(t - due, 3), "delay_s": round(t - hit.start_s, 3)})
        last_t = t
    return matched, unrequested


def classify_unrequested(script: VideoScript, t: float, window_s: float) -> tuple[str, list]:
    """Why an unrequested action may have happened: "steady" when one expression was shown
    throughout the `window_s` before it (the recogniser misread a steady face), "changing"
    when the shown expression changed within it (a stability failure of the control)."""
    shown = {script.emotion_at(t - window_s * k / 10) for k in range(11)}
    return ("steady" if len(shown) == 1 else "changing"), sorted(shown, key=str)


def _stats(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(statistics.median(values), 3), round(max(values), 3)


def _unrequested(script: VideoScript, what: str, t: float, window_s: float) -> dict:
    kind, shown = classify_unrequested(script, t, window_s)
    return {"what": what, "t": round(t, 3), "unrequested": True, "shown_before": shown,
            "cause": "misrecognised steady face" if kind == "steady" else
                     "expression changed during the wait"}


def score_control(script: VideoScript, switches: list[MusicAction],
                  gestures: list[GestureEvent], music: MusicConfig,
                  gesture_cfg: GestureConfig, grace_s: float = 2.0) -> dict:
    """The bench-control figures (see the module docstring) as a JSON-ready dict."""
    sw_req = requested_switches(script, music)
    g_req = requested_gestures(script, gesture_cfg)
    sw_ok, sw_bad = _match(sw_req, [(a.playlist, a.t) for a in switches if a.kind == "switch"],
                           music.dwell_s, music.cooldown_s, grace_s)
    g_ok, g_bad = _match(g_req, [(g.emotion, g.t) for g in gestures], gesture_cfg.hold_s,
                         gesture_cfg.refractory_s, grace_s)
    sw_med, sw_max = _stats([m["latency_s"] for m in sw_ok])
    g_med, g_max = _stats([m["latency_s"] for m in g_ok])
    delay_med, _ = _stats([m["delay_s"] for m in sw_ok])
    return {
        "switch_latency_s_median": sw_med,
        "switch_latency_s_max": sw_max,
        "switch_delay_from_change_s_median": delay_med,
        "switches_requested": len(sw_req),
        "switches_matched": len(sw_ok),
        "switches_missed": len(sw_req) - len(sw_ok),
        "unrequested_switches": len(sw_bad),
        "unrequested_switches_on_steady_face": sum(
            classify_unrequested(script, t, music.dwell_s)[0] == "steady" for _, t in sw_bad),
        "gesture_precision": round(len(g_ok) / len(gestures), 4) if gestures else None,
        "gesture_recall": round(len(g_ok) / len(g_req), 4) if g_req else None,
        "gesture_latency_s_median": g_med,
        "gesture_latency_s_max": g_max,
        "gestures_requested": len(g_req),
        "gestures_fired": len(gestures),
        "gestures_matched": len(g_ok),
        "switches": sw_ok + [_unrequested(script, w, t, music.dwell_s) for w, t in sw_bad],
        "gestures": g_ok + [_unrequested(script, w, t, gesture_cfg.hold_s) for w, t in g_bad],
    }


def segment_diagnostics(script: VideoScript, samples: list[tuple[float, object]]) -> list[dict]:
    """Per (merged) segment: how often a face was classified, the most frequent smoothed
    top class and the mean smoothed probability of the shown emotion; explains misses."""
    import numpy as np

    from app.labels import EMOTIONS

    out = []
    for seg in merge_segments(script.segments):
        probs = [p for t, p in samples if seg.start_s <= t < seg.end_s and p is not None]
        entry: dict = {"emotion": seg.emotion, "start_s": seg.start_s, "end_s": seg.end_s,
                       "frames_with_face": len(probs)}
        if probs:
            stack = np.stack(probs)
            tops = np.bincount(stack.argmax(axis=1), minlength=len(EMOTIONS))
            entry["top"] = EMOTIONS[int(tops.argmax())]
            if seg.emotion is not None:
                entry["mean_prob_shown"] = round(
                    float(stack[:, EMOTIONS.index(seg.emotion)].mean()), 3)
        out.append(entry)
    return out
