"""The window's worker and a bare FrameSession give the same results, frame by frame.

One scripted video of real faces (CK+48, SFEW neutral), the shipped weights and the app's
own processor: the GUI worker on its QThread (offscreen, the file paced at its 10 fps like
a camera) emits its results; the very frames it processed (same order, same dropped
counts) then go through a fresh `FrameSession`, as `bench-control` runs it. States,
gestures, music actions and the guided check's state (it steps inside the session, with
the gestures paused while it runs) must be identical, so what the benchmarks measure is
what the window does.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.commands.bench_control import synthetic_library
from app.config import AppConfig, FaceGestureConfig
from app.music.factory import create_controller
from app.paths import default_weights, landmarker_model_path
from app.pipeline.check import GuidedCheck
from app.pipeline.engine import build_processor
from app.pipeline.session import FrameSession
from app.pipeline.worker import PipelineRunner, PipelineWorker, app_processor_factory
from tests.conftest import DATASETS, require_datasets

SCRIPT = {"fps": 10, "segments": [
    {"start_s": 0.0, "end_s": 2.0, "emotion": "neutral"},
    {"start_s": 2.0, "end_s": 6.0, "emotion": "happy"},
    {"start_s": 6.0, "end_s": 8.0, "emotion": "surprise"},
    {"start_s": 8.0, "end_s": 9.0, "emotion": None}]}
# A short guided check from the first frame on: neutral, then happy, done at 2 s, so the
# gestures are paused for it and free again for the happy and surprise holds after it.
CHECK = {"seconds": 0.5, "countdown_s": 0.5, "order": ("neutral", "happy")}


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    require_datasets("ckplus48.tar.gz", "sfew2.tar.gz")
    if not all(p.is_file() for p in default_weights().values()):
        pytest.skip("the shipped weights in models/ are absent")
    if not landmarker_model_path().is_file():
        pytest.skip("models/face_landmarker.task is absent: run scripts/fetch_landmarker_model.py")
    from app.capture.facevideo import make_face_video

    folder = tmp_path_factory.mktemp("parity")
    (folder / "v.json").write_text(json.dumps(SCRIPT), encoding="utf-8")
    return make_face_video(folder / "v.avi", SCRIPT, size=(320, 240),
                           datasets_dir=str(DATASETS), face_px=120)


def _controller(config):
    return create_controller(config, backend="null", library=synthetic_library())


def test_worker_and_session_agree_frame_by_frame(qtbot, video):
    from app.capture.source import open_source

    # face gestures on the movements the video shows (smile, open mouth), not the defaults
    config = AppConfig(face_gestures=FaceGestureConfig(
        enabled=True, mapping={"smile": "play_pause", "mouth_open": "next"}))
    results, ended = [], []
    worker = PipelineWorker(lambda: open_source(str(video)), app_processor_factory(config),
                            config.smoothing, pace=True, gestures=config.gestures,
                            music=_controller(config), face_gestures=config.face_gestures)
    worker.check.start(GuidedCheck(**CHECK))  # the session starts it with its first frame
    worker.result.connect(results.append)
    worker.ended.connect(ended.append)
    runner = PipelineRunner()
    runner.start(worker)
    qtbot.waitUntil(lambda: bool(ended), timeout=120000)
    assert runner.stop()
    assert len(results) > 20

    session = FrameSession(build_processor(config, mode="video"), config.smoothing,
                           config.gestures, music=_controller(config),
                           face_gestures=config.face_gestures)
    session.check.start(GuidedCheck(**CHECK))
    try:
        again = [session.step(r.frame, dropped=r.dropped) for r in results]
    finally:
        session.close()
    for a, b in zip(results, again, strict=True):
        assert a.primary == b.primary, a.frame.index
        assert (a.state.emotion, a.state.since, a.state.face_present) == \
            (b.state.emotion, b.state.since, b.state.face_present), a.frame.index
        np.testing.assert_array_equal(a.state.probs, b.state.probs)
        assert a.gesture == b.gesture and a.actions == b.actions, a.frame.index
        assert a.check == b.check, a.frame.index  # phase, target, time left, every count
        # face gestures: the same blendshapes in, the same levels and hold progress out
        ma, mb = (r.primary_face.mesh if r.primary_face else None for r in (a, b))
        assert (ma is None) == (mb is None), a.frame.index
        if ma is not None:
            np.testing.assert_array_equal(ma.blendshapes, mb.blendshapes)
        assert a.face_levels == b.face_levels and a.hold == b.hold, a.frame.index
    # the video really exercised every step: a mood switch and a gesture happened
    assert any(x.kind == "switch" for r in results for x in r.actions)
    assert any(r.gesture is not None for r in results)
    assert any(r.gesture is not None and r.gesture.kind == "face" for r in results)
    assert any(r.hold is not None and r.hold.state == "armed" for r in results)
    assert {r.state.emotion for r in results} >= {"happy"}
    # ... and the check ran in the session: it counted frames, paused gestures, finished
    assert any(r.check.status.phase == "recording" for r in results)
    assert all(r.gesture is None for r in results if r.check.running)
    assert results[-1].check.status.phase == "done" and results[-1].check.frames > 0
