"""Optimised members must answer like the reference ones on real faces.

Tolerances (absolute, on softmax probabilities): exact steps (BatchNorm folding, traced and
frozen graphs) 1e-4, float rounding only; int8 dense layers 0.03. The top class must be
the same on every face whose reference top-2 margin exceeds twice the tolerance (closer
calls may legitimately flip), and at least most faces must be such clear calls, so the
check is never vacuous. Models are random but "trained-like": BatchNorm statistics far
from the identity (so folding is really exercised) and logits scaled so the softmax is
peaked. The shipped weights are checked the same way when they are installed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from app.labels import EMOTIONS
from app.model.checkpoint import load_checkpoint
from app.model.optimize import (
    fold_batchnorm,
    optimize_member,
    optimize_module,
    resolve_level,
)
from app.model.predictor import Predictor
from app.paths import default_weights
from tests.model.optimhelp import _assert_agree, _probs, _trained_like

EXACT_TOL = 1e-4
INT8_TOL = 0.03


@pytest.fixture(scope="module")
def faces(face_bank) -> list[np.ndarray]:
    """Up to 8 real faces of each expression (CK+48, SFEW Val neutral)."""
    out = [face for emotion in EMOTIONS for face in face_bank[emotion][:8]]
    assert len(out) >= 30
    return out


@pytest.mark.parametrize("arch,size,level,tol", [
    ("cnn1", 48, "fold", EXACT_TOL),
    ("cnn1", 48, "full", EXACT_TOL),  # no layer of CNN_1 is large enough for int8
    ("cnn2", 48, "fold", EXACT_TOL),
    ("cnn2", 48, "freeze", EXACT_TOL),
    ("cnn2", 48, "int8", INT8_TOL),
    ("cnn2", 48, "full", INT8_TOL),
    ("cnn2", 96, "full", INT8_TOL),
])
def test_optimised_member_agrees_with_reference(faces, arch, size, level, tol):
    ref = _trained_like(arch, size)
    opt = optimize_member(ref, level)
    assert opt.module is not ref.module and opt.spec == ref.spec
    _assert_agree(_probs(ref, faces), _probs(opt, faces), tol)


@pytest.mark.parametrize("name", ["cnn1", "cnn2"])
def test_shipped_weights_agree_when_installed(faces, name):
    path = default_weights()[name]
    if not path.is_file():
        pytest.skip(f"{path} is not installed yet (the shipped weights are being trained)")
    ref = load_checkpoint(path, name=name)
    opt = optimize_member(ref, "full")
    _assert_agree(_probs(ref, faces), _probs(opt, faces), INT8_TOL)


@pytest.mark.parametrize("arch,expected", [("cnn1", 1), ("cnn2", 9)])
def test_fold_removes_the_exactly_foldable_batchnorms(arch, expected):
    model = _trained_like(arch, 48).module
    before = sum(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in model.modules())
    assert fold_batchnorm(model) == expected
    after = sum(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in model.modules())
    assert before - after == expected
    if arch == "cnn1":  # the four BNs between pool and padded conv are kept (not exact)
        assert after == 4


def test_int8_quantises_only_the_large_dense_layer():
    model = _trained_like("cnn2", 48).module
    _, report = optimize_module(model, ("fold", "int8"), 48)
    assert report == {"folded_batchnorms": 9, "int8_layers": 1}


@pytest.mark.parametrize("arch,fold,expected", [
    ("cnn2", False, 4),  # every dense layer when nothing was folded into them
    ("cnn2", True, 1),  # three of them received a BatchNorm: their columns are rescaled
    ("cnn1", True, 2),  # the first dense layer received CNN_1's last BatchNorm
])
def test_int8_skips_layers_that_received_a_forward_fold(arch, fold, expected):
    from app.model.optimize import quantize_dense

    model = _trained_like(arch, 48).module
    if fold:
        fold_batchnorm(model)
    _, count = quantize_dense(model, min_weights=0)
    assert count == expected


def test_original_module_is_left_untouched(faces):
    ref = _trained_like("cnn2", 48)
    before = {k: v.clone() for k, v in ref.module.state_dict().items()}
    optimize_member(ref, "full")
    for key, value in ref.module.state_dict().items():
        assert torch.equal(value, before[key]), key


# Dynamic int8 picks the activations' scale per batch, so batching moves answers slightly.
@pytest.mark.parametrize("level,tol", [("freeze", 1e-5), ("full", 1e-3)])
def test_frozen_graph_accepts_any_batch_size(faces, level, tol):
    opt = optimize_member(_trained_like("cnn2", 48), level)
    batched = _probs(opt, faces[:5])
    single = np.concatenate([_probs(opt, [f]) for f in faces[:5]])
    np.testing.assert_allclose(batched, single, atol=tol)


@pytest.mark.parametrize("level,steps", [
    ("none", ()), (False, ()), (None, ()), (True, ("static",)), ("int8", ("fold", "int8")),
    ("full", ("fold", "int8", "freeze")),
])
def test_levels_resolve(level, steps):
    assert resolve_level(level) == steps


@pytest.mark.parametrize("level", ["fast", "", "INT8"])
def test_unknown_level_is_refused(level):
    with pytest.raises(ValueError, match="unknown optimisation level"):
        resolve_level(level)


def test_off_the_cpu_the_member_is_returned_unchanged():
    ref = _trained_like("cnn1", 48)
    assert optimize_member(ref, "full", device="cuda") is ref
    assert optimize_member(ref, "none") is ref


def test_predictor_optimize_flag_keeps_fused_answers(faces):
    members = [_trained_like("cnn1", 48, seed=1), _trained_like("cnn2", 48, seed=2)]
    ref = Predictor(members, device="cpu", threads=1).predict(faces)
    opt_predictor = Predictor(members, device="cpu", threads=1, optimize="full")
    assert opt_predictor.optimize == "full"
    got = opt_predictor.predict(faces)
    ref_p = np.stack([p.probs for p in ref])
    got_p = np.stack([p.probs for p in got])
    _assert_agree(ref_p, got_p, INT8_TOL)
