"""Protocol runners on tiny generated CK+ / SFEW / FER+ layouts: fold bookkeeping, pooled
predictions, fusion side by side, resumability, and the protocol command's output."""

from __future__ import annotations

import json

import numpy as np
import pytest
from trainhelp import make_ckplus, make_ferplus, make_sfew

from app.__main__ import main
from app.model.checkpoint import build_model, save_checkpoint
from app.train.protocols import run_protocol


@pytest.fixture(scope="module")
def starts(tmp_path_factory):
    base = tmp_path_factory.mktemp("starts")
    return {name: str(save_checkpoint(base / f"{name}.pt", build_model(name, 48), arch=name,
                                      input_size=48)) for name in ("cnn1", "cnn2")}


def test_ckplus_subject_folds_pool_every_image_once(tmp_path, starts):
    root = make_ckplus(tmp_path / "CK+48", subjects=4, per_class=1)
    out = tmp_path / "ck"
    result = run_protocol("ckplus", starts, out, root=root, folds=2, epochs=1)
    assert set(result["models"]) == {"cnn1", "cnn2", "sum", "product"}
    assert result["n"] == 24 and sum(f["n"] for f in result["folds"]) == 24
    subjects = [s for f in result["folds"] for s in f["subjects"]]
    assert sorted(subjects) == ["S100", "S101", "S102", "S103"]  # each subject in one fold
    assert result["per_class"]["neutral"]["support"] == 0
    assert json.loads((out / "protocol.json").read_text())["n"] == 24
    assert result["flip"] is True  # scored as the app scores faces (model.flip)
    cached = out / "fold00" / "cnn1" / "test_probs_flip.npy"
    mtime = cached.stat().st_mtime
    again = run_protocol("ckplus", starts, out, root=root, folds=2, epochs=1)  # resumes
    assert cached.stat().st_mtime == mtime
    assert again["accuracy"] == result["accuracy"]
    plain = run_protocol("ckplus", starts, out, root=root, folds=2, epochs=1, flip=False)
    assert plain["flip"] is False and (out / "fold00" / "cnn1" / "test_probs.npy").is_file()
    # Same fine-tuned fold models (no retraining), scored without the mirror images.
    assert not np.allclose(np.load(cached), np.load(out / "fold00" / "cnn1" / "test_probs.npy"))


def test_sfew_trains_on_train_reports_val(tmp_path, starts):
    result = run_protocol("sfew", starts, tmp_path / "sf", root=make_sfew(tmp_path / "sfew2"),
                          epochs=1)
    assert result["n"] == 14 and result["data"] == "sfew-Val"
    assert 0.0 <= result["models"]["product"]["accuracy"] <= 1.0


def test_members_fine_tune_at_their_own_input_sizes(tmp_path, starts):
    """CNN_1 shipped at 64 and CNN_2 at 48: each fold model keeps its member's size."""
    from app.model.checkpoint import read_checkpoint

    mixed = dict(starts, cnn1=str(save_checkpoint(tmp_path / "cnn1-64.pt", build_model(
        "cnn1", 64), arch="cnn1", input_size=64)))
    result = run_protocol("sfew", mixed, tmp_path / "sf", root=make_sfew(tmp_path / "sfew2"),
                          epochs=1)
    sizes = {n: read_checkpoint(tmp_path / "sf" / n / "last.pt")["input_size"] for n in mixed}
    assert sizes == {"cnn1": 64, "cnn2": 48}
    assert "cnn1 64x64, cnn2 48x48" in result["protocol"]
    forced = run_protocol("sfew", mixed, tmp_path / "sf48", root=tmp_path / "sfew2",
                          epochs=1, size=48)
    assert read_checkpoint(tmp_path / "sf48" / "cnn1" / "last.pt")["input_size"] == 48
    assert "at 48x48" in forced["protocol"]


def test_protocol_command_writes_json_and_pngs(tmp_path, starts, capsys):
    root = make_ferplus(tmp_path / "ferplus")
    out = tmp_path / "fp"
    assert main(["protocol", "ferplus", "--root", str(root), "--out", str(out),
                 "--cnn1", starts["cnn1"], "--cnn2", starts["cnn2"]]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["n"] == 4 and set(printed["models"]) == {"cnn1", "cnn2", "sum", "product"}
    assert (out / "confusion-product.png").is_file()
    saved = json.loads((out / "protocol.json").read_text())
    np.testing.assert_allclose(saved["accuracy"], printed["accuracy"])


def test_protocol_command_passes_the_recipe_options(tmp_path, starts, capsys):
    out = tmp_path / "sf"
    assert main(["protocol", "sfew", "--root", str(make_sfew(tmp_path / "sfew2")), "--out",
                 str(out), "--cnn1", starts["cnn1"], "--cnn2", starts["cnn2"], "--epochs", "1",
                 "--lr", "0.002", "--augment", "strong", "--members", "cnn2"]) == 0
    config = json.loads((out / "cnn2" / "config.json").read_text())
    assert (config["lr"], config["augment"], config["epochs"]) == (0.002, "strong", 1)
    saved = json.loads((out / "protocol.json").read_text())
    assert saved["recipe_overrides"] == {"lr": 0.002, "augment": "strong"}
    assert set(saved["models"]) == {"cnn2"}


def test_protocol_command_missing_weights(tmp_path, capsys):
    assert main(["protocol", "ferplus", "--out", str(tmp_path),
                 "--cnn1", str(tmp_path / "no.pt"), "--cnn2", str(tmp_path / "no2.pt")]) == 2
    assert "start weights missing" in capsys.readouterr().err
