"""The issue-16 report's building blocks on two tiny random members (seconds)."""

import numpy as np
import pytest
import torch

from app.model.checkpoint import build_model, load_checkpoint, save_checkpoint
from app.model.tensors import to_tensor
from app.train.zeroshot import (
    SIX,
    fit_product_temperature,
    fit_product_weights,
    fit_temperatures,
    fused_table,
    member_logits,
    robustness,
    tta_costs,
)


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    base = tmp_path_factory.mktemp("m")
    torch.manual_seed(0)
    out = []
    for name, arch, size in (("cnn1", "cnn1", 64), ("cnn2", "cnn2", 48)):
        path = save_checkpoint(base / f"{name}.pt", build_model(arch, size).eval(), arch=arch,
                               input_size=size)
        out.append(load_checkpoint(path, name=name))
    return out


def _faces(n=10):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (48, 48), dtype=np.uint8) for _ in range(n)], \
        rng.integers(0, 7, n)


@pytest.mark.parametrize(("mode", "views"), [("none", 1), ("flip", 2), ("flip+crops", 12)])
def test_member_logits_shapes_and_values(members, mode, views):
    images, _ = _faces()
    z = member_logits(members[1], images, mode, batch=24)
    assert z.shape == (10, views, 7)
    with torch.inference_mode():
        direct = members[1].module(to_tensor(images, 48, members[1].spec.preprocess)).numpy()
    np.testing.assert_allclose(z[:, 0], direct, rtol=1e-4, atol=1e-5)


def test_fused_table_and_restriction(members):
    images, labels = _faces()
    logits = {m.name: member_logits(m, images) for m in members}
    temps = fit_temperatures(members, images, labels)
    assert set(temps) == {"cnn1", "cnn2"} and all(t > 0 for t in temps.values())
    table = fused_table(logits, labels, temps, SIX)
    assert set(table) == {"shipped", "calibrated"}
    assert set(table["shipped"]) == {"cnn1", "cnn2", "product"}
    for row in table["calibrated"].values():
        assert 0 <= row["accuracy"] <= 1 and 0 <= row["ece"] <= 1
    # a single member's accuracy does not move with its temperature
    assert table["shipped"]["cnn1"]["accuracy"] == table["calibrated"]["cnn1"]["accuracy"]


def test_robustness_and_tta_report_every_entry(members):
    images, labels = _faces(6)
    rob = robustness(members, images, labels, {"cnn1": 1.0, "cnn2": 1.0}, kinds=("blur",))
    assert set(rob) == {"clean", "blur"} and "product" in rob["blur"]["shipped"]
    tta = tta_costs(members, images, labels, ("none", "flip"), repeats=1, timing_faces=2)
    assert tta["flip"]["views"] == 2 and tta["none"]["ms_per_face"] > 0


def test_product_temperature_calibrates_the_product_rule():
    rng = np.random.default_rng(0)
    logits = {"a": rng.normal(0, 2, (3000, 2, 7)), "b": rng.normal(0, 2, (3000, 2, 7))}
    from app.model.fusion import fuse
    from app.train.temperature import scaled_probs

    sharp = fuse("product", [scaled_probs(z, 1.0) for z in logits.values()])
    labels = np.array([rng.choice(7, p=row) for row in scaled_probs(np.log(sharp), 3.0)])
    t = fit_product_temperature(logits, labels)
    assert t == pytest.approx(3.0, rel=0.15)
    table = fused_table(logits, labels, {"a": 1.0, "b": 1.0}, product_t=t)
    assert table["product-calibrated"]["product"]["ece"] < table["shipped"]["product"]["ece"]


def test_product_weights_drop_a_member_that_only_adds_noise():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 7, 400)
    good = np.eye(7)[labels] * 4.0 + rng.normal(0, 1.0, (400, 7))
    noise = rng.normal(0, 3.0, (400, 7))
    weights = fit_product_weights({"good": good[:, None], "noise": noise[:, None]}, labels)
    assert weights["good"] == 1.0 and weights["noise"] <= 0.2
    helpful = np.eye(7)[labels] * 4.0 + rng.normal(0, 1.0, (400, 7))  # as good, own errors
    weights = fit_product_weights({"good": good[:, None], "also": helpful[:, None]}, labels)
    assert weights["also"] >= 0.5  # an informative second opinion keeps a real weight
