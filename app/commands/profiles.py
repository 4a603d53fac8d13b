"""Personal profiles on the command line: `protocol personal` (through `protocol`) and
`calibrate` (a scripted video -> a profile file).

    python -m app protocol personal --data DIR --shots K [--out DIR]
    python -m app calibrate --video V --script S.json --out PROFILE
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """`calibrate` is added once the frame session exists (see app.profiles.calibration)."""


def run_personal_command(args: argparse.Namespace) -> int:
    from app.profiles.protocol import run_personal, write_report
    from app.train.faceset import DatasetError

    if not args.data:
        print("emotune protocol personal: --data is required (the CK+ or IMFDB folder or "
              ".tar.gz)", file=sys.stderr)
        return 2
    if args.shots < 1 or args.repeats < 1:
        print("emotune protocol personal: --shots and --repeats must be >= 1",
              file=sys.stderr)
        return 2
    try:
        result = run_personal(Path(args.data), args.shots, args.repeats,
                              threads=max(1, args.threads))
    except (DatasetError, OSError) as exc:
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
