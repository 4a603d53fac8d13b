"""`bench-control --music external` against a real VLC over MPRIS on a private bus.

Saved probabilities (`--from-probs`) replay the same recognition through the session once
with the null player and once driving VLC: the switch and gesture figures must be the
same (one policy, one gesture detector), and the player side must show the gesture's
command reaching VLC. Skipped where dbus-daemon, VLC or jeepney is missing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("jeepney", reason="jeepney (the D-Bus library) is not installed")

from app.__main__ import main  # noqa: E402
from app.labels import EMOTIONS  # noqa: E402
from tests.music.mprishelp import Rig  # noqa: E402

SEGMENTS = [(0.0, 4.0, "neutral"), (4.0, 5.8, "surprise"), (5.8, 10.0, "neutral"),
            (10.0, 14.0, "sad")]
FIGURES = ("switch_latency_s_median", "switch_latency_s_max", "switches_requested",
           "switches_missed", "unrequested_switches", "gesture_precision", "gesture_recall",
           "gesture_latency_s_median", "gestures_requested", "gestures_fired", "switches",
           "gestures", "state_accuracy", "frame_accuracy")


@pytest.fixture(scope="module")
def rig():
    rig = Rig()
    yield rig
    rig.close()


def saved_run(folder):
    fps = 10
    times = np.arange(0, 14.0, 1 / fps)
    probs = np.full((len(times), len(EMOTIONS)), 0.1 / (len(EMOTIONS) - 1))
    for start, end, emotion in SEGMENTS:
        probs[(times >= start) & (times < end), EMOTIONS.index(emotion)] = 0.9
    npz = folder / "probs.npz"
    np.savez_compressed(npz, times=times, probs=probs, meta=json.dumps({"weights": {}}))
    script = folder / "script.json"
    script.write_text(json.dumps({"fps": fps, "segments": [
        {"start_s": a, "end_s": b, "emotion": e} for a, b, e in SEGMENTS]}), "utf-8")
    return npz, script


def bench(capsys, npz, script, *extra) -> dict:
    # bind the surprise gesture: no expression gesture is bound by default (issue 22)
    settings = npz.with_name("settings.toml")
    settings.write_text('[gestures]\nmapping = { surprise = "next" }\n', encoding="utf-8")
    code = main(["--config", str(settings), "bench-control", "--video", "replayed",
                 "--script", str(script), "--json", "--from-probs", str(npz), *extra])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_external_backend_reports_the_same_switch_and_gesture_figures(rig, tmp_path, capsys):
    npz, script = saved_run(tmp_path)
    null = bench(capsys, npz, script)
    external = bench(capsys, npz, script, "--music", "external", "--bus", rig.bus.address)
    assert null["switches_requested"] == 2 and null["gestures_requested"] == 1
    for key in FIGURES:
        assert external[key] == null[key], key
    assert "external" not in null
    side = external["external"]
    assert side["music"] == "external (mpris)"
    assert side["players_followed"] == ["VLC media player"]
    assert side["player_commands"].get("next") == 1  # the surprise gesture reached VLC
    assert side["player_command_ms"]["max"] is not None and side["player_connected_at_end"]


def test_external_backend_without_a_bus_still_scores_and_says_so(tmp_path, capsys):
    npz, script = saved_run(tmp_path)
    report = bench(capsys, npz, script, "--music", "external", "--bus",
                   "unix:path=/nonexistent/emotune-bus")
    assert report["switches_requested"] == 2 and report["gestures_fired"] == 1
    side = report["external"]
    assert side["players_followed"] == [] and "cannot connect" in side["player_message"]
    assert side["player_commands"] == {}
