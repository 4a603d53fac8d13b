"""The bench loop: every frame accounted for, drops counted like the app's slot, figures
summarised; and the `bench` command end to end on a short video of real faces."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app.bench.benchrun import memory_mb, percentiles, run_stream, seconds_since_launch
from app.records import FaceBox, FaceResult, Frame, FrameResult, Prediction


class ListSource:
    def __init__(self, n: int) -> None:
        self.n, self.i, self.fps, self.description = n, 0, 30.0, "list"

    def read(self):
        if self.i >= self.n:
            return None
        self.i += 1
        return Frame(self.i - 1, time.monotonic(), np.zeros((8, 8, 3), np.uint8))

    def close(self):
        pass


def _process(delay_s: float = 0.0):
    box = FaceBox(1, 1, 4, 4, 0.9)
    pred = Prediction(np.eye(7)[3] * 0.93 + 0.01)

    def process(frame: Frame, dropped: int) -> FrameResult:
        if delay_s:
            time.sleep(delay_s)
        return FrameResult(frame, (FaceResult(box, pred),), 0,
                           {"detect": 1.0, "cnn1": 2.0, "cnn2": 3.0, "total": 6.0}, dropped)
    return process


@pytest.mark.parametrize("frames,warmup", [(30, 5), (12, 1), (3, 5)])
def test_unpaced_run_processes_every_frame_after_warmup(frames, warmup):
    first = []
    stats = run_stream(ListSource(frames), _process(), lambda r: r, seconds=60.0,
                       warmup_frames=warmup, on_first_prediction=lambda: first.append(1))
    assert stats.frames == max(0, frames - warmup)
    assert stats.dropped == 0
    assert first == [1]  # called once, on the first frame with a prediction
    summary = stats.summary()
    assert summary["predictions"] == stats.frames
    if stats.frames:
        assert summary["cnn1_plus_cnn2_ms"]["p50"] == pytest.approx(5.0)
        assert summary["emotions"] == {"happy": stats.frames}


def test_paced_run_drops_frames_the_pipeline_cannot_take():
    stats = run_stream(ListSource(200), _process(delay_s=0.02), lambda r: r, seconds=60.0,
                       pace_fps=500.0, warmup_frames=1)
    assert stats.dropped > 0
    assert stats.frames + stats.dropped <= 199


def test_stops_after_the_measured_seconds():
    class Endless(ListSource):
        def read(self):
            self.n += 1
            return super().read()

    stats = run_stream(Endless(1), _process(), lambda r: r, seconds=0.2, warmup_frames=1)
    assert stats.frames > 0 and stats.wall_s >= 0.2


@pytest.mark.parametrize("values,p50,p95", [
    ([], 0.0, 0.0), ([4.0], 4.0, 4.0), (list(range(1, 101)), 50.5, 95.05),
])
def test_percentiles(values, p50, p95):
    out = percentiles([float(v) for v in values])
    assert out["p50"] == pytest.approx(p50) and out["p95"] == pytest.approx(p95)


def test_process_figures_from_proc():
    mem = memory_mb()
    assert mem["rss_mb"] > 10 and mem["peak_rss_mb"] >= mem["rss_mb"]
    assert 0 < seconds_since_launch() < 24 * 3600


def test_bench_levels_mirror_the_optimizer():
    from app.commands import bench
    from app.model import optimize

    assert bench.LEVELS == tuple(optimize.LEVELS) and bench.DEFAULT_LEVEL == optimize.DEFAULT_LEVEL


@pytest.fixture(scope="module")
def face_video(face_bank, tmp_path_factory):
    from app.capture.facevideo import make_face_video

    path = tmp_path_factory.mktemp("video") / "faces.avi"
    return make_face_video(path, {"fps": 30, "segments": [
        {"start_s": 0, "end_s": 1, "emotion": "happy"}]})


@pytest.mark.parametrize("extra", [["--detect-every", "2"], ["--overlap", "--fps", "30"]])
def test_bench_command_reports_the_figures(face_video, tiny_checkpoints, capsys, extra):
    from app.__main__ import main

    code = main(["bench", "--video", str(face_video), "--cnn1", str(tiny_checkpoints["cnn1"]),
                 "--cnn2", str(tiny_checkpoints["cnn2"]), "--seconds", "0.5", "--warmup", "2",
                 "--threads", "1", "--json", *extra])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] > 0 and report["frames_with_face"] == report["frames"]
    assert report["predictions"] == report["frames"]
    for stage in ("decode", "detect", "crop", "cnn1", "cnn2", "fusion", "smooth", "total"):
        assert report["stages_ms"][stage]["p95"] >= report["stages_ms"][stage]["p50"] >= 0
    assert report["members"] == {"cnn1": 48, "cnn2": 48}
    assert report["device"] == "cpu" and report["optimize"] == "static"
    assert report["backend"] == "onnx"  # the app's runtime; no int8 graphs beside these
    assert all("float graph" in n and n.endswith("slower: no int8 graph runs")
               for n in report["optimize_notes"])
    if "--detect-every" in extra:
        assert report["detector_runs"]["tracked"] > 0
    else:
        assert report["overlap"] is True and report["feed"] == "paced at 30 fps"
        assert report["detect_every"] == 2 and report["flip"] is True  # the app's defaults
    assert report["launch_to_first_prediction_s"] > 0 and report["peak_rss_mb"] > 0


def test_bench_torch_backend_runs_the_checkpoints(face_video, tiny_checkpoints, capsys):
    from app.__main__ import main

    code = main(["bench", "--video", str(face_video), "--cnn1", str(tiny_checkpoints["cnn1"]),
                 "--cnn2", str(tiny_checkpoints["cnn2"]), "--seconds", "0.3", "--warmup", "1",
                 "--threads", "1", "--json", "--backend", "torch"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["backend"] == "torch" and report["predictions"] > 0
    assert all("using level full" in n for n in report["optimize_notes"])  # no int8 files


@pytest.mark.parametrize("extra,message", [
    (["--seconds", "0"], "--seconds must be > 0"),
    (["--detect-every", "0"], "--detect-every must be >= 1"),
    (["--cnn1", "/nonexistent/a.pt", "--cnn2", "/nonexistent/b.pt"],
     "/nonexistent/a.pt: the CNN1 checkpoint set in the settings or on the command line does "
     "not exist"),
])
def test_bench_command_refuses_bad_input(extra, message, capsys, tmp_path):
    from app.__main__ import main

    video = tmp_path / "missing.avi"
    assert main(["bench", "--video", str(video), *extra]) == 2
    assert message in capsys.readouterr().err
