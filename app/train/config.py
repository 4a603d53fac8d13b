"""The effective configuration of one training run (saved as the run's config.json).

The paper trains with BCE, batch 8 and 500 epochs; on two CPU cores that is weeks, so the
defaults are batch 64, Adam-W with a one-epoch warm-up and a cosine decay, and tens of
epochs. Every choice is a field here and a `python -m app train` option.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Names only (no torch or OpenCV import), so `python -m app --help` stays fast. The
# modules that implement them check they agree (tests/train/test_config_names.py).
ARCHS = ("cnn1", "cnn2", "resnet")  # app.model.checkpoint.ARCHITECTURES
# app.train.augment
MODES = ("none", "flip", "flip-affine", "algorithm1", "mixed", "strong", "webcam")
LOSSES = ("ce", "soft", "bce")  # app.train.losses
BALANCE = ("none", "sampler", "sqrt-sampler", "weights", "sqrt-weights")
SCHEDULES = ("cosine", "none")
OPTIMIZERS = ("adamw", "adam", "sgd")
SELECT = ("accuracy", "macro_f1", "uar")


@dataclass(frozen=True)
class TrainConfig:
    arch: str = "cnn1"
    sizes: tuple[int, ...] = (48,)  # progressive resizing: one size per stage
    size_epochs: tuple[int, ...] = ()  # epochs per stage (the last stage takes the rest)
    epochs: int = 20
    batch_size: int = 64
    optimizer: str = "adamw"
    lr: float = 1e-3
    min_lr: float = 1e-5
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    loss: str = "ce"  # ce, soft (needs soft targets for full effect), bce
    targets: str = "hard"  # hard (majority) or soft (FER+ vote distribution)
    label_smoothing: float = 0.0
    balance: str = "none"
    augment: str = "flip-affine"
    color: str = "gray"
    mean: float = 0.5
    std: float = 0.5
    # bf16 autocast for the training forward/backward (oneDNN on AVX512-BF16 CPUs: ~1.6x
    # faster here); BatchNorm, the loss and validation stay float32.
    amp: str = "none"
    select: str = "accuracy"  # validation metric that picks best.pt
    threads: int = 1
    # "auto": the CUDA device when torch sees one (each torchrun rank its own), else the CPU
    device: str = "auto"
    # DataLoader worker processes that augment and batch ahead of the model (0: in the
    # training process; on CUDA the batches come in pinned memory)
    workers: int = 0
    seed: int = 0
    max_minutes: float = 0.0  # stop this invocation after so many minutes (0 = never)
    # Plan the cosine decay over this much training time, summed across resumes (0 = plan
    # by epochs). On a shared machine epochs take unpredictable time; a time plan still
    # ends annealed when the budget is spent, and the last (partial) epoch is kept.
    budget_minutes: float = 0.0
    init: str = ""  # checkpoint to fine-tune from
    freeze: tuple[str, ...] = ()  # parameter-name prefixes kept fixed, e.g. "features"
    # Embedding losses beside the target loss (app.train.metric_losses): batch-hard triplet
    # on the penultimate embedding (Haider et al.) and sparse centre loss (Singh et al.).
    triplet_weight: float = 0.0
    triplet_margin: float = 0.2
    center_weight: float = 0.0
    # A mixed training set's per-source terms (app.train.mix), e.g. "expw=0.5,imfdb=0.5".
    source_weights: str = ""
    source_smoothing: str = ""
    dataset: str = ""  # what the command line loaded (recorded for the record)
    notes: str = ""

    def __post_init__(self) -> None:
        checks = [(self.arch, ARCHS, "arch"), (self.loss, LOSSES, "loss"),
                  (self.balance, BALANCE, "balance"), (self.augment, MODES, "augment"),
                  (self.schedule, SCHEDULES, "schedule"),
                  (self.optimizer, OPTIMIZERS, "optimizer"), (self.select, SELECT, "select"),
                  (self.targets, ("hard", "soft"), "targets"),
                  (self.color, ("gray", "rgb"), "color"), (self.amp, ("none", "bf16"), "amp"),
                  (self.device, ("auto", "cpu", "cuda"), "device")]
        for value, allowed, name in checks:
            if value not in allowed:
                raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")
        if not self.sizes or any(s < 32 for s in self.sizes):
            raise ValueError(f"input sizes must be >= 32, got {self.sizes}")
        if len(self.size_epochs) not in (0, len(self.sizes) - 1, len(self.sizes)):
            raise ValueError(f"{len(self.sizes)} sizes need {len(self.sizes) - 1} or "
                             f"{len(self.sizes)} stage lengths, got {self.size_epochs}")
        if self.epochs < 1 or self.batch_size < 2 or self.lr <= 0 or self.threads < 1 \
                or self.workers < 0:
            raise ValueError("epochs >= 1, batch size >= 2, lr > 0, threads >= 1 and "
                             "workers >= 0 needed")

    def size_for_epoch(self, epoch: int) -> int:
        """Input size at a 0-based epoch under the progressive-resizing stages.

        Without stage lengths the epochs are split evenly; with one length fewer than
        sizes, the last size takes the remaining epochs.
        """
        lengths = self.size_epochs or (max(1, self.epochs // len(self.sizes)),) * \
            (len(self.sizes) - 1)
        end = 0
        for size, length in zip(self.sizes, lengths, strict=False):
            end += length
            if epoch < end:
                return size
        return self.sizes[-1]

    def preprocess(self) -> dict[str, Any]:
        return {"color": self.color, "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild from a config.json (extra keys ignored, lists back to tuples)."""
        names = {f.name for f in dataclasses.fields(cls)}
        clean = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()
                 if k in names}
        return cls(**clean)
