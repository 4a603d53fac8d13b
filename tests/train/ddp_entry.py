"""Entry for the DDP tests: `[--audit DIR] [--no-dropout] -- APP ARGS`, run alone or by torchrun.

--audit DIR   records every file this process opens for writing, renames, creates or
              removes (Python's audit hooks) and writes the list to DIR/rank<R>.json at exit:
              the test reads which rank wrote what.
--no-dropout  Dropout layers become the identity. Dropout masks are each rank's own draws,
              the one random step that cannot match a single process bit for bit.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from pathlib import Path

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _record_writes(folder: Path) -> None:
    written: list[str] = []
    active = [True]

    def hook(event: str, args: tuple) -> None:
        if not active[0]:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            if (mode and any(c in mode for c in "wax+")) or (
                    not mode and isinstance(flags, int) and flags & WRITE_FLAGS):
                written.append(os.fsdecode(args[0]))
        elif event in ("os.rename", "os.replace", "os.mkdir", "os.remove", "os.rmdir"):
            path = args[1] if event in ("os.rename", "os.replace") else args[0]
            if isinstance(path, (str, bytes, os.PathLike)):
                written.append(os.fsdecode(path))

    def dump() -> None:
        active[0] = False
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"rank{os.environ.get('RANK', '0')}.json").write_text(json.dumps(written))

    sys.addaudithook(hook)
    atexit.register(dump)


def main(argv: list[str]) -> int:
    if "--" in argv:
        split = argv.index("--")
        options, app_args = argv[:split], argv[split + 1:]
    else:  # torchrun drops a "--" right after the script
        options, app_args = [], argv
    if "--audit" in options:
        _record_writes(Path(options[options.index("--audit") + 1]))
    if "--no-dropout" in options:
        import torch

        torch.nn.Dropout.forward = lambda self, x: x
    from app.__main__ import main as app_main

    return app_main(app_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
