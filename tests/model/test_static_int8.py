"""Static int8 members: calibrated on some real faces, they must answer like the float
member on other real faces; the file beside a checkpoint is used only when it belongs to
that checkpoint and this torch, else the app falls back to level "full".

Tolerance: probabilities within 0.1 (absolute) of the float member; the same top class on
every face whose float top-2 margin exceeds 0.2. Activations in int8 are coarser than the
dynamic int8 of level "full" (0.03), and FER2013 PrivateTest measures the accuracy change.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.labels import EMOTIONS
from app.model.checkpoint import load_checkpoint, save_checkpoint
from app.model.optimize import optimize_member
from app.model.static_int8 import load_static, quantize_static, save_static, static_path
from tests.model.optimhelp import _assert_agree, _probs, _trained_like

STATIC_TOL = 0.1


@pytest.fixture(scope="module")
def split_faces(face_bank):
    calib = [f for e in EMOTIONS for f in face_bank[e][8:16]]
    test = [f for e in EMOTIONS for f in face_bank[e][:8]]
    return calib, test


@pytest.fixture()
def checkpoint(tmp_path):
    """A trained-like CNN_2 at 48 px saved as a real checkpoint file."""
    member = _trained_like("cnn2", 48, seed=4, peak=20.0)
    path = save_checkpoint(tmp_path / "cnn2.pt", member.module, arch="cnn2", input_size=48)
    return load_checkpoint(path, name="cnn2")


@pytest.mark.parametrize("arch", ["cnn1", "cnn2"])
def test_static_member_agrees_with_float_on_unseen_faces(split_faces, arch):
    calib, test = split_faces
    ref = _trained_like(arch, 48, seed=4, peak=20.0)
    module = quantize_static(ref, calib)
    got = _probs(type(ref)(name=arch, module=module, spec=ref.spec), test)
    _assert_agree(_probs(ref, test), got, STATIC_TOL)


def test_static_file_round_trip_and_fallbacks(split_faces, checkpoint):
    calib, test = split_faces
    notes: list = []
    fallback = optimize_member(checkpoint, "static", notes=notes)
    assert notes[0].int8_file == "absent" and notes[0].fell_back
    assert "no static int8 file" in str(notes[0]) and "using level full" in str(notes[0])
    assert fallback.module is not checkpoint.module

    path = save_static(quantize_static(checkpoint, calib), checkpoint.spec.path, len(calib))
    assert path == static_path(checkpoint.spec.path) and path.name == "cnn2.int8.pt"
    notes.clear()
    used = optimize_member(checkpoint, "static", notes=notes)
    assert [str(n) for n in notes] == [f"cnn2: static int8 from {path}"]
    assert notes[0].int8_file == "used" and not notes[0].fell_back
    _assert_agree(_probs(checkpoint, test), _probs(used, test), STATIC_TOL)


@pytest.mark.parametrize("damage,message", [
    ("retrain", "made from another checkpoint"),
    ("torch", "was made with torch"),
    ("garbage", "cannot be read"),
])
def test_a_stale_or_damaged_static_file_is_ignored(split_faces, checkpoint, damage, message,
                                                   monkeypatch):
    calib, _ = split_faces
    path = save_static(quantize_static(checkpoint, calib[:8]), checkpoint.spec.path, 8)
    if damage == "retrain":  # the checkpoint changed after the int8 file was made
        model = _trained_like("cnn2", 48, seed=9).module
        save_checkpoint(checkpoint.spec.path, model, arch="cnn2", input_size=48)
    elif damage == "torch":
        monkeypatch.setattr(torch, "__version__", "0.0.0")
    else:
        path.write_bytes(b"not a torchscript file")
    module, note = load_static(checkpoint)
    assert module is None and message in note
    notes: list = []
    optimize_member(checkpoint, "static", notes=notes)
    assert notes[0].int8_file == "unusable" and notes[0].fell_back  # the window warns


def test_calibration_needs_faces(checkpoint):
    with pytest.raises(ValueError, match="calibration faces"):
        quantize_static(checkpoint, [])


def test_batches_of_several_faces_work(split_faces, checkpoint):
    calib, test = split_faces
    module = quantize_static(checkpoint, calib)
    member = type(checkpoint)(name="cnn2", module=module, spec=checkpoint.spec)
    batched = _probs(member, test[:4])
    single = np.concatenate([_probs(member, [f]) for f in test[:4]])
    np.testing.assert_allclose(batched, single, atol=1e-5)  # static scales: batch-independent
