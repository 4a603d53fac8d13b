"""Every training loss: the target losses (cross-entropy, soft, BCE, class weights), the
metric losses (triplet, sparse centre), the penultimate embedding and the residual member."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from trainhelp import make_class_folders

from app.model.checkpoint import build_model, load_checkpoint, read_checkpoint, save_checkpoint
from app.model.embedding import logits_and_embedding
from app.train.config import TrainConfig
from app.train.datasets import read_folder
from app.train.loop import train_model
from app.train.losses import class_weights, one_hot, smooth, target_loss
from app.train.metric_losses import EmbeddingLosses, SparseCenterLoss, batch_hard_triplet


def test_losses_match_torch_and_handle_targets():
    logits = torch.randn(5, 7)
    labels = np.array([0, 1, 2, 3, 6])
    t = one_hot(labels, 7)
    ref = F.cross_entropy(logits, torch.as_tensor(labels))
    assert target_loss("ce", logits, t) == pytest.approx(float(ref), rel=1e-5)
    ls = F.cross_entropy(logits, torch.as_tensor(labels), label_smoothing=0.1)
    assert target_loss("soft", logits, smooth(t, 0.1)) == pytest.approx(float(ls), rel=1e-5)
    bce = F.binary_cross_entropy_with_logits(logits, t, reduction="sum") / 5
    assert target_loss("bce", logits, t) == pytest.approx(float(bce), rel=1e-5)


@pytest.mark.parametrize("kind, eps", [("hinge", 0.0), ("ce", 1.0)])
def test_bad_loss_settings(kind, eps):
    with pytest.raises(ValueError):
        target_loss(kind, torch.zeros(2, 7), smooth(one_hot([0, 1], 7), eps))


def test_class_weights_balance_frequencies():
    labels = np.array([0] * 90 + [1] * 10)
    w = class_weights(labels, 7)
    assert w[1] / w[0] == pytest.approx(9.0)
    assert w[labels].mean() == pytest.approx(1.0)
    assert w[2] == 0.0
    assert class_weights(labels, 7, 0.5)[1] / class_weights(labels, 7, 0.5)[0] == \
        pytest.approx(3.0)


def test_triplet_is_zero_for_separated_classes_and_positive_for_mixed():
    labels = torch.tensor([0, 0, 1, 1])
    apart = torch.tensor([[1.0, 0], [1, 0.01], [-1, 0], [-1, 0.01]])
    mixed = torch.tensor([[1.0, 0], [-1, 0], [1, 0.01], [-1, 0.01]])
    assert batch_hard_triplet(apart, labels, 0.2) == 0
    assert batch_hard_triplet(mixed, labels, 0.2) > 1.0


def test_triplet_ignores_anchors_without_positive_and_has_gradients():
    emb = torch.randn(3, 4, requires_grad=True)
    assert batch_hard_triplet(emb, torch.tensor([0, 1, 2])) == 0  # no positives at all
    loss = batch_hard_triplet(emb, torch.tensor([0, 0, 1]))
    loss.backward()
    assert emb.grad is not None and torch.isfinite(emb.grad).all()


def test_sparse_centre_loss_zero_at_centres_and_weights_keep_scale():
    loss = SparseCenterLoss(dim=5, num_classes=3)
    with torch.no_grad():
        loss.centers.copy_(torch.randn(3, 5))
        loss.logit_w.copy_(torch.randn(5))
    labels = torch.tensor([2, 0])
    with torch.no_grad():  # values only: no autograd graph to turn into a Python float
        at_centres = float(loss(loss.centers[labels], labels))
        weight_sum = float(loss.dim_weights().sum())
        far = float(loss(loss.centers[labels] + 1.0, labels))
    assert at_centres == pytest.approx(0.0, abs=1e-7)
    assert weight_sum == pytest.approx(5.0)
    assert far == pytest.approx(0.5 * 5.0)  # sum_d w_d * 1 / 2 with sum w = D


def test_embedding_losses_refuse_negative_weights():
    with pytest.raises(ValueError):
        EmbeddingLosses(4, triplet_weight=-1)
    assert EmbeddingLosses(4, center_weight=0).center is None


@pytest.mark.parametrize(("arch", "size", "dim"), [("cnn1", 64, 256), ("cnn2", 48, 256),
                                                   ("resnet", 48, 128), ("resnet", 64, 128)])
def test_penultimate_embedding_gives_the_models_logits(arch, size, dim):
    model = build_model(arch, size).eval()
    x = torch.randn(2, 3, size, size)
    logits, emb = logits_and_embedding(model, x)
    assert emb.shape == (2, dim)
    torch.testing.assert_close(logits, model(x))


def test_resnet_checkpoint_round_trip(tmp_path):
    model = build_model("resnet", 48).eval()
    path = save_checkpoint(tmp_path / "r.pt", model, arch="resnet", input_size=48, half=True)
    loaded = load_checkpoint(path)
    assert loaded.spec.arch == "resnet"
    x = torch.randn(1, 3, 48, 48)
    torch.testing.assert_close(loaded.module(x), model(x), rtol=2e-2, atol=2e-2)


def test_training_with_both_losses_saves_and_resumes_centres(tmp_path):
    faces = read_folder(make_class_folders(tmp_path / "data", per_class=3))
    cfg = TrainConfig(arch="resnet", epochs=1, batch_size=14, seed=1, triplet_weight=0.5,
                      center_weight=0.01)
    train_model(cfg, faces, None, tmp_path / "run", quiet=True)
    state = read_checkpoint(tmp_path / "run" / "last.pt")["train_state"]
    centres = state["aux"]["center.centers"]
    assert centres.shape == (7, 128) and centres.abs().sum() > 0  # trained, not left at 0
    more = TrainConfig(**{**cfg.__dict__, "epochs": 2})
    out = train_model(more, faces, None, tmp_path / "run", resume=True, quiet=True)
    assert out["epochs_run"] == 1
    again = read_checkpoint(tmp_path / "run" / "last.pt")["train_state"]["aux"]
    assert not torch.equal(again["center.centers"], centres)


@pytest.mark.parametrize(
    ("triplet", "centre", "distributed", "refused"),
    [(0.0, 0.0, True, False), (0.5, 0.0, True, True), (0.0, 0.01, True, True),
     (0.5, 0.01, False, False)],
)
def test_embedding_losses_refused_under_torchrun(triplet, centre, distributed, refused):
    from types import SimpleNamespace

    from app.train.metric_losses import refuse_distributed_embedding_losses

    cfg = SimpleNamespace(triplet_weight=triplet, center_weight=centre)
    if refused:
        with pytest.raises(ValueError, match="one process only"):
            refuse_distributed_embedding_losses(cfg, distributed)
    else:
        refuse_distributed_embedding_losses(cfg, distributed)
