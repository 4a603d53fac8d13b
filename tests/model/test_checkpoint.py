import numpy as np
import pytest
import torch

from app.labels import EMOTIONS
from app.model.checkpoint import (
    CheckpointError,
    build_model,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)


def _saved(tmp_path, arch="cnn1", size=48, half=False, **kw):
    torch.manual_seed(1)
    model = build_model(arch, size).eval()
    path = save_checkpoint(tmp_path / f"{arch}.pt", model, arch=arch, input_size=size,
                           config={"epochs": 3}, metrics={"accuracy": 0.5}, half=half, **kw)
    return model, path


@pytest.mark.parametrize("arch", ["cnn1", "cnn2"])
def test_round_trip_rebuilds_the_same_model(tmp_path, arch):
    model, path = _saved(tmp_path, arch)
    loaded = load_checkpoint(path)
    assert loaded.spec.arch == arch and loaded.spec.input_size == 48
    assert loaded.spec.labels == EMOTIONS
    assert loaded.spec.config == {"epochs": 3} and loaded.spec.metrics == {"accuracy": 0.5}
    x = torch.randn(3, 3, 48, 48)
    with torch.inference_mode():
        torch.testing.assert_close(loaded.module(x), model(x))


def test_half_precision_storage_is_smaller_and_close(tmp_path):
    model, full = _saved(tmp_path / "a", "cnn2")
    _, half = _saved(tmp_path / "b", "cnn2", half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded = load_checkpoint(half)
    assert next(loaded.module.parameters()).dtype == torch.float32
    x = torch.randn(4, 3, 48, 48)
    with torch.inference_mode():
        a = torch.softmax(model(x), 1).numpy()
        b = torch.softmax(loaded.module(x), 1).numpy()
    assert np.abs(a - b).max() < 1e-2


def _rewrite(path, **changes):
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    torch.save(payload, path)


@pytest.mark.parametrize(("change", "message"), [
    ({"labels": list(reversed(EMOTIONS))}, "labels"),
    ({"arch": "vgg"}, "unknown architecture"),
    ({"input_size": 64}, "shape"),
    ({"format": "other"}, "not an Emotune checkpoint"),
    ({"version": 99}, "newer"),
])
def test_mismatched_checkpoints_are_refused_with_the_file_named(tmp_path, change, message):
    _, path = _saved(tmp_path)
    _rewrite(path, **change)
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)


def test_missing_weight_is_named(tmp_path):
    _, path = _saved(tmp_path)
    payload = torch.load(path, weights_only=True)
    del payload["state_dict"]["classifier.1.weight"]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="classifier.1.weight"):
        load_checkpoint(path)


def test_missing_field_is_named(tmp_path):
    _, path = _saved(tmp_path)
    payload = torch.load(path, weights_only=True)
    del payload["input_size"]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="missing fields: input_size"):
        read_checkpoint(path)


def test_expected_architecture_is_checked(tmp_path):
    _, path = _saved(tmp_path, "cnn1")
    with pytest.raises(CheckpointError, match="expected 'cnn2'"):
        load_checkpoint(path, expect_arch="cnn2")


@pytest.mark.parametrize("keep", [0, 100, 0.5])
def test_truncated_file_is_refused(tmp_path, keep):
    _, path = _saved(tmp_path)
    data = path.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep
    path.write_bytes(data[:n])
    with pytest.raises(CheckpointError, match="truncated") as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.pt")


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    _saved(tmp_path)
    _saved(tmp_path)  # overwrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn1.pt"]
