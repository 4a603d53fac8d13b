"""File digests without torch: a profile records the SHA-256 of the weights it was fitted on,
and reading a JSON profile must not pull in torch (the static int8 companions and the
zero-shot report hash the same way)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (checkpoints are several MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
