"""`--backend`: which runtime a command's models run on.

"onnx" (default) is the app's: the exported graphs on ONNX Runtime, no torch. "torch"
loads the PyTorch checkpoints, for the training tools (it needs the `train` extra).
"""

from __future__ import annotations

import argparse

BACKENDS = ("onnx", "torch")  # app.pipeline.engine.BACKENDS; a test keeps them equal


def add_backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=BACKENDS, default="onnx",
                   help="onnx (default): the app's runtime, the exported graphs "
                        "(models/*.onnx); torch: the PyTorch checkpoints (needs the train "
                        "extra)")


def torch_missing(command: str, backend: str) -> str | None:
    """A message when `--backend torch` is asked for but torch is not installed."""
    if backend != "torch":
        return None
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return (f"emotune {command}: --backend torch needs PyTorch (pip install -e "
                "'.[train]'); the default backend onnx runs without it")
    return None
