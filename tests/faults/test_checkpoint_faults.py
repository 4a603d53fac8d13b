"""Issue #17, problems 3 and 4: a mistyped or wrong-architecture checkpoint is an error
naming the file (never a quiet CNN_2-alone fusion); `train --run typo --resume` refuses."""

from __future__ import annotations

import dataclasses

import pytest

from app.__main__ import main
from app.config import AppConfig
from app.model.checkpoint import CheckpointError
from app.pipeline.engine import build_predictor

pytestmark = pytest.mark.faults


def _config(**model) -> AppConfig:
    base = AppConfig()
    return dataclasses.replace(base, model=dataclasses.replace(base.model, threads=1,
                                                               optimize="none", **model))


def test_a_mistyped_cnn1_path_is_an_error_naming_it(tmp_path, tiny_checkpoints):
    typo = tmp_path / "cnn1-typo.pt"
    with pytest.raises(CheckpointError, match="cnn1-typo.pt.*does not exist"):
        build_predictor(_config(cnn1=str(typo), cnn2=str(tiny_checkpoints["cnn2"])))


def test_a_cnn2_file_given_as_cnn1_is_refused(tiny_checkpoints):
    with pytest.raises(CheckpointError, match="architecture 'cnn2', expected 'cnn1'"):
        build_predictor(_config(cnn1=str(tiny_checkpoints["cnn2"]),
                                cnn2=str(tiny_checkpoints["cnn2"])))


def test_an_empty_member_list_says_so_not_no_weights(tiny_checkpoints):
    with pytest.raises(ValueError, match="model.members is empty"):
        build_predictor(_config(members=()))


def test_predict_cli_with_a_mistyped_path_exits_3_naming_it(tmp_path, capsys):
    import cv2
    import numpy as np

    image = tmp_path / "x.png"
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    code = main(["predict", "--aligned", "--cnn1", str(tmp_path / "nope.pt"), str(image)])
    assert code == 3 and "nope.pt" in capsys.readouterr().err  # Kind.MISSING


def test_train_resume_of_an_unknown_run_refuses(tmp_path, monkeypatch, capsys):
    import app.commands.train as train

    (tmp_path / "real-run").mkdir()
    (tmp_path / "real-run" / "last.pt").write_bytes(b"x")
    monkeypatch.setattr(train, "runs_dir", lambda: tmp_path)
    assert main(["train", "--run", "reel-run", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "no run to continue" in err and "reel-run" in err and "real-run" in err
    assert not (tmp_path / "reel-run").exists()  # nothing was started under the typo
