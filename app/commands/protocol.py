"""`protocol`: reproduce a benchmark protocol (FER+, FER2013, CK+ folds, SFEW) with the
members' start weights, or `protocol personal` (how much a personal profile helps each
person; `app.train.personal`). Research commands: they need `app.train`.

    python -m app protocol ckplus --out DIR [--sizes 48,64,96]
    python -m app protocol personal --data DIR --shots K [--out DIR]
    python -m app protocol basket --cnn1 A --cnn2 B [--baseline-cnn1 X ...] --out DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.common import int_list


def register(sub: argparse._SubParsersAction) -> None:
    from app.train.config import MODES

    p = sub.add_parser(
        "protocol", help="reproduce a benchmark protocol (ferplus, fer2013, ckplus, sfew; "
                         "personal: per-person profiles; basket: the ship rule)",
        description="Run one of the literature's protocols with CNN_1/CNN_2 start weights "
                    "and write protocol.json (+ confusion PNGs) into --out. ckplus and sfew "
                    "fine-tune per fold/split (resumable: rerun the same command).")
    p.add_argument("benchmark", choices=("ferplus", "fer2013", "ckplus", "sfew", "personal",
                                         "basket"))
    p.add_argument("--cnn1", help="CNN_1 start checkpoint (default models/cnn1.pt)")
    p.add_argument("--cnn2", help="CNN_2 start checkpoint (default models/cnn2.pt)")
    p.add_argument("--root", help="dataset folder or .tar.gz (default: the known location)")
    p.add_argument("--out", help="output folder (resumable); required but for personal")
    p.add_argument("--data", help="personal: CK+ or IMFDB folder/.tar.gz (people)")
    p.add_argument("--shots", type=int, default=1,
                   help="personal: calibration images per class and person (default 1)")
    p.add_argument("--repeats", type=int, default=3,
                   help="personal: seeded draws of the calibration images per person")
    p.add_argument("--epochs", type=int, help="fine-tuning epochs (ckplus 30, sfew 20)")
    p.add_argument("--size", type=int,
                   help="input size for fine-tuning (default: each start checkpoint's own)")
    p.add_argument("--sizes", type=_size_list, metavar="N,N,...",
                   help="ckplus only, the paper's Table 4: fine-tune every member at each "
                        "size (e.g. 48,64,96) and choose each fold's sizes on the other folds")
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--lr", type=float, help="fine-tuning learning rate (default 5e-4)")
    p.add_argument("--augment", choices=MODES,
                   help="fine-tuning augmentation (default strong)")
    p.add_argument("--members", default="cnn1,cnn2",
                   help="members to run (e.g. cnn1 alone first; results are cached per member)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                   help="test-time flip when scoring (default: the app's model.flip, on)")
    from app.commands.basket import register_args

    register_args(p)  # basket: the ship rule that counts people (issue 27)
    p.set_defaults(func=run_protocol_command)


def _size_list(text: str) -> tuple[int, ...]:
    sizes = int_list(text)
    if not sizes or min(sizes) < 32:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of input sizes like 48,64,96")
    return sizes


def run_protocol_command(args: argparse.Namespace) -> int:
    from app.model.checkpoint import CheckpointError
    from app.paths import default_weights
    from app.train.distributed import DistContext
    from app.train.evaluate import confusion_from
    from app.train.faceset import DatasetError
    from app.train.protocols import run_protocol
    from app.train.report import save_confusion_png

    if args.benchmark == "personal":
        return run_personal_command(args)
    if args.benchmark == "basket":
        from app.commands.basket import run_basket_command

        return run_basket_command(args)
    if not args.out:
        print("emotune protocol: --out is required", file=sys.stderr)
        return 2
    shipped = default_weights()
    names = [n for n in args.members.split(",") if n in ("cnn1", "cnn2")]
    if not names:
        print("emotune protocol: --members must name cnn1 and/or cnn2", file=sys.stderr)
        return 2
    starts = {n: str(getattr(args, n) or shipped[n]) for n in names}
    missing = [p for p in starts.values() if not Path(p).is_file()]
    if missing:
        print(f"emotune protocol: start weights missing: {', '.join(missing)}; pass --cnn1/"
              "--cnn2 or train them first", file=sys.stderr)
        return 2
    kwargs: dict = {"root": args.root, "threads": args.threads}
    if args.benchmark in ("ckplus", "sfew"):
        kwargs["size"] = args.size
        if args.epochs:
            kwargs["epochs"] = args.epochs
        kwargs.update({k: v for k, v in (("lr", args.lr), ("augment", args.augment)) if v})
    if args.sizes and args.benchmark != "ckplus":
        print("emotune protocol: --sizes is for ckplus only (it chooses sizes on the other "
              "folds; sfew has no folds, and its Val must not choose)", file=sys.stderr)
        return 2
    if args.benchmark == "ckplus":
        kwargs["folds"] = args.folds
        if args.sizes:
            kwargs["sizes"] = args.sizes
    if args.flip is not None:
        kwargs["flip"] = args.flip
    ctx = DistContext.from_env()  # under torchrun: folds/members shared out over ranks
    try:
        result = run_protocol(args.benchmark, starts, Path(args.out), ctx=ctx, **kwargs)
    except (DatasetError, CheckpointError) as exc:
        print(f"emotune protocol: {exc}", file=sys.stderr)
        return 2
    finally:
        ctx.close()
    if not ctx.is_main:
        return 0
    for name, entry in result["models"].items():
        save_confusion_png(confusion_from(entry), Path(args.out) / f"confusion-{name}.png",
                           f"{name} on {result['data']} ({args.benchmark} protocol)")
    print(json.dumps({k: result[k] for k in ("n", "accuracy", "macro_f1", "uar")} |
                     {"models": {m: e["accuracy"] for m, e in result["models"].items()}},
                     indent=2))
    return 0


def run_personal_command(args: argparse.Namespace) -> int:
    from app.model.checkpoint import CheckpointError
    from app.train.faceset import DatasetError
    from app.train.personal import run_personal, write_report

    if not args.data:
        print("emotune protocol personal: --data is required (the CK+ or IMFDB folder or "
              ".tar.gz)", file=sys.stderr)
        return 2
    if args.shots < 1 or args.repeats < 1:
        print("emotune protocol personal: --shots and --repeats must be >= 1",
              file=sys.stderr)
        return 2
    weights = {n: Path(v) for n, v in (("cnn1", args.cnn1), ("cnn2", args.cnn2)) if v}
    missing = [str(p) for p in weights.values() if not p.is_file()]
    if missing:
        print(f"emotune protocol personal: no checkpoint at {', '.join(missing)}",
              file=sys.stderr)
        return 2
    try:
        result = run_personal(Path(args.data), args.shots, args.repeats,
                              threads=max(1, args.threads), weights=weights)
    except (DatasetError, OSError, CheckpointError) as exc:
        print(f"emotune protocol personal: {exc}", file=sys.stderr)
        return 2
    if args.out:
        write_report(result, Path(args.out))
    print(json.dumps({"data": result["data"], "people": result["people"],
                      "shots": result["shots"],
                      "accuracy": {k: v for k, v in result["summary"].items()
                                   if "images" not in k and k != "classes"},
                      "fit_ms_median": result["fit_ms_median"]}, indent=1))
    return 0
