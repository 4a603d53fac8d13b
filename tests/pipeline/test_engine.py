import dataclasses

import numpy as np
import pytest

from app.config import AppConfig
from app.model.predictor import Predictor
from app.pipeline.engine import FrameProcessor, NoWeightsError, build_processor
from app.pipeline.session import FrameSession
from app.records import Frame
from app.vision.crop import FaceCropper
from app.vision.detector import MediaPipeFaceDetector
from tests.conftest import background, paste


def _config(**model):
    base = AppConfig()
    return dataclasses.replace(base, model=dataclasses.replace(base.model, **model))


def test_frame_with_two_faces(face_bank, tiny_checkpoints):
    predictor = Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1)
    processor = FrameProcessor(MediaPipeFaceDetector(mode="video"), FaceCropper(48), predictor)
    image = background()
    paste(image, face_bank["happy"][0], 40, 140, 150)
    paste(image, face_bank["sad"][0], 360, 100, 230)
    session = FrameSession(processor)
    try:
        result = session.step(Frame(0, 1.0, image), dropped=3)
    finally:
        session.close()
    assert len(result.faces) == 2
    assert all(f.prediction is not None for f in result.faces)
    assert result.primary_face.box.x > 300  # the session makes the larger face primary
    assert result.dropped == 3 and result.device == "cpu"
    assert {"detect", "crop", "cnn1", "cnn2", "fusion", "total"} <= set(result.timings_ms)


def test_no_face_gives_no_primary(tiny_checkpoints):
    predictor = Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1)
    processor = FrameProcessor(MediaPipeFaceDetector(), FaceCropper(48), predictor)
    try:
        result = processor.process(Frame(0, 0.0, background()))
    finally:
        processor.close()
    assert result.faces == () and result.primary is None


def test_build_processor_uses_configured_weights(tiny_checkpoints):
    processor = build_processor(_config(cnn1=str(tiny_checkpoints["cnn1"]),
                                        cnn2=str(tiny_checkpoints["cnn2"])))
    try:
        assert processor.predictor.names == ["cnn1", "cnn2"]
        assert processor.cropper.size == 48
    finally:
        processor.close()


def test_no_weights_is_an_error_unless_allowed(tmp_path, face_bank, monkeypatch):
    import app.pipeline.engine as engine

    monkeypatch.setattr(engine, "default_weights",
                        lambda: {"cnn1": tmp_path / "a.pt", "cnn2": tmp_path / "b.pt"})
    config = _config()
    with pytest.raises(NoWeightsError, match="no trained weights"):
        build_processor(config)
    processor = build_processor(config, require_weights=False)
    image = background()
    paste(image, face_bank["happy"][0], 200, 140, 200)
    try:
        result = processor.process(Frame(0, 0.0, image))
    finally:
        processor.close()
    assert len(result.faces) == 1 and result.faces[0].prediction is None
    assert np.isfinite(result.timings_ms["total"])


def test_defaults_track_between_detections_in_video_only(tiny_checkpoints):
    from app.vision.tracking import TrackingDetector

    weights = {"cnn1": str(tiny_checkpoints["cnn1"]), "cnn2": str(tiny_checkpoints["cnn2"])}
    video = build_processor(_config(**weights), mode="video")
    stills = build_processor(_config(**weights), mode="image")
    every_frame = build_processor(_config(detect_every=1, **weights), mode="video")
    try:
        assert isinstance(video.detector, TrackingDetector) and video.detector.every == 2
        assert not isinstance(stills.detector, TrackingDetector)  # unrelated images
        assert not isinstance(every_frame.detector, TrackingDetector)
    finally:
        for p in (video, stills, every_frame):
            p.close()


def test_static_level_falls_back_and_the_worker_names_stale_int8_files(tiny_checkpoints,
                                                                        tmp_path):
    import shutil

    from app.pipeline.worker import app_processor_factory

    weights = {}
    for name in ("cnn1", "cnn2"):
        weights[name] = str(shutil.copy(tiny_checkpoints[name], tmp_path / f"{name}.pt"))
        shutil.copy(tiny_checkpoints[name].with_suffix(".onnx"), tmp_path / f"{name}.onnx")
    config = _config(**weights)
    assert config.model.optimize == "static"
    processor, notice = app_processor_factory(config)()
    try:  # no int8 graphs at all (a checkpoint of your own): float graphs, no notice
        status = processor.predictor.optimize_status
        assert [n.int8_file for n in status] == ["absent", "absent"]
        assert all(n.fell_back and "float graph" in str(n) for n in status)
        assert notice is None
        assert processor.process(Frame(0, 0.0, background())).faces == ()
    finally:
        processor.close()
    (tmp_path / "cnn1.int8.onnx").write_bytes(b"not a model")  # stale/broken: say so
    processor, notice = app_processor_factory(config)()
    processor.close()
    assert notice is not None and "cnn1.int8.onnx" in notice
    assert "export-onnx" in notice and "cnn2.int8" not in notice
    plain, notice = app_processor_factory(_config(optimize="none", **weights))()
    plain.close()
    assert notice is None
    assert [n.int8_file for n in plain.predictor.optimize_status] == ["used", "used"]


def test_torch_backend_still_loads_the_checkpoints(tiny_checkpoints):
    from app.pipeline.engine import build_predictor

    config = _config(cnn1=str(tiny_checkpoints["cnn1"]), cnn2=str(tiny_checkpoints["cnn2"]))
    torch_p = build_predictor(config, backend="torch")
    onnx_p = build_predictor(config)
    assert (torch_p.backend, onnx_p.backend) == ("torch", "onnx")
    assert [m.spec.path for m in torch_p.members] == [str(p) for p in tiny_checkpoints.values()]
    with pytest.raises(ValueError, match="unknown backend"):
        build_predictor(config, backend="tflite")
