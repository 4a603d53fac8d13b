"""The pipeline worker on its QThread: results, errors, failures, pinning and shutdown."""

from __future__ import annotations

import pytest
from uihelp import ListSource, ScriptedProcessor

from app.capture.source import SourceError, VideoFileSource
from app.pipeline.worker import PipelineRunner, PipelineWorker, app_processor_factory


def start(qtbot, source, processor, pace=False, runner=None):
    """Run a worker; collect what it emits into lists."""
    seen = {"results": [], "errors": [], "failed": [], "ended": [], "notice": []}
    worker = PipelineWorker(lambda: source, lambda: (processor, None), pace=pace)
    worker.result.connect(seen["results"].append)
    worker.error.connect(seen["errors"].append)
    worker.failed.connect(lambda kind, msg: seen["failed"].append((kind, msg)))
    worker.ended.connect(seen["ended"].append)
    worker.notice.connect(seen["notice"].append)
    runner = runner or PipelineRunner()
    with qtbot.waitSignal(worker.source_opened, timeout=5000):
        runner.start(worker)
    return runner, worker, seen


def test_every_frame_is_processed_or_counted_as_dropped(qtbot):
    source = ListSource(n=40)
    processor = ScriptedProcessor(lambda f: "happy")
    runner, worker, seen = start(qtbot, source, processor)
    qtbot.waitUntil(lambda: bool(seen["ended"]), timeout=10000)
    results = seen["results"]
    assert results, "the worker emitted no results"
    assert len(results) + results[-1].dropped == 40
    indices = [r.frame.index for r in results]
    assert indices == sorted(indices) and indices[-1] == 39  # the newest frame always wins
    assert all(r.state is not None and r.state.face_present for r in results)
    assert runner.stop()
    assert source.closed and processor.closed


def test_a_bad_frame_is_reported_and_the_loop_goes_on(qtbot):
    def script(f):
        return ValueError("bad pixels") if f.index % 2 else "sad"

    runner, _, seen = start(qtbot, ListSource(n=60, fps=200.0), ScriptedProcessor(script),
                            pace=True)
    qtbot.waitUntil(lambda: bool(seen["ended"]), timeout=10000)
    assert any("bad pixels" in e and e.startswith("frame ") for e in seen["errors"])
    assert seen["results"] and all(r.frame.index % 2 == 0 for r in seen["results"])
    runner.stop()


@pytest.mark.parametrize(("where", "kind", "text"), [
    ("source", "source", "camera 0 could not be opened"),
    ("processor", "pipeline", "could not start"),
])
def test_start_up_failures_are_reported(qtbot, where, kind, text):
    source = ListSource()

    def open_source():
        if where == "source":
            raise SourceError("camera 0 could not be opened: no camera is connected")
        return source

    def build():
        raise RuntimeError("model file damaged")

    worker = PipelineWorker(open_source, build if where == "processor" else
                            (lambda: (ScriptedProcessor(lambda f: None), None)))
    failed = []
    worker.failed.connect(lambda k, m: failed.append((k, m)))
    runner = PipelineRunner()
    with qtbot.waitSignal(worker.finished, timeout=5000):
        runner.start(worker)
    assert failed and failed[0][0] == kind and text in failed[0][1]
    if where == "processor":
        assert source.closed  # the opened camera is released again
    runner.stop()


def test_stop_ends_an_endless_source_and_releases_everything(qtbot):
    source = ListSource(loop=True)
    processor = ScriptedProcessor(lambda f: "neutral")
    runner, worker, seen = start(qtbot, source, processor, pace=True)
    qtbot.waitUntil(lambda: len(seen["results"]) >= 3, timeout=5000)
    assert runner.stop(wait=True, timeout_ms=5000)
    assert source.closed and processor.closed
    assert not runner.running
    qtbot.wait(50)  # deliver anything still queued
    assert not seen["ended"], "a stop by the user is not the source ending"


def test_pinning_picks_the_smaller_face_and_drives_smoothing(qtbot):
    processor = ScriptedProcessor(lambda f: ["happy", "surprise"])
    runner, worker, seen = start(qtbot, ListSource(loop=True), processor, pace=True)
    qtbot.waitUntil(lambda: len(seen["results"]) >= 2, timeout=5000)
    assert seen["results"][-1].primary == 0  # largest
    worker.set_pin((115.0, 35.0))  # centre of the small face
    n = len(seen["results"])
    qtbot.waitUntil(lambda: len(seen["results"]) >= n + 40, timeout=10000)
    last = seen["results"][-1]
    assert last.primary == 1 and last.primary_face.prediction.emotion == "surprise"
    assert last.state.emotion == "surprise"
    runner.stop()


def test_real_faces_flow_through_the_real_pipeline(qtbot, face_video, tiny_config):
    """A fake camera playing a video of real faces, MediaPipe and (tiny) CNN_1 + CNN_2."""
    source = VideoFileSource(face_video)
    worker = PipelineWorker(lambda: source, app_processor_factory(tiny_config), pace=True)
    results, notices = [], []
    worker.result.connect(results.append)
    worker.notice.connect(notices.append)
    runner = PipelineRunner()
    runner.start(worker)
    qtbot.waitUntil(lambda: len(results) >= 15, timeout=60000)
    runner.stop()
    with_face = [r for r in results if r.primary_face is not None]
    assert len(with_face) >= 0.8 * len(results), "faces in the video were not found"
    pred = with_face[-1].primary_face.prediction
    assert pred is not None and set(pred.members) == {"cnn1", "cnn2"}
    assert {"detect", "cnn1", "cnn2", "total"} <= set(results[-1].timings_ms)
    assert not notices  # weights were found


def test_the_window_check_counts_in_the_worker_session_and_not_after_stop(qtbot):
    """The check the window hands over steps in the worker's session; once the worker is
    stopped, its session no longer holds the window's check (a restart's old worker must
    not count a last frame into the new one's)."""
    from app.pipeline.check import GuidedCheck, SessionCheck

    shared = SessionCheck()
    shared.start(GuidedCheck(1.0, 0.0, order=("happy",)))
    source = ListSource(n=1000, fps=30.0, loop=True)
    seen = []
    worker = PipelineWorker(lambda: source, lambda: (ScriptedProcessor(lambda f: "happy"),
                                                     None), pace=True)
    worker.check = shared
    worker.result.connect(seen.append)
    runner = PipelineRunner()
    runner.start(worker)
    qtbot.waitUntil(lambda: len(seen) >= 5, timeout=10000)
    counted = seen[-1].check
    assert counted.running and counted.frames >= 4 and counted.order == ("happy",)
    assert worker.session.check is shared
    assert runner.stop()
    assert worker.session.check is not shared and worker.check is not shared
