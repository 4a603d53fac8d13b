"""Training loop: train -> checkpoint -> resume -> evaluate round trip, budgets, progressive
resizing and fine-tuning with frozen layers, on tiny generated sets (seconds)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from trainhelp import make_class_folders

from app.__main__ import main
from app.labels import EMOTIONS
from app.model.checkpoint import build_model, load_checkpoint, read_checkpoint, save_checkpoint
from app.train.config import TrainConfig
from app.train.datasets import read_folder
from app.train.loop import train_model
from app.train.optim import lr_at
from app.train.resize import conv_channels, resize_model


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    base = tmp_path_factory.mktemp("sets")
    return (make_class_folders(base / "train", per_class=4),
            make_class_folders(base / "val", per_class=2))


def _rows(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_cli_train_resume_evaluate_round_trip(tmp_path, sets, capsys):
    train_root, val_root = sets
    run = tmp_path / "run"
    common = ["train", "--run-dir", str(run), "--quiet"]
    assert main(common + ["--data", "folder", "--root", str(train_root), "--val-root",
                          str(val_root), "--arch", "cnn1", "--epochs", "2",
                          "--batch-size", "8", "--balance", "sqrt-sampler"]) == 0
    assert [r["epoch"] for r in _rows(run)] == ["1", "2"]
    saved = json.loads((run / "config.json").read_text())
    assert saved["arch"] == "cnn1" and saved["batch_size"] == 8
    assert read_checkpoint(run / "last.pt")["train_state"]["epoch"] == 1

    assert main(common + ["--resume", "--epochs", "3"]) == 0  # saved config + more epochs
    assert [r["epoch"] for r in _rows(run)] == ["1", "2", "3"]
    assert json.loads((run / "config.json").read_text())["batch_size"] == 8
    best = load_checkpoint(run / "best.pt")
    assert best.spec.input_size == 48 and best.spec.preprocess["color"] == "gray"

    cnn2 = save_checkpoint(tmp_path / "cnn2.pt", build_model("cnn2", 48), arch="cnn2",
                           input_size=48)
    out = tmp_path / "eval" / "out.json"
    capsys.readouterr()
    # a run's checkpoint, not yet exported to ONNX: the training tools' backend reads it
    assert main(["evaluate", "--data", str(val_root), "--aligned", "--json", str(out),
                 "--cnn1", str(run / "best.pt"), "--cnn2", str(cnn2), "--threads", "1",
                 "--backend", "torch"]) == 0
    printed = json.loads(capsys.readouterr().out)
    result = json.loads(out.read_text())
    assert printed == result
    for key in ("n", "accuracy", "macro_f1", "uar", "per_class", "confusion", "models"):
        assert key in result
    assert set(result["models"]) == {"cnn1", "cnn2", "sum", "product"}
    assert result["n"] == 14 and result["headline"] == "product"
    assert all(0.0 <= m["accuracy"] <= 1.0 for m in result["models"].values())
    assert set(result["per_class"]) == set(EMOTIONS)
    for name in ("cnn1", "cnn2", "sum", "product"):
        assert (out.parent / f"out-{name}.png").is_file()
    assert result["flip"] is True  # scored as the app scores faces (model.flip)
    assert result["backend"] == "torch"
    assert main(["evaluate", "--data", str(val_root), "--aligned", "--no-flip",
                 "--cnn1", str(run / "best.pt"), "--cnn2", str(cnn2), "--threads", "1",
                 "--backend", "torch"]) == 0
    assert json.loads(capsys.readouterr().out)["flip"] is False
    # exported, the same checkpoints evaluate on the app's runtime (the default) with the
    # float graphs and give the torch backend's figures
    from app.train.onnx_export import export_float

    for ckpt in (run / "best.pt", cnn2):
        export_float(ckpt, ckpt.with_suffix(".onnx"))
    assert main(["evaluate", "--data", str(val_root), "--aligned", "--optimize", "none",
                 "--cnn1", str(run / "best.pt"), "--cnn2", str(cnn2), "--threads", "1"]) == 0
    onnx_result = json.loads(capsys.readouterr().out)
    assert onnx_result["backend"] == "onnx"
    assert onnx_result["weights"]["cnn1"].endswith("best.onnx")
    assert {m: e["accuracy"] for m, e in onnx_result["models"].items()} == \
        {m: e["accuracy"] for m, e in result["models"].items()}


def test_evaluate_without_weights_says_what_to_do(tmp_path, sets, capsys, monkeypatch):
    monkeypatch.setattr("app.paths.models_dir", lambda: tmp_path / "none")
    assert main(["evaluate", "--data", str(sets[1]), "--aligned"]) == 2
    assert "train them" in capsys.readouterr().err


def test_resume_matches_an_uninterrupted_run(tmp_path, sets):
    faces = read_folder(sets[0])
    cfg = TrainConfig(arch="cnn1", epochs=2, batch_size=8, augment="mixed", seed=3)
    train_model(cfg, faces, None, tmp_path / "straight", quiet=True)
    one = TrainConfig(**{**cfg.__dict__, "max_minutes": 0.0})
    train_model(TrainConfig(**{**one.__dict__, "epochs": 2, "max_minutes": 1e-9}), faces,
                None, tmp_path / "stopped", quiet=True)  # stops before any step
    assert not (tmp_path / "stopped" / "last.pt").exists()
    # run epoch 1, "crash", then resume for epoch 2 with the same plan
    import app.train.loop as loop

    real = loop.sample_epoch
    calls = []

    def once(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies at the start of epoch 2
        return real(*a, **k)

    loop.sample_epoch = once
    try:
        with pytest.raises(KeyboardInterrupt):
            train_model(cfg, faces, None, tmp_path / "resumed", quiet=True)
    finally:
        loop.sample_epoch = real
    assert len(_rows(tmp_path / "resumed")) == 1  # epoch 1 kept
    train_model(cfg, faces, None, tmp_path / "resumed", resume=True, quiet=True)
    a = load_checkpoint(tmp_path / "straight" / "last.pt").module.state_dict()
    b = load_checkpoint(tmp_path / "resumed" / "last.pt").module.state_dict()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)


def test_progressive_resizing_carries_conv_weights(tmp_path, sets):
    faces = read_folder(sets[0])
    cfg = TrainConfig(arch="cnn2", sizes=(48, 64), size_epochs=(1,), epochs=2, batch_size=14,
                      augment="none")
    train_model(cfg, faces, None, tmp_path / "prog", quiet=True)
    assert [r["input_size"] for r in _rows(tmp_path / "prog")] == ["48", "64"]
    assert load_checkpoint(tmp_path / "prog" / "last.pt").spec.input_size == 64


@pytest.mark.parametrize("arch, old, new", [("cnn1", 48, 96), ("cnn2", 48, 64),
                                            ("cnn2", 96, 48)])
def test_resize_model_keeps_convs_and_smooth_dense_response(arch, old, new):
    model = build_model(arch, old).eval()
    resized = resize_model(model, arch, new).eval()
    for (k, a), (_, b) in zip(model.features.state_dict().items(),
                              resized.features.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, msg=k)
    dense_old, dense_new = model.classifier[1], resized.classifier[1]
    channels = conv_channels(model)
    side_old = int((dense_old.in_features // channels) ** 0.5)
    side_new = int((dense_new.in_features // channels) ** 0.5)
    flat = torch.rand(1, channels, 1, 1)  # a spatially constant feature map
    y_old = dense_old(flat.expand(1, channels, side_old, side_old).reshape(1, -1))
    y_new = dense_new(flat.expand(1, channels, side_new, side_new).reshape(1, -1))
    torch.testing.assert_close(y_old, y_new, rtol=1e-3, atol=1e-4)


def test_finetune_with_frozen_features(tmp_path, sets):
    faces = read_folder(sets[0])
    start = save_checkpoint(tmp_path / "start.pt", build_model("cnn1", 48), arch="cnn1",
                            input_size=48)
    cfg = TrainConfig(arch="cnn1", epochs=1, batch_size=8, init=str(start),
                      freeze=("features",), lr=0.01)
    train_model(cfg, faces, None, tmp_path / "ft", quiet=True)
    before = load_checkpoint(start).module.state_dict()
    after = load_checkpoint(tmp_path / "ft" / "last.pt").module.state_dict()
    for key in before:
        same = torch.equal(before[key], after[key])
        assert same is key.startswith("features"), key  # BN statistics frozen too


def test_freeze_unknown_prefix_lists_layers(tmp_path, sets):
    faces = read_folder(sets[0])
    with pytest.raises(ValueError, match="no parameters match"):
        train_model(TrainConfig(epochs=1, freeze=("backbone",)), faces, None,
                    tmp_path / "x", quiet=True)


def test_time_planned_schedule_anneals_and_stops(tmp_path, sets):
    cfg = TrainConfig(epochs=100, budget_minutes=1.0, lr=1e-3, min_lr=1e-5)
    assert lr_at(cfg, 10_000, 1_000_000, trained_s=60.0) == pytest.approx(1e-5)
    assert lr_at(cfg, 10_000, 1_000_000, trained_s=30.0) == pytest.approx(5.05e-4)
    faces = read_folder(sets[0])
    tiny = TrainConfig(epochs=50, batch_size=8, budget_minutes=1e-4)
    result = train_model(tiny, faces, None, tmp_path / "b", quiet=True)
    assert result["stopped"] == "schedule-done" and result["epochs_run"] == 1


@pytest.mark.parametrize("field, value", [("arch", "vgg16"), ("loss", "hinge"),
                                          ("balance", "oversample"), ("sizes", (16,)),
                                          ("sizes", (48, 64, 96)), ("epochs", 0)])
def test_config_rejects_bad_values(field, value):
    kwargs = {field: value}
    if field == "sizes" and len(value) == 3:
        kwargs["size_epochs"] = (1, 1, 1, 1)
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("sizes, lengths, epochs, expect", [
    ((48,), (), 3, [48, 48, 48]),
    ((48, 64, 96), (1, 1), 4, [48, 64, 96, 96]),
    ((48, 96), (), 4, [48, 48, 96, 96]),
])
def test_size_schedule(sizes, lengths, epochs, expect):
    cfg = TrainConfig(sizes=sizes, size_epochs=lengths, epochs=epochs)
    assert [cfg.size_for_epoch(e) for e in range(epochs)] == expect


def test_train_command_reports_bad_data(tmp_path, capsys):
    assert main(["train", "--run-dir", str(tmp_path / "r"), "--data", "folder",
                 "--root", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    np.testing.assert_equal((tmp_path / "r").exists(), False)


def test_export_half_is_smaller_and_agrees(tmp_path, sets):
    from app.train.export import compare_precision, export_weights

    src = save_checkpoint(tmp_path / "full.pt", build_model("cnn2", 48), arch="cnn2",
                          input_size=48, metrics={"accuracy": 0.5})
    dst = export_weights(src, tmp_path / "models" / "cnn2.pt", source_note="run x")
    assert dst.stat().st_size < 0.6 * src.stat().st_size
    assert load_checkpoint(dst).spec.metrics["exported_from"] == "run x"
    report = compare_precision(src, dst, read_folder(sets[1]))
    assert report["n"] == 14 and report["max_abs_prob_diff"] < 1e-2
    assert abs(report["accuracy_fp32"] - report["accuracy_fp16"]) <= 1 / 14
