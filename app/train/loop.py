"""The resumable training loop: one run folder per run, a checkpoint every epoch.

A run folder holds `config.json` (the effective config), `metrics.csv` (one row per
epoch), `last.pt` (weights + optimizer + RNG state: what `--resume` continues from) and
`best.pt` (the epoch with the best validation score). Both checkpoints are written
atomically by `save_checkpoint`, so stopping the process at any moment loses at most the
epoch in progress. The learning rate is a pure function of the global step
(`app.train.optim.lr_at`), so resuming needs no scheduler state.

Images go through `app.model.preprocess.to_tensor`, the same path the live app uses.
Under torchrun the same function trains one model on every rank with DistributedDataParallel
(`app.train.distributed`): rank 0 alone validates and writes the run folder.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from app.labels import NUM_CLASSES
from app.metrics import evaluate_probs
from app.model.checkpoint import build_model, load_checkpoint, read_checkpoint, save_checkpoint
from app.model.embedding import logits_and_embedding
from app.model.predictor import softmax_scores
from app.train import distributed
from app.train.batches import EpochBatches, augmentation_seeds, batch_tensor, iterate
from app.train.config import TrainConfig
from app.train.distributed import LOCAL, DistContext
from app.train.faceset import FaceSet
from app.train.losses import class_weights, one_hot, smooth, target_loss
from app.train.metric_losses import embedding_losses, refuse_distributed_embedding_losses
from app.train.optim import lr_at, make_optimizer
from app.train.progress import Progress
from app.train.resize import freeze, keep_frozen_bn_eval, resize_model

CSV_FIELDS = ("epoch", "input_size", "lr", "train_loss", "train_acc", "val_loss", "val_acc",
              "val_macro_f1", "val_uar", "seconds", "best")


def predict_probs(model: torch.nn.Module, faces: FaceSet, size: int,
                  preprocess: dict[str, Any], batch: int = 256, flip: bool = False
                  ) -> np.ndarray:
    """Softmax outputs for every face, in eval mode; the model's mode is restored after.
    `flip` averages each face's softmax with its mirror image's (the app's model.flip)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(faces), batch):
            imgs = [faces.image(i) for i in range(start, min(len(faces), start + batch))]
            x = batch_tensor(imgs, size, preprocess).to(device)
            out.append(softmax_scores(model, x, flip).float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, NUM_CLASSES), dtype=np.float32)


