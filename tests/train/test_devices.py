"""Device choice and the DDP building blocks, on the CPU without a process group; the CUDA
path itself where torch sees a GPU (skipped here with the reason)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from trainhelp import make_class_folders

from app.model.checkpoint import load_checkpoint
from app.model.predictor import pick_device
from app.train.batches import EpochBatches, augmentation_seeds
from app.train.config import TrainConfig
from app.train.datasets import read_folder
from app.train.distributed import LOCAL, CpuSyncBatchNorm, DistContext, sync_batchnorm
from app.train.loop import _targets, train_model

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device "
                          "(scripts/gpu-check runs these on a GPU machine)")


@pytest.mark.parametrize(("available", "requested", "expected"), [
    (True, "auto", "cuda"), (False, "auto", "cpu"), (True, "cpu", "cpu"), (False, "cpu", "cpu"),
])
def test_auto_picks_cuda_for_inference_when_present(monkeypatch, available, requested,
                                                    expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert pick_device(requested).type == expected


def test_training_device_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert LOCAL.device("auto").type == "cpu" and LOCAL.device("cpu").type == "cpu"
    with pytest.raises(RuntimeError, match="--device cpu"):
        LOCAL.device("cuda")


def test_without_torchrun_there_is_one_process_and_no_group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    ctx = DistContext.from_env()
    assert ctx == LOCAL and not ctx.enabled and ctx.is_main
    assert not torch.distributed.is_initialized()
    assert ctx.broadcast("x") == "x" and ctx.gather(3) == [3] and ctx.sum([1, 2]) == [1.0, 2.0]
    assert ctx.fan_out([1, 2, 3], lambda v: v * 10) == [10, 20, 30]


@pytest.mark.parametrize(("n", "world"), [(8, 2), (5, 2), (7, 3), (3, 3), (64, 8)])
def test_shards_cover_a_global_batch_once_in_order(n, world):
    batch = np.arange(100, 100 + n)
    parts = [DistContext(rank=r, world_size=world).shard(batch) for r in range(world)]
    np.testing.assert_array_equal(np.concatenate(parts), batch)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.parametrize(("sizes", "weights"), [((4, 4), None), ((3, 2), None),
                                                ((3, 2), [2.0, 1, 1, 0.5, 3])])
def test_scaled_rank_losses_average_to_the_global_mean(sizes, weights):
    """DDP averages the ranks' gradients; with loss_scale that is the global batch's mean."""
    per_face = np.linspace(0.1, 2.0, sum(sizes))
    w = np.ones(len(per_face)) if weights is None else np.asarray(weights)
    bounds = np.cumsum((0,) + sizes)
    ranks = []
    for r in range(len(sizes)):
        part = slice(bounds[r], bounds[r + 1])
        local_mean = (per_face[part] * w[part]).sum() / w[part].sum()
        scale = DistContext(rank=r, world_size=len(sizes)).loss_scale(w[part].sum(), w.sum())
        ranks.append(local_mean * scale)
    assert np.mean(ranks) == pytest.approx((per_face * w).sum() / w.sum())


def test_rank_shards_see_the_augmentation_of_one_process(tmp_path):
    """Seeds per epoch position: rank 0's and rank 1's items together are, tensor for
    tensor, what one process makes of the same global batch."""
    faces = read_folder(make_class_folders(tmp_path / "f", per_class=2))
    cfg = TrainConfig(augment="strong", label_smoothing=0.1)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(faces))
    seeds = augmentation_seeds(rng, len(order))

    def item(ctx):
        return EpochBatches(faces, order, seeds, 8, cfg.augment, 48, cfg.preprocess(),
                            lambda f, i: _targets(cfg, f, i), None, ctx)[0]

    whole = item(LOCAL)
    parts = [item(DistContext(rank=r, world_size=2)) for r in (0, 1)]
    torch.testing.assert_close(torch.cat([p["x"] for p in parts]), whole["x"], rtol=0,
                               atol=0)
    torch.testing.assert_close(torch.cat([p["y"] for p in parts]), whole["y"])
    assert [p["scale"] for p in parts] == [1.0, 1.0] and whole["scale"] == 1.0
    other = EpochBatches(faces, order, augmentation_seeds(rng, len(order)), 8, cfg.augment,
                         48, cfg.preprocess(), lambda f, i: _targets(cfg, f, i), None, LOCAL)
    assert not torch.equal(other[0]["x"], whole["x"])  # the seeds do matter


def test_cpu_sync_batchnorm_alone_is_plain_batchnorm():
    torch.manual_seed(0)
    plain = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    synced = sync_batchnorm(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3),
                                                torch.nn.BatchNorm2d(4)), torch.device("cpu"))
    synced.load_state_dict(plain.state_dict())
    assert isinstance(synced[1], CpuSyncBatchNorm)
    assert set(synced.state_dict()) == set(plain.state_dict())  # checkpoints stay loadable
    x = torch.randn(6, 3, 8, 8)
    for mode in (True, False):
        plain.train(mode)
        synced.train(mode)
        torch.testing.assert_close(synced(x), plain(x))


@pytest.mark.parametrize(("field", "value"), [("device", "tpu"), ("workers", -1)])
def test_config_rejects_bad_device_and_workers(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_dataloader_workers_train_the_same_weights(tmp_path):
    faces = read_folder(make_class_folders(tmp_path / "f", per_class=3))
    runs = {}
    for workers in (0, 2):
        cfg = TrainConfig(arch="cnn1", epochs=1, batch_size=8, augment="flip-affine",
                          seed=4, workers=workers, device="cpu")
        train_model(cfg, faces, None, tmp_path / f"w{workers}", quiet=True)
        runs[workers] = load_checkpoint(tmp_path / f"w{workers}" / "last.pt").module
    for key, value in runs[0].state_dict().items():
        torch.testing.assert_close(runs[2].state_dict()[key], value, rtol=0, atol=0)


@CUDA
def test_cuda_training_with_bf16_workers_and_pinned_memory(tmp_path):
    faces = read_folder(make_class_folders(tmp_path / "f", per_class=4))
    cfg = TrainConfig(arch="cnn2", epochs=2, batch_size=8, amp="bf16", workers=2,
                      device="cuda")
    result = train_model(cfg, faces, faces, tmp_path / "run", quiet=True)
    assert result["epochs_run"] == 2
    loaded = load_checkpoint(tmp_path / "run" / "last.pt")  # loads on the CPU
    assert all(v.device.type == "cpu" for v in loaded.module.state_dict().values())
    import json

    assert json.loads((tmp_path / "run" / "config.json").read_text())["device"] == "cuda:0"


@CUDA
def test_cuda_inference_matches_the_cpu(tiny_checkpoints):
    from app.model.predictor import Predictor

    faces = [np.random.default_rng(i).integers(0, 255, (64, 64, 3), dtype=np.uint8)
             for i in range(4)]
    gpu = Predictor.from_checkpoints(tiny_checkpoints, device="auto")
    cpu = Predictor.from_checkpoints(tiny_checkpoints, device="cpu")
    assert gpu.device.type == "cuda"
    for a, b in zip(gpu.predict_batch(faces).predictions, cpu.predict_batch(faces).predictions,
                    strict=True):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-3)
