"""`python -m app train`: train CNN_1 or CNN_2 into a run folder; `--resume` continues it.

Example (FER+ majority labels, select on FER2013Valid, stop after 90 minutes):

    python -m app train --arch cnn1 --data ferplus --run cnn1-ferplus --max-minutes 90
    python -m app train --run cnn1-ferplus --resume        # continue after a stop

Run folders live in ~/.cache/emotune/runs/<name> unless --run-dir is given.

On several processes (DistributedDataParallel; NCCL on CUDA, gloo on the CPU), the same
global batch and learning rate as one process; rank 0 writes the run folder:

    torchrun --standalone --nproc-per-node 2 --max-restarts 3 -m app train --run r ...

A restarted group (torchrun --max-restarts, after any rank died) resumes from last.pt.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from app.commands.common import int_list

DEFAULT_SPLITS = {"ferplus": ("Train", "Valid"), "fer2013": ("Training", "PublicTest"),
                  "sfew": ("Train", "Val"), "ckplus": ("all", ""), "folder": ("all", ""),
                  "expw": ("all", ""), "imfdb": ("train", "holdout"), "rafdb": ("train", "val")}
_KINDS = ("ferplus", "fer2013", "sfew", "ckplus", "folder", "expw", "imfdb", "rafdb")


def _data_kind(text: str) -> str:
    parts = text.split("+")
    if not all(p in _KINDS for p in parts) or len(set(parts)) != len(parts) or \
            (len(parts) > 1 and "folder" in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: expected one of {', '.join(_KINDS)} or "
                                         "distinct ones joined by '+'")
    return text


def runs_dir() -> Path:
    return Path.home() / ".cache" / "emotune" / "runs"


def register(sub: argparse._SubParsersAction) -> None:
    from app.train.config import ARCHS, BALANCE, LOSSES, MODES, OPTIMIZERS, SCHEDULES, SELECT

    p = sub.add_parser("train", help="train CNN_1 or CNN_2 (resumable, checkpoint per epoch)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", help="run name (folder under ~/.cache/emotune/runs)")
    p.add_argument("--run-dir", help="run folder (overrides --run)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the run's last.pt with its saved config")
    p.add_argument("--data", type=_data_kind, help="training set kind (default ferplus; "
                   "ferplus, fer2013, sfew, ckplus, folder, expw, imfdb) or a mix of sources "
                   "joined by '+', e.g. ferplus+expw+imfdb (validation: the first source's)")
    p.add_argument("--triplet-weight", type=float, help="batch-hard triplet loss on the "
                   "penultimate embedding, this weight beside the target loss (default 0)")
    p.add_argument("--triplet-margin", type=float, help="triplet margin (default 0.2)")
    p.add_argument("--center-weight", type=float, help="sparse centre loss on the penultimate "
                   "embedding, this weight (default 0)")
    p.add_argument("--source-weights", help="mixed data: loss weight per source, e.g. "
                   "expw=0.5,imfdb=0.5 (default 1)")
    p.add_argument("--source-smoothing", help="mixed data: extra label smoothing per source, "
                   "e.g. expw=0.2,imfdb=0.2 (default 0)")
    p.add_argument("--root", help="dataset folder or .tar.gz (default: the known location)")
    p.add_argument("--train-split", help="split to train on (ferplus Train, fer2013 Training,"
                   " sfew Train)")
    p.add_argument("--val-split", help="split to select on (ferplus Valid, fer2013 PublicTest,"
                   " sfew Val)")
    p.add_argument("--val-root", help="a second folder-per-class set for validation")
    p.add_argument("--arch", choices=ARCHS)
    p.add_argument("--sizes", type=int_list, help="input size(s); several = progressive resizing,"
                   " e.g. 48,64,96")
    p.add_argument("--size-epochs", type=int_list, help="epochs per size stage, e.g. 5,5")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--loss", choices=LOSSES)
    p.add_argument("--targets", choices=("hard", "soft"),
                   help="soft = FER+ vote distributions (FER+ only)")
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--balance", choices=BALANCE, help="class balance by sampling or loss "
                   "weights (sqrt- = square-root inverse frequency)")
    p.add_argument("--augment", choices=MODES)
    p.add_argument("--color", choices=("gray", "rgb"))
    p.add_argument("--amp", choices=("none", "bf16"), help="bf16 autocast in training "
                   "(faster on CPUs with AVX512-BF16)")
    p.add_argument("--select", choices=SELECT, help="validation metric that picks best.pt")
    p.add_argument("--threads", type=int, help="torch threads (1 lets two runs share 2 cores)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"),
                   help="training device (auto: CUDA when present; each torchrun rank its own)")
    p.add_argument("--workers", type=int, help="DataLoader processes that augment ahead of "
                   "the model (default 0; pinned memory on CUDA)")
    p.add_argument("--seed", type=int)
    p.add_argument("--max-minutes", type=float, help="stop this invocation after this many "
                   "minutes (resume later)")
    p.add_argument("--budget-minutes", type=float, help="plan the cosine decay over this much "
                   "training time (summed across resumes); ends annealed when spent")
    p.add_argument("--init", help="checkpoint to fine-tune from")
    p.add_argument("--freeze", help="comma-separated parameter prefixes to freeze, e.g. "
                   "features.0,features.4")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run_train)
    register_export(sub)


_CFG_ARGS = ("arch", "sizes", "size_epochs", "epochs", "batch_size", "optimizer", "lr",
             "weight_decay", "schedule", "budget_minutes", "loss", "targets", "label_smoothing",
             "balance", "augment", "color", "amp", "select", "threads", "seed", "max_minutes",
              "init", "device", "workers", "source_weights", "source_smoothing",
              "triplet_weight", "triplet_margin", "center_weight")


def run_train(args: argparse.Namespace) -> int:
    from app.train.distributed import DistContext

    if not (args.run or args.run_dir):
        print("emotune train: give --run NAME or --run-dir PATH", file=sys.stderr)
        return 2
    run_dir = Path(args.run_dir) if args.run_dir else runs_dir() / args.run
    if args.resume and not (run_dir / "last.pt").exists():
        # A typo in --run must not silently start a fresh run under the wrong name (only a
        # --resume the user typed: torchrun's own restarts, below, may come before last.pt).
        known = sorted(p.parent.name for p in run_dir.parent.glob("*/last.pt")) if \
            run_dir.parent.is_dir() else []
        print(f"emotune train: --resume: no run to continue in {run_dir} (no last.pt there)"
              + (f"; runs that can be resumed: {', '.join(known)}" if known else "")
              + ". Drop --resume to start a new run.", file=sys.stderr)
        return 2
    if int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) > 0 and not args.resume:
        args.resume = True  # torchrun restarted the group after a rank died: continue
    ctx = DistContext.from_env(args.device or "auto")
    try:
        return _train(args, ctx)
    finally:
        ctx.close()


def _train(args: argparse.Namespace, ctx) -> int:
    from app.train.config import TrainConfig
    from app.train.datasets import load_faces
    from app.train.faceset import DatasetError
    from app.train.loop import train_model

    run_dir = Path(args.run_dir) if args.run_dir else runs_dir() / args.run
    main = ctx.is_main
    given = {k: getattr(args, k) for k in _CFG_ARGS if getattr(args, k) is not None}
    if args.freeze is not None:
        given["freeze"] = tuple(x for x in args.freeze.split(",") if x)
    data = {"data": args.data or "ferplus", "root": args.root, "train_split": args.train_split,
            "val_split": args.val_split, "val_root": args.val_root}
    saved = run_dir / "config.json"
    if args.resume and saved.exists() and main:
        old = json.loads(saved.read_text())
        given = {**old, **given}
        if (run_dir / "data.json").exists():
            data = {**json.loads((run_dir / "data.json").read_text()),
                    **{k: v for k, v in data.items() if v is not None and k != "data"}}
    given, data = ctx.broadcast((given, data))  # rank 0's saved config for every rank
    try:
        cfg = TrainConfig.from_dict(given)
    except (TypeError, ValueError) as exc:
        print(f"emotune train: {exc}", file=sys.stderr)
        return 2
    from app.train.metric_losses import refuse_distributed_embedding_losses

    try:  # before any data is read (the loop refuses the same, through the same check)
        refuse_distributed_embedding_losses(cfg, ctx.enabled)
    except ValueError as exc:
        print(f"emotune train: {exc}", file=sys.stderr)
        return 2
    kind = data["data"]
    first = kind.split("+")[0]
    train_split = data["train_split"] or DEFAULT_SPLITS[first][0]
    val_split = data["val_split"] if data["val_split"] is not None else \
        DEFAULT_SPLITS[first][1]
    failed = None
    with ctx.main_first():  # rank 0 decodes and caches the set; the others read its cache
        try:
            train_set = _training_set(kind, data["root"], train_split, cfg)
            if data["val_root"]:
                val_set = load_faces("folder", data["val_root"]) if main else None
            elif val_split:
                val_set = load_faces(first, data["root"] if first == kind else None,
                                     val_split) if main else None
            else:
                val_set = None
        except DatasetError as exc:
            failed = str(exc)
    failed = ctx.broadcast(failed) or failed  # every rank stops when rank 0 cannot read
    if failed:
        print(f"emotune train: {failed}", file=sys.stderr)
        return 2
    cfg = dataclasses.replace(cfg, dataset=f"{kind}:{train_split}->{val_split or '-'}")
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "data.json").write_text(json.dumps(data, indent=2) + "\n")
        print(f"training {cfg.arch} at {list(cfg.sizes)} on {train_set.name} "
              f"({len(train_set)} faces) selecting on "
              f"{val_set.name if val_set else 'train accuracy'} on {ctx.world_size} "
              f"process(es); run folder {run_dir}", file=sys.stderr)
    result = train_model(cfg, train_set, val_set, run_dir, resume=args.resume,
                         quiet=args.quiet, ctx=ctx)
    if main:
        print(json.dumps(result, indent=2))
    return 0


def _training_set(kind: str, root, split: str, cfg):
    """One source, or the '+'-joined mix (app.train.mix); `training_split` refuses IMFDB's
    hold-out actors and RAF-DB's selection split."""
    from app.train.datasets import load_faces
    from app.train.faceset import DatasetError
    from app.train.mix import load_mix, training_split

    if "+" in kind:
        if root:
            raise DatasetError("--root names one source's folder; a mixed set reads each "
                              "source from its known location")
        return load_mix(kind, max(cfg.sizes), cfg.source_weights, cfg.source_smoothing)
    return load_faces(kind, root, training_split(kind, split))


def register_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-weights", help="store a run's best checkpoint compactly "
                       "(float16) for the app, and measure what that costs")
    p.add_argument("src", help="checkpoint to export (a run's best.pt)")
    p.add_argument("dst", help="where to write it, e.g. models/cnn1.pt")
    p.add_argument("--fp32", action="store_true", help="keep float32 weights")
    p.add_argument("--check", choices=("ferplus", "fer2013", "none"), default="ferplus",
                   help="test split to compare float32 and float16 on (default FER+ Test)")
    p.add_argument("--root", help="dataset root for --check")
    p.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from app.train.datasets import load_faces
    from app.train.export import compare_precision, export_weights

    dst = export_weights(args.src, args.dst, half=not args.fp32, source_note=str(args.src))
    report = {"written": str(dst), "bytes": dst.stat().st_size}
    if args.check != "none" and not args.fp32:
        split = {"ferplus": "Test", "fer2013": "PrivateTest"}[args.check]
        faces = load_faces(args.check, args.root, split)
        report["precision_check"] = {"set": faces.name,
                                     **compare_precision(args.src, dst, faces)}
    print(json.dumps(report, indent=2))
    return 0
