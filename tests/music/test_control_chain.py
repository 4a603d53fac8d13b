"""The control chain on a synthetic classifier: the app's FrameSession (smoother -> gestures
+ policy -> controller), scored like bench-control on the shipped bench script (no video,
no model: fast)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.bench.replay import ProbsProcessor, replay_frame
from app.bench.scoring import score_control
from app.capture.facevideo import VideoScript
from app.config import AppConfig, GestureConfig, MusicConfig
from app.labels import EMOTIONS, NUM_CLASSES
from app.music.controller import MusicController
from app.music.library import Library, Playlist, Track
from app.music.player import NullPlayer
from app.pipeline.session import FrameSession

SCRIPT = Path(__file__).resolve().parents[2] / "resources" / "bench" / "control.json"


def noisy_probs(emotion: str, rng: np.random.Generator, strength: float) -> np.ndarray:
    """A classifier output: Dirichlet noise around `strength` on the shown emotion."""
    alpha = np.full(NUM_CLASSES, 1.0)
    alpha[EMOTIONS.index(emotion)] = 1.0 + strength
    return rng.dirichlet(alpha)


def run_chain(script: VideoScript, strength: float, seed: int = 0, fps: float = 10.0,
              mode: str = "match"):
    """The app's own FrameSession with the classifier replaced by `noisy_probs`."""
    config = AppConfig(music=MusicConfig(mode=mode),  # the expression bindings under test
                       gestures=GestureConfig(mapping={"surprise": "next", "happy": "play_pause"}))
    rng = np.random.default_rng(seed)
    lib = Library(Path("x"), {e: Playlist(e, (Track(Path(f"x/{e}.wav"), e),))
                              for e in EMOTIONS})
    times = [i / fps for i in range(int(script.duration_s * fps))]
    rows = [None if (shown := script.emotion_at(t)) is None else noisy_probs(shown, rng, strength)
            for t in times]
    session = FrameSession(ProbsProcessor(rows), config.smoothing, config.gestures,
                           music=MusicController(config.music, lib, NullPlayer()))
    results = [session.step(replay_frame(i, t)) for i, t in enumerate(times)]
    switches = [a for r in results for a in r.actions if a.kind == "switch"]
    events = [r.gesture for r in results if r.gesture is not None]
    return score_control(script, switches, events, config.music, config.gestures)


@pytest.mark.parametrize("seed, mode", [(0, "match"), (1, "match"), (2, "lift")])
def test_bench_script_meets_targets_with_a_good_classifier(seed, mode):
    report = run_chain(VideoScript.from_dict(json.loads(SCRIPT.read_text())), 30.0, seed,
                       mode=mode)
    assert report["unrequested_switches"] == 0 and report["switches_missed"] == 0
    assert report["switch_latency_s_max"] <= 1.5
    assert report["gesture_precision"] >= 0.95 and report["gesture_recall"] >= 0.9


def test_a_guessing_classifier_never_switches():
    """Near-uniform outputs (a lost or untrained model) must not move the music at all."""
    report = run_chain(VideoScript.from_dict(json.loads(SCRIPT.read_text())), 0.5)
    assert report["unrequested_switches"] == 0 and report["gestures_fired"] == 0
