"""One synchronised training step on N gloo ranks against the same step in one process.

Run by torchrun (`test_distributed.py`): every rank builds the same seeded CNN_1 and the
same uneven global batch (13 faces), trains on its shard through the project's own pieces
(`sync_batchnorm`, `wrap`, `shard`, `loss_scale`), and rank 0 compares the averaged
gradients with a plain copy of the model that saw the whole batch at once. One step keeps
float rounding from being amplified by later steps, so the tolerance can be tight. Writes
`{"relative": ||g_ddp - g_one|| / ||g_one||, "world": N}` to the path given.
"""

from __future__ import annotations

import copy
import json
import sys

import numpy as np
import torch
from torch import nn

from app.model.checkpoint import build_model
from app.train import distributed


def main(out: str) -> int:
    torch.set_num_threads(1)
    ctx = distributed.DistContext.from_env("cpu")
    torch.manual_seed(5)
    plain = build_model("cnn1", 48)
    for module in plain.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0  # masks are each rank's own draws
    plain.train()
    model = distributed.sync_batchnorm(copy.deepcopy(plain), torch.device("cpu"))
    wrapped = distributed.wrap(model, ctx, torch.device("cpu"))
    rng = np.random.default_rng(7)
    x = torch.from_numpy(rng.random((13, 3, 48, 48), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 7, 13))
    index = ctx.shard(np.arange(13))
    loss = nn.functional.cross_entropy(wrapped(x[index]), y[index])
    (loss * ctx.loss_scale(float(len(index)), 13.0)).backward()
    if ctx.is_main:
        nn.functional.cross_entropy(plain(x), y).backward()
        pairs = list(zip(model.parameters(), plain.parameters(), strict=True))
        apart = sum(float(((a.grad - b.grad) ** 2).sum()) for a, b in pairs)
        size = sum(float((b.grad ** 2).sum()) for _, b in pairs)
        with open(out, "w") as fh:
            json.dump({"relative": (apart / size) ** 0.5, "world": ctx.world_size}, fh)
    # Rank 1 would otherwise tear the group down while rank 0 still computes the reference
    # (gloo then aborts: "terminate called without an active exception").
    ctx.barrier()
    ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[-1]))
