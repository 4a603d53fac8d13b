"""UI test fixtures: a short video of real faces (skipped without ../shared/datasets) and
the app's settings pointing at tiny random checkpoints (fast; predictions are not meant
to be right, only to flow through)."""

from __future__ import annotations

import dataclasses

import pytest

from app.config import AppConfig


@pytest.fixture(scope="session")
def face_video(tmp_path_factory, face_bank):
    """A 7 s AVI of real faces, one expression a second in label order, at 30 fps."""
    from app.capture.facevideo import all_expressions_script, make_face_video

    path = tmp_path_factory.mktemp("video") / "faces.avi"
    return make_face_video(path, all_expressions_script(1.0))


@pytest.fixture
def tiny_config(tiny_checkpoints) -> AppConfig:
    cfg = AppConfig()
    return dataclasses.replace(
        cfg, model=dataclasses.replace(cfg.model, cnn1=str(tiny_checkpoints["cnn1"]),
                                       cnn2=str(tiny_checkpoints["cnn2"]), threads=1),
        music=dataclasses.replace(cfg.music, enabled=False))
