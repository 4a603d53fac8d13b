import dataclasses

import numpy as np
import pytest

from app.config import AppConfig
from app.model.predictor import Predictor
from app.pipeline.engine import FrameProcessor, NoWeightsError, build_processor
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
    try:
        result = processor.process(Frame(0, 1.0, image), dropped=3)
    finally:
        processor.close()
    assert len(result.faces) == 2
    assert all(f.prediction is not None for f in result.faces)
    assert result.primary_face.box.x > 300  # the larger face is primary
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


def test_no_weights_is_an_error_unless_allowed(tmp_path, face_bank):
    config = _config(cnn1=str(tmp_path / "a.pt"), cnn2=str(tmp_path / "b.pt"))
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
