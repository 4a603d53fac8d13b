"""Training on several processes with PyTorch's own engine (torch.distributed + DDP).

`torchrun --nproc-per-node N -m app train ...` (or torchrun's rendezvous across machines)
starts N copies of the command; `DistContext.from_env` joins them into one process group:
NCCL when each process has a CUDA device, gloo on the CPU. What stays the same as one
process, so a run on N ranks trains the same model as a run on one:

- the *global* batch: every rank draws the same epoch order (the same seeded generator),
  splits each global batch of `batch_size` faces into N contiguous shards and trains on its
  own (`shard`). The learning-rate rule is therefore unchanged: the lr of a global batch of
  B faces is the lr of one process with batch B (no linear scaling with N).
- the loss: each rank's loss is scaled (`loss_scale`) so that DDP's gradient average is the
  gradient of the global batch's mean (or class-weighted mean) loss, even when the shards
  are unequal (the last batch of an epoch).
- BatchNorm: statistics over the global batch (`sync_batchnorm`): torch's SyncBatchNorm on
  CUDA; on the CPU, where torch's refuses to run, the same maths with a differentiable
  all-reduce (`CpuSyncBatchNorm`).

Not the same: Dropout masks are drawn by each rank's own generator, so runs agree in
distribution, not bit for bit (the equality test switches Dropout off).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

T = TypeVar("T")


@dataclass(frozen=True)
class DistContext:
    """Who this process is in the group; the default is a lone process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str = "auto") -> DistContext:
        """Join the group torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR);
        a lone process (no torchrun) gets the default context and starts nothing."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch.distributed as dist

        rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        cuda = device != "cpu" and torch.cuda.is_available()
        if cuda:
            torch.cuda.set_device(local % torch.cuda.device_count())
        backend = "nccl" if cuda else "gloo"
        if not dist.is_initialized():
            from torch.distributed.rendezvous import rendezvous

            # torchrun keeps its store across the restarts of a group; the keys of a new
            # attempt get their own prefix, else gloo reads the dead attempt's addresses
            # ("connectFullMesh failed ... Connection refused" on every restart).
            store, _, _ = next(rendezvous("env://"))
            attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
            dist.init_process_group(backend, store=dist.PrefixStore(f"emotune/{attempt}",
                                                                    store),
                                    rank=rank, world_size=world)
        return cls(rank=rank, world_size=world, local_rank=local, backend=backend)

    def close(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()

    def shard(self, batch: np.ndarray) -> np.ndarray:
        """This rank's contiguous part of a global batch (sizes differ by at most one)."""
        return np.array_split(batch, self.world_size)[self.rank] if self.enabled else batch

    def loss_scale(self, local_weight: float, global_weight: float) -> float:
        """Factor on this rank's mean loss so that DDP's average of the ranks' gradients is
        the gradient of the global batch's mean loss (weights: per-face loss weights, or
        face counts without them)."""
        return self.world_size * local_weight / global_weight if self.enabled else 1.0

    def device(self, requested: str = "auto") -> torch.device:
        """The training device: this rank's CUDA device when there is one (and not "cpu")."""
        if requested == "cpu" or not torch.cuda.is_available():
            if requested == "cuda":
                raise RuntimeError("--device cuda was asked for but torch sees no CUDA "
                                   "device; use --device cpu or auto")
            return torch.device("cpu")
        return torch.device("cuda", torch.cuda.current_device())

    def sum(self, values: Sequence[float]) -> list[float]:
        """Element-wise sum over the ranks (float64), e.g. an epoch's loss and counts."""
        if not self.enabled:
            return [float(v) for v in values]
        import torch.distributed as dist

        t = torch.tensor(list(values), dtype=torch.float64, device=self._comm_device())
        dist.all_reduce(t)
        return t.cpu().tolist()

    def any(self, flag: bool) -> bool:
        """True on every rank when any rank says so: one stop decision for the group
        (time budgets are read from each rank's own clock)."""
        return bool(self.sum([float(flag)])[0] > 0) if self.enabled else flag

    def broadcast(self, obj: T) -> T:
        """Rank 0's object on every rank (a resumed checkpoint needs no shared folder)."""
        if not self.enabled:
            return obj
        import torch.distributed as dist

        box = [obj if self.is_main else None]
        dist.broadcast_object_list(box, src=0, device=self._comm_device())
        return box[0]

    def gather(self, obj: T) -> list[T]:
        """Every rank's object, in rank order, on every rank."""
        if not self.enabled:
            return [obj]
        import torch.distributed as dist

        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    @contextlib.contextmanager
    def main_first(self) -> Iterator[None]:
        """Rank 0 runs the block first (e.g. decoding and caching a dataset), the others
        after it, so they read its cache instead of writing their own."""
        if not self.is_main:
            self.barrier()
        yield
        if self.is_main:
            self.barrier()

    def _comm_device(self) -> torch.device:
        return torch.device("cuda", torch.cuda.current_device()) if self.backend == "nccl" \
            else torch.device("cpu")

    def fan_out(self, items: Sequence[Any], work: Callable[[Any], T]) -> list[T]:
        """`work(item)` for items i with i % world_size == rank; every rank gets all the
        results in item order (each rank trains whole units: folds, members)."""
        mine = {i: work(item) for i, item in enumerate(items)
                if i % self.world_size == self.rank}
        merged: dict[int, T] = {}
        for part in self.gather(mine):
            merged.update(part)
        return [merged[i] for i in range(len(items))]


LOCAL = DistContext()


class CpuSyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """torch's SyncBatchNorm maths on the CPU (gloo), where torch's own refuses to run (and
    DDP refuses a CPU module holding one): the batch mean and variance of all ranks through
    `torch.distributed.nn.functional.all_reduce`, which carries the gradients back to every
    rank as torch's CUDA kernel does. In eval mode, or alone, it is plain BatchNorm."""

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected a batch of at least 2 dimensions, got {x.dim()}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        if not (self.training and dist.is_available() and dist.is_initialized()):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce

        dims = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        xf = x.float()
        count = all_reduce(torch.tensor([xf.numel() / xf.shape[1]], dtype=torch.float32))
        mean = all_reduce(xf.sum(dims)) / count
        centred = xf - mean.view(shape)
        var = all_reduce((centred * centred).sum(dims)) / count  # two passes: stable
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else \
                    1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                unbiased = var.detach() * count / (count - 1).clamp_min(1)
                self.running_var.mul_(1 - m).add_(unbiased, alpha=m)
        y = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


def sync_batchnorm(model: nn.Module, device: torch.device) -> nn.Module:
    """BatchNorm layers turned into ones that share the global batch's statistics (torch's
    SyncBatchNorm on CUDA, CpuSyncBatchNorm on the CPU); parameter and buffer names stay,
    so checkpoints load into the plain model."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    # its successor in _functional_collectives carries no gradient on the CPU yet
    warnings.filterwarnings("ignore", category=FutureWarning,
                            message="torch.distributed.nn.functional.all_reduce is deprecated")
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.__class__ = CpuSyncBatchNorm  # same attributes, synchronised forward
    return model


def wrap(model: nn.Module, ctx: DistContext, device: torch.device) -> nn.Module:
    """The module to train: `model` itself alone, else DistributedDataParallel around it
    (BatchNorm synchronised). Checkpoints are written from `model`, never the wrapper."""
    if not ctx.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    # Buffers (BatchNorm statistics) are copied from rank 0 once at the start; after that
    # the synchronised BatchNorm keeps them equal, so no copy before every forward.
    return DistributedDataParallel(model, device_ids=ids, forward_sync_buffers=False)
