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


def test_sizes_are_chosen_on_the_other_folds_never_on_their_own():
    """Size 64 is right on folds 0 and 1 and wrong on fold 2; size 48 the reverse. A choice
    that looked at its own fold would score 100 %; chosen on the other folds, fold 2 takes
    64 (best on 0 and 1) and folds 0 and 1 see a tie (one fold each) and take the cheaper
    48: every fold is wrong."""
    from app.train.protocols import choose_sizes_on_other_folds

    fold_of = np.repeat([0, 1, 2], 4)
    labels = np.zeros(12, dtype=int)
    right, wrong = np.eye(7)[0], np.eye(7)[3]
    p64 = np.array([right if f < 2 else wrong for f in fold_of])
    p48 = np.array([wrong if f < 2 else right for f in fold_of])
    pooled = {48: {"cnn1": p48}, 64: {"cnn1": p64}}
    chosen, choices = choose_sizes_on_other_folds(pooled, ["cnn1"], labels, fold_of)
    assert choices == [{"fold": 0, "cnn1": 48}, {"fold": 1, "cnn1": 48},
                       {"fold": 2, "cnn1": 64}]
    assert (chosen["cnn1"].argmax(axis=1) == labels).sum() == 0


def test_two_members_get_the_pair_whose_product_wins_elsewhere():
    """Each member is good at one size only: the product is right only for CNN_1 at 96 with
    CNN_2 at 48, and that pair is chosen for every fold."""
    from app.train.protocols import choose_sizes_on_other_folds

    fold_of = np.repeat([0, 1], 3)
    labels = np.zeros(6, dtype=int)
    good, bad = np.array([0.6, 0.4, 0, 0, 0, 0, 0]), np.array([0.3, 0.7, 0, 0, 0, 0, 0])
    pooled = {48: {"cnn1": np.tile(bad, (6, 1)), "cnn2": np.tile(good, (6, 1))},
              96: {"cnn1": np.tile(good, (6, 1)), "cnn2": np.tile(bad, (6, 1))}}
    _, choices = choose_sizes_on_other_folds(pooled, ["cnn1", "cnn2"], labels, fold_of)
    assert all((c["cnn1"], c["cnn2"]) == (96, 48) for c in choices)


def test_ckplus_table4_grid_caches_each_size_apart(tmp_path, starts, capsys):
    from app.model.checkpoint import read_checkpoint

    root = make_ckplus(tmp_path / "CK+48", subjects=4, per_class=1)
    out = tmp_path / "ck"
    code = main(["protocol", "ckplus", "--cnn1", starts["cnn1"], "--cnn2", starts["cnn2"],
                 "--root", str(root), "--out", str(out), "--folds", "2", "--epochs", "1",
                 "--sizes", "48,64"])
    assert code == 0
    result = json.loads((out / "protocol.json").read_text())
    assert set(result["size_grid"]) == {"48", "64"}
    assert set(result["size_grid"]["64"]) == {"cnn1", "cnn2", "sum", "product"}
    assert [c["fold"] for c in result["size_choices"]] == [0, 1]
    assert all(c[m] in (48, 64) for c in result["size_choices"] for m in ("cnn1", "cnn2"))
    assert read_checkpoint(out / "s64" / "fold01" / "cnn2" / "last.pt")["input_size"] == 64
    assert read_checkpoint(out / "s48" / "fold01" / "cnn2" / "last.pt")["input_size"] == 48
    assert "chosen by the product fusion's accuracy on the other folds" in result["protocol"]
    capsys.readouterr()
    assert main(["protocol", "sfew", "--out", str(tmp_path / "sf"), "--sizes", "48,64"]) == 2
    assert "--sizes is for ckplus only" in capsys.readouterr().err
