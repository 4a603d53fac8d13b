"""The resumable training loop: one run folder per run, a checkpoint every epoch.

A run folder holds `config.json` (the effective config), `metrics.csv` (one row per
epoch), `last.pt` (weights + optimizer + RNG state: what `--resume` continues from) and
`best.pt` (the epoch with the best validation score). Both checkpoints are written
atomically by `save_checkpoint`, so stopping the process at any moment loses at most the
epoch in progress. The learning rate is a pure function of the global step (linear
warm-up, then cosine), so resuming needs no scheduler state.

Images go through `app.model.preprocess.to_tensor`, the same path the live app uses.
"""

from __future__ import annotations

import csv
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
from app.model.checkpoint import build_model, load_checkpoint, read_checkpoint, save_checkpoint
from app.model.embedding import logits_and_embedding
from app.model.predictor import softmax_scores
from app.model.preprocess import to_tensor
from app.train.augment import augment_batch
from app.train.config import TrainConfig
from app.train.faceset import FaceSet
from app.train.losses import class_weights, one_hot, per_face_terms, smooth, target_loss
from app.train.metric_losses import embedding_losses
from app.train.metrics import evaluate_probs
from app.train.progress import Progress
from app.train.resize import freeze, keep_frozen_bn_eval, resize_model

CSV_FIELDS = ("epoch", "input_size", "lr", "train_loss", "train_acc", "val_loss", "val_acc",
              "val_macro_f1", "val_uar", "seconds", "best")


def lr_at(cfg: TrainConfig, step: int, total: int, trained_s: float = 0.0) -> float:
    """Learning rate at a global step: linear warm-up then cosine (or constant).

    With a time budget the cosine follows whichever is further along: steps or time.
    """
    warm = int(cfg.warmup_epochs / max(1, cfg.epochs) * total)
    if cfg.schedule == "none":
        return cfg.lr
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - warm))
    if cfg.budget_minutes > 0:
        progress = max(progress, min(1.0, trained_s / (60.0 * cfg.budget_minutes)))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def make_optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, nesterov=True,
                               weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def batch_tensor(images, size: int, preprocess: dict[str, Any]) -> torch.Tensor:
    return to_tensor(list(images), size, preprocess).contiguous(
        memory_format=torch.channels_last)


def predict_probs(model: torch.nn.Module, faces: FaceSet, size: int,
                  preprocess: dict[str, Any], batch: int = 256, flip: bool = False
                  ) -> np.ndarray:
    """Softmax outputs for every face, in eval mode; the model's mode is restored after.
    `flip` averages each face's softmax with its mirror image's (the app's model.flip)."""
    was_training = model.training
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(faces), batch):
            imgs = [faces.image(i) for i in range(start, min(len(faces), start + batch))]
            out.append(softmax_scores(model, batch_tensor(imgs, size, preprocess),
                                      flip).numpy())
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


def train_model(cfg: TrainConfig, train_set: FaceSet, val_set: FaceSet | None,
                run_dir: str | Path, resume: bool = False, quiet: bool = False
                ) -> dict[str, Any]:
    """Train per `cfg`; checkpoints and logs go to `run_dir`. Returns a metric dict."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
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
    if resume and last_path.exists():
        payload = read_checkpoint(last_path)
        state = payload.get("train_state") or {}
        start_epoch = int(state.get("epoch", -1)) + 1
        best_score = float(state.get("best_score", -1.0))
        best_epoch = int(state.get("best_epoch", -1))
        trained_s = float(state.get("trained_s", 0.0))
        model = load_checkpoint(last_path, expect_arch=cfg.arch).module
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
    else:
        model = _initial_model(cfg, cfg.size_for_epoch(0))
    if cfg.freeze:
        freeze(model, cfg.freeze)
    model = model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(cfg, model)
    aux = embedding_losses(cfg, model, cfg.size_for_epoch(start_epoch))  # None unless asked
    if aux is not None:
        if state and "aux" in state:
            aux.load_state_dict(state["aux"])
        optimizer.add_param_group({"params": list(aux.parameters())})
    if state and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    (run_dir / "config.json").write_text(json.dumps(
        {**asdict(cfg), "train_faces": len(train_set), "val_faces": len(val_set or ()),
         "train_counts": train_set.counts(), "resumed_from_epoch": start_epoch},
        indent=2) + "\n")
    csv_path = run_dir / "metrics.csv"
    if not csv_path.exists() or start_epoch == 0:
        with csv_path.open("w", newline="") as fh:
            csv.writer(fh).writerow(CSV_FIELDS)

    result: dict[str, Any] = {"run_dir": str(run_dir), "stopped": "done", "epochs_run": 0}
    progress = Progress(total_epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
                        quiet=quiet)
    for epoch in range(start_epoch, cfg.epochs):
        size = cfg.size_for_epoch(epoch)
        if getattr(model, "input_size", size) != size:
            model = resize_model(model, cfg.arch, size).to(memory_format=torch.channels_last)
            if cfg.freeze:
                freeze(model, cfg.freeze)
            optimizer = make_optimizer(cfg, model)  # shapes changed: fresh moments
            if aux is not None:
                optimizer.add_param_group({"params": list(aux.parameters())})
        t0 = time.monotonic()
        model.train()
        keep_frozen_bn_eval(model)
        order = sample_epoch(cfg, labels, rng)
        sum_loss, correct, seen, lr = 0.0, 0, 0, cfg.lr
        progress.start_epoch(epoch)
        for b in range(steps_per_epoch):
            if cfg.max_minutes and (time.monotonic() - started) / 60 > cfg.max_minutes:
                result["stopped"] = "budget"
                break
            if cfg.budget_minutes and trained_s + time.monotonic() - t0 \
                    >= 60 * cfg.budget_minutes:
                result["stopped"] = "schedule-done"  # annealed: keep this partial epoch
                break
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            if len(idx) < 2:
                continue  # BatchNorm needs two faces
            images = train_set.images[idx] if isinstance(train_set.images, np.ndarray) \
                else [train_set.images[i] for i in idx]
            images = augment_batch(images, cfg.augment, rng)
            x = batch_tensor(images, size, preprocess)
            y = _targets(cfg, train_set, idx)
            w = None if loss_w is None else torch.from_numpy(loss_w[labels[idx]])
            y, w = per_face_terms(train_set, idx, y, w)  # a mixed set's source terms
            lr = lr_at(cfg, epoch * steps_per_epoch + b, total_steps,
                       trained_s + time.monotonic() - t0)
            for group in optimizer.param_groups:
                group["lr"] = lr
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.amp == "bf16"):
                logits, emb = (model(x), None) if aux is None else \
                    logits_and_embedding(model, x)
            logits = logits.float()
            loss = target_loss(cfg.loss, logits, y, w)
            if aux is not None:  # triplet / sparse centre loss on the penultimate embedding
                loss = loss + aux(emb.float(), torch.from_numpy(labels[idx]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sum_loss += float(loss.detach()) * len(idx)
            correct += int((logits.detach().argmax(1).numpy() == labels[idx]).sum())
            seen += len(idx)
            progress.step(b + 1, sum_loss / seen, correct / seen)
        if result["stopped"] == "budget":
            progress.note(f"time budget of {cfg.max_minutes} min reached in epoch {epoch + 1}; "
                          f"resume with --resume (continues after epoch {epoch})")
            break
        trained_s += time.monotonic() - t0
        if seen == 0:
            break
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
            "trained_s": trained_s,
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