def sample_epoch(cfg: TrainConfig, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices for one epoch: a permutation, or a class-balanced draw with replacement."""
    n = len(labels)
    if cfg.balance in ("sampler", "sqrt-sampler"):
        power = 1.0 if cfg.balance == "sampler" else 0.5
        w = class_weights(labels, NUM_CLASSES, power)[labels].astype(np.float64)
        return rng.choice(n, size=n, replace=True, p=w / w.sum())
    return rng.permutation(n)


def _targets(cfg: TrainConfig, faces: FaceSet, idx: np.ndarray) -> torch.Tensor:
    if cfg.targets == "soft" and faces.soft is not None:
        t = torch.from_numpy(np.asarray(faces.soft[idx], dtype=np.float32))
    else:
        t = one_hot(faces.labels[idx], NUM_CLASSES)
    return smooth(t, cfg.label_smoothing) if cfg.label_smoothing > 0 else t


def _initial_model(cfg: TrainConfig, size: int) -> torch.nn.Module:
    if not cfg.init:
        return build_model(cfg.arch, size)
    loaded = load_checkpoint(cfg.init, expect_arch=cfg.arch).module
    if loaded.input_size != size:
        loaded = resize_model(loaded, cfg.arch, size)
    return loaded


def _reseed_rank(cfg: TrainConfig, ctx: DistContext, epoch: int) -> None:
    """Under DDP each rank's torch generator (Dropout) restarts every epoch from (seed,
    epoch, rank): ranks draw different masks, and a resumed run the same ones as before."""
    if ctx.enabled:
        torch.manual_seed(int(np.random.SeedSequence([cfg.seed, epoch, ctx.rank])
                              .generate_state(1)[0]))


def _trainable(model: torch.nn.Module, ctx: DistContext, device: torch.device):
    """(model on the device, the module to train): DDP with synchronised BatchNorm on
    several ranks, the model itself alone."""
    model = model.to(device, memory_format=torch.channels_last)
    if ctx.enabled:
        model = distributed.sync_batchnorm(model, device)
    return model, distributed.wrap(model, ctx, device)


def train_model(cfg: TrainConfig, train_set: FaceSet, val_set: FaceSet | None,
                run_dir: str | Path, resume: bool = False, quiet: bool = False,
                ctx: DistContext = LOCAL) -> dict[str, Any]:
    """Train per `cfg`; checkpoints and logs go to `run_dir` (rank 0 only under DDP: the
    other ranks write nothing). Returns a metric dict."""
    run_dir = Path(run_dir)
    main = ctx.is_main
    quiet = quiet or not main
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
    device = ctx.device(cfg.device)
    torch.set_num_threads(cfg.threads)
    cv2.setNumThreads(1)
    started = time.monotonic()
    preprocess = cfg.preprocess()
    labels = np.asarray(train_set.labels, dtype=np.int64)
    present = np.bincount(labels, minlength=NUM_CLASSES) > 0
    restrict = None if present.all() else present
    steps_per_epoch = math.ceil(len(train_set) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    loss_w = None
    if cfg.balance in ("weights", "sqrt-weights"):
        loss_w = class_weights(labels, NUM_CLASSES, 1.0 if cfg.balance == "weights" else 0.5)

    start_epoch, best_score, best_epoch, trained_s = 0, -1.0, -1, 0.0
    last_path, best_path = run_dir / "last.pt", run_dir / "best.pt"
    state: dict[str, Any] | None = None
    # Rank 0 reads last.pt and hands its state to the others (no shared folder needed);
    # DDP copies rank 0's weights to every rank when it wraps the model.
    found = ctx.broadcast(resume and last_path.exists())
    if found:
        state = ctx.broadcast((read_checkpoint(last_path).get("train_state") or {})
                              if main else None)
        start_epoch = int(state.get("epoch", -1)) + 1
        best_score = float(state.get("best_score", -1.0))
        best_epoch = int(state.get("best_epoch", -1))
        trained_s = float(state.get("trained_s", 0.0))
        saved_size = int(state.get("input_size", cfg.size_for_epoch(max(0, start_epoch - 1))))
        model = load_checkpoint(last_path, expect_arch=cfg.arch).module if main else \
            build_model(cfg.arch, saved_size)
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
    else:
        model = _initial_model(cfg, cfg.size_for_epoch(0)) if main else \
            build_model(cfg.arch, cfg.size_for_epoch(0))
    if cfg.freeze:
        freeze(model, cfg.freeze)
    model, net = _trainable(model, ctx, device)
    optimizer = make_optimizer(cfg, model)
    refuse_distributed_embedding_losses(cfg, ctx.enabled)
    aux = embedding_losses(cfg, model, cfg.size_for_epoch(start_epoch))  # None unless asked
    if aux is not None:
        if state and "aux" in state:
            aux.load_state_dict(state["aux"])
        optimizer.add_param_group({"params": list(aux.parameters())})
    if state and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    csv_path = run_dir / "metrics.csv"
    if main:
        (run_dir / "config.json").write_text(json.dumps(
            {**asdict(cfg), "train_faces": len(train_set), "val_faces": len(val_set or ()),
             "train_counts": train_set.counts(), "resumed_from_epoch": start_epoch,
             "world_size": ctx.world_size, "backend": ctx.backend, "device": str(device)},
            indent=2) + "\n")
        if not csv_path.exists() or start_epoch == 0:
            with csv_path.open("w", newline="") as fh:
                csv.writer(fh).writerow(CSV_FIELDS)

    result: dict[str, Any] = {"run_dir": str(run_dir), "stopped": "done", "epochs_run": 0}
    progress = Progress(total_epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
                        quiet=quiet)
    for epoch in range(start_epoch, cfg.epochs):
        size = cfg.size_for_epoch(epoch)
        if getattr(model, "input_size", size) != size:
            model = resize_model(model.cpu(), cfg.arch, size)
            if cfg.freeze:
                freeze(model, cfg.freeze)
            model, net = _trainable(model, ctx, device)
            optimizer = make_optimizer(cfg, model)  # shapes changed: fresh moments
            if aux is not None:
                optimizer.add_param_group({"params": list(aux.parameters())})
        t0 = time.monotonic()
        model.train()
        keep_frozen_bn_eval(model)
        _reseed_rank(cfg, ctx, epoch)
        order = sample_epoch(cfg, labels, rng)
        batches = EpochBatches(train_set, order, augmentation_seeds(rng, len(order)),
                               cfg.batch_size, cfg.augment, size, preprocess,
                               functools.partial(_targets, cfg), loss_w, ctx)
        sum_loss, correct, seen, lr = 0.0, 0, 0, cfg.lr
        progress.start_epoch(epoch)
        items = iterate(batches, cfg.workers, device.type == "cuda")
        for b in range(len(batches)):
            stop, elapsed = None, time.monotonic() - t0
            if cfg.max_minutes and (time.monotonic() - started) / 60 > cfg.max_minutes:
                stop = "budget"
            elif cfg.budget_minutes and trained_s + elapsed >= 60 * cfg.budget_minutes \
                    and (b > 0 or trained_s >= 60 * cfg.budget_minutes):
                stop = "schedule-done"  # annealed: keep this partial epoch (>= one step)
            if ctx.enabled and (cfg.max_minutes or cfg.budget_minutes):
                stop, elapsed = ctx.broadcast((stop, elapsed))  # rank 0's clock for all
            if stop:
                result["stopped"] = stop
                break
            batch = next(items)  # after the clock check: made now, or ahead by workers
            if batch is None:
                continue
            x = batch["x"].to(device, non_blocking=True, memory_format=torch.channels_last)
            y = batch["y"].to(device, non_blocking=True)
            w = None if batch["w"] is None else batch["w"].to(device, non_blocking=True)
            lr = lr_at(cfg, epoch * steps_per_epoch + b, total_steps, trained_s + elapsed)
            for group in optimizer.param_groups:
                group["lr"] = lr
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp == "bf16"):
                logits, emb = (net(x), None) if aux is None else \
                    logits_and_embedding(model, x)
            logits = logits.float()
            loss = target_loss(cfg.loss, logits, y, w)
            if aux is not None:  # triplet / sparse centre loss on the penultimate embedding
                loss = loss + aux(emb.float(), batch["labels"].to(device))
            optimizer.zero_grad(set_to_none=True)
            (loss * batch["scale"] if ctx.enabled else loss).backward()
            optimizer.step()
            n = len(batch["labels"])
            sum_loss += float(loss.detach()) * n
            correct += int((logits.detach().argmax(1).cpu() == batch["labels"]).sum())
            seen += n
            progress.step(b + 1, sum_loss / seen, correct / seen)
        if result["stopped"] == "budget":
            progress.note(f"time budget of {cfg.max_minutes} min reached in epoch {epoch + 1}; "
                          f"resume with --resume (continues after epoch {epoch})")
            break
        trained_s = ctx.broadcast(trained_s + time.monotonic() - t0)
        sum_loss, correct, seen = ctx.sum([sum_loss, correct, seen])  # the global batch's
        if seen == 0:
            break
        if not main:  # rank 0 validates and writes; the others go on to the next epoch
            result["epochs_run"] += 1
            if result["stopped"] == "schedule-done":
                break
            continue
        row: dict[str, Any] = {"epoch": epoch + 1, "input_size": size, "lr": f"{lr:.3g}",
                               "train_loss": round(sum_loss / max(1, seen), 4),
                               "train_acc": round(correct / max(1, seen), 4)}
        metrics: dict[str, Any] = {}
        if val_set is not None and len(val_set):
            probs = predict_probs(model, val_set, size, preprocess)
            metrics = evaluate_probs(probs, val_set.labels, restrict)
            vl = -np.log(np.clip(probs[np.arange(len(probs)), val_set.labels], 1e-9, None))
            row.update(val_loss=round(float(vl.mean()), 4), val_acc=metrics["accuracy"],
                       val_macro_f1=metrics["macro_f1"], val_uar=metrics["uar"])
        score = metrics.get(cfg.select, row["train_acc"]) if metrics else row["train_acc"]
        common = dict(arch=cfg.arch, input_size=size, preprocess=preprocess,
                      config=asdict(cfg))
        summary = {"epoch": epoch + 1, **{k: metrics[k] for k in
                                          ("accuracy", "macro_f1", "uar") if k in metrics},
                   "val_set": val_set.name if val_set is not None else None}
        is_best = score > best_score
        if is_best:
            best_score, best_epoch = float(score), epoch + 1
            save_checkpoint(best_path, model, metrics=summary, **common)
        row.update(seconds=round(time.monotonic() - t0, 1), best=int(is_best))
        save_checkpoint(last_path, model, metrics=summary, **common, extra={"train_state": {
            "epoch": epoch, "best_score": best_score, "best_epoch": best_epoch,
            "trained_s": trained_s, "input_size": size, "world_size": ctx.world_size,
            "optimizer": optimizer.state_dict(), "numpy_rng": rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            **({"aux": aux.state_dict()} if aux is not None else {})}})
        with csv_path.open("a", newline="") as fh:
            csv.writer(fh).writerow([row.get(k, "") for k in CSV_FIELDS])
        progress.end_epoch(row)
        result["epochs_run"] += 1
        if result["stopped"] == "schedule-done":
            progress.note(f"time plan of {cfg.budget_minutes} min spent: training finished "
                          f"after {row['epoch']} epochs (the last one partial)")
            break
    result.update(best_epoch=best_epoch, best_score=best_score, select=cfg.select,
                  best_path=str(best_path) if best_path.exists() else None,
                  last_path=str(last_path) if last_path.exists() else None,
                  minutes=round((time.monotonic() - started) / 60, 2))
    return result
