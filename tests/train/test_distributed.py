"""DDP on the CPU: 2 gloo processes launched by torchrun on tiny generated data.

- one step: the averaged gradient of 2 ranks, each on its shard of an uneven global batch
  through the project's synchronised BatchNorm, DDP wrapper and loss scale, equals the
  gradient of one process on the whole batch to 1e-4 relative (float rounding only;
  `ddp_step.py`). One step, because over several steps rounding is amplified: on an AVX-512
  Xeon, one process run on 1 thread and on 2 threads ends eight SGD steps 0.8-13 % apart
  (relative to how far the weights moved; 3e-5 on the AMD EPYC this was first written on),
  so a bit-level comparison of whole runs measures the CPU's kernels, not DDP.
- a whole run: the same per-epoch losses, learning rates and validation accuracy as one
  process with the same global batch and seed, and weights within 25 % of the distance
  they moved (a wrong shard, a doubled step or unsynchronised BatchNorm lands near or past
  100 %). SGD, not Adam: Adam divides each gradient by its own running size, so rounding
  noise in a near-zero gradient becomes a full step. Dropout is switched off (ddp_entry.py:
  its masks are each rank's own draws).
- only rank 0 writes files (Python audit hooks record every write of each rank);
- a rank killed by a signal: torchrun restarts the group and it resumes from last.pt.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from trainhelp import make_class_folders

from app.model.checkpoint import build_model, load_checkpoint

ROOT = Path(__file__).resolve().parents[2]
ENTRY = Path(__file__).with_name("ddp_entry.py")
STEP = Path(__file__).with_name("ddp_step.py")
RUN_TOL = 0.25


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def _command(ranks: int, options: list[str], args: list[str]) -> list[str]:
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone",
              f"--nproc-per-node={ranks}", "--max-restarts=3", "--monitor-interval=0.2"] \
        if ranks > 1 else [sys.executable]
    return launch + [str(ENTRY), *options, "--", *args]


def _train_args(data: Path, run: Path, epochs: int, threads: int) -> list[str]:
    return ["train", "--quiet", "--data", "folder", "--root", str(data / "train"),
            "--val-root", str(data / "val"), "--arch", "cnn1", "--epochs", str(epochs),
            "--batch-size", "8", "--balance", "sampler", "--augment", "flip-affine",
            "--optimizer", "sgd", "--seed", "5", "--threads", str(threads),
            "--run-dir", str(run)]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("ddp")
    make_class_folders(base / "train", per_class=4)
    make_class_folders(base / "val", per_class=1)
    return base


def _rows(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open() as fh:
        return list(csv.DictReader(fh))


def _relative_distance(a: Path, b: Path, seed: int) -> float:
    torch.manual_seed(seed)
    init = build_model("cnn1", 48).state_dict()
    wa, wb = load_checkpoint(a).module.state_dict(), load_checkpoint(b).module.state_dict()
    keys = [k for k in wa if wa[k].is_floating_point() and "running" not in k]
    apart = sum(float(((wa[k] - wb[k]) ** 2).sum()) for k in keys)
    moved = sum(float(((wa[k] - init[k]) ** 2).sum()) for k in keys)
    assert moved > 0, "training did not change the weights: nothing was compared"
    return (apart / moved) ** 0.5


def test_one_step_on_two_ranks_has_the_gradient_of_the_whole_batch(tmp_path):
    out = tmp_path / "step.json"
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc-per-node=2", str(STEP), str(out)], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["world"] == 2
    assert result["relative"] < 1e-4


def test_two_gloo_ranks_train_the_weights_of_one_process_and_only_rank0_writes(tmp_path,
                                                                             data):
    env = _env(tmp_path)
    one, two, audit = tmp_path / "one", tmp_path / "two", tmp_path / "audit"
    subprocess.run(_command(1, ["--no-dropout"], _train_args(data, one, 2, 2)), env=env,
                   check=True, capture_output=True, timeout=300)
    done = subprocess.run(_command(2, ["--no-dropout", "--audit", str(audit)],
                                   _train_args(data, two, 2, 1)),
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _relative_distance(one / "last.pt", two / "last.pt", seed=5) < RUN_TOL
    for a, b in zip(_rows(one), _rows(two), strict=True):  # same global batches, same loss
        assert float(a["train_loss"]) == pytest.approx(float(b["train_loss"]), abs=2e-3)
        assert a["lr"] == b["lr"] and a["val_acc"] == b["val_acc"]
    config = json.loads((two / "config.json").read_text())
    assert config["world_size"] == 2 and config["backend"] == "gloo"
    assert json.loads((one / "config.json").read_text())["world_size"] == 1

    def written(rank: int) -> set[str]:
        paths = json.loads((audit / f"rank{rank}.json").read_text())
        return {p for p in paths if p.startswith(str(tmp_path)) and "/audit" not in p}

    assert written(1) == set()
    names = {Path(p).name for p in written(0)}
    assert {"config.json", "data.json", "metrics.csv"} <= names
    assert any(n.startswith("last.pt") for n in names)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_killed_rank_restarts_the_group_which_resumes_from_last_pt(tmp_path):
    make_class_folders(tmp_path / "d" / "train", per_class=8)
    make_class_folders(tmp_path / "d" / "val", per_class=1)
    run = tmp_path / "run"
    env = {**_env(tmp_path), "EMOTUNE_TEST_MARK": str(tmp_path)}
    launcher = subprocess.Popen(_command(2, [], _train_args(tmp_path / "d", run, 8, 1)),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not (
                (run / "metrics.csv").exists() and len(_rows(run)) >= 1):
            assert launcher.poll() is None, launcher.stdout.read()[-3000:]
            time.sleep(0.05)
        pids = _workers_of(tmp_path)
        assert 1 in pids, f"rank 1 not found among {pids}"
        os.kill(pids[1], signal.SIGKILL)  # rank 1 dies mid-run
        out, _ = launcher.communicate(timeout=300)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 0, out[-3000:]
    epochs = [int(r["epoch"]) for r in _rows(run)]
    assert epochs == list(range(1, 9))  # every epoch once: the lost one was redone
    config = json.loads((run / "config.json").read_text())
    assert config["resumed_from_epoch"] >= 1 and config["world_size"] == 2
    assert np.isfinite(float(_rows(run)[-1]["train_loss"]))


def _workers_of(mark: Path) -> dict[int, int]:
    """{rank: pid} of the worker processes whose environment carries this test's mark."""
    found = {}
    for child in Path("/proc").glob("[0-9]*"):
        try:
            environ = (child / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"EMOTUNE_TEST_MARK={mark}".encode() not in environ:
            continue
        rank = [e for e in environ if e.startswith(b"RANK=")]
        if rank:
            found[int(rank[0][5:])] = int(child.name)
    return found


def test_ckplus_protocol_on_two_ranks_gives_the_pooled_figure_of_one(tmp_path):
    """Each rank trains whole folds (fold k on rank k % 2) with the seed and threads of the
    one-process run, so the pooled predictions are the same numbers, not merely close."""
    from trainhelp import make_ckplus

    from app.model.checkpoint import save_checkpoint

    root = make_ckplus(tmp_path / "CK+48", subjects=4, per_class=1)
    start = save_checkpoint(tmp_path / "cnn1.pt", build_model("cnn1", 48), arch="cnn1",
                            input_size=48)
    args = ["protocol", "ckplus", "--root", str(root), "--cnn1", str(start), "--members",
            "cnn1", "--folds", "2", "--epochs", "2", "--threads", "1"]
    env = _env(tmp_path)
    results = {}
    for ranks in (1, 2):
        out = tmp_path / f"ck{ranks}"
        done = subprocess.run(_command(ranks, [], [*args, "--out", str(out)]), env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        results[ranks] = json.loads((out / "protocol.json").read_text())
    one, two = results[1], results[2]
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert one["n"] == two["n"] == 24
    assert two["accuracy"] == one["accuracy"] and two["folds"] == one["folds"]
    assert two["confusion"] == one["confusion"]
    for k in (0, 1):
        probs = [np.load(tmp_path / f"ck{r}" / f"fold{k:02d}" / "cnn1" / "test_probs_flip.npy")
                 for r in (1, 2)]
        np.testing.assert_array_equal(probs[0], probs[1])
