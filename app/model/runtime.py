"""The app's predictor without torch: member ONNX graphs on ONNX Runtime, then fusion.

`OnnxPredictor` has the interface of the torch `Predictor` (`predict_batch`, `members`,
`names`, `embed`, `optimize_status`, ...) so the session, the commands and the profiles
use either; the app builds this one (`pipeline.engine.build_predictor`), the training
tools may ask for `backend="torch"`. Its numbers are the torch path's: the same
preprocessing (`preprocess.to_array`), test-time flip in the same batch, temperature,
softmax in float32 and the same fusion; docs/RESULTS.md gives the measured agreement.

Which file runs: the `optimize` setting's int8 levels ("static", "full", "int8") take
`<name>.int8.onnx` when it is there, the others (and a missing int8 file) `<name>.onnx`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.errors import Kind
from app.hashing import file_sha256
from app.model.batch import BatchOutput, FusingPredictor
from app.model.fusion import fuse
from app.model.onnx_graph import load_onnx_member
from app.model.preprocess import to_array
from app.model.spec import CheckpointError, LoadedModel, model_role

INT8_LEVELS = ("static", "full", "int8")
FLOAT_SUFFIX = ".onnx"
INT8_SUFFIX = ".int8.onnx"
_SLOWER = "slower: no int8 graph runs"


@dataclass(frozen=True)
class OptimizeNote:
    """What inference optimisation one member got, as data for code and a line for people.

    `int8_file` is "used" (the int8 file runs), "absent" (there is none: normal for a
    checkpoint of your own) or "unusable" (one exists but is stale or damaged: still
    correct, only slower; the window says how to remake it). Callers decide on these
    fields, never on the wording of `detail`.
    """

    member: str
    int8_file: str
    detail: str
    # what runs instead, for people: the torch backend's level "full", here a float graph
    fallback: str = "using level full"

    @property
    def fell_back(self) -> bool:
        """Static int8 was wanted but something slower runs instead."""
        return self.int8_file != "used"

    def __str__(self) -> str:
        return f"{self.member}: {self.detail}" + (f"; {self.fallback}" if self.fell_back
                                                   else "")


@dataclass(frozen=True)
class CpuDevice:
    """ONNX Runtime runs on the CPU here; `.type` as torch.device has it, for callers."""

    type: str = "cpu"

    def __str__(self) -> str:
        return self.type


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits.astype(np.float32) / np.float32(temperature) if temperature != 1.0 else \
        logits.astype(np.float32)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _halves(a: np.ndarray) -> np.ndarray:
    half = len(a) // 2
    return (a[:half] + a[half:]) / np.float32(2.0)


def onnx_candidates(base: str | os.PathLike, level: str | None) -> list[Path]:
    """The ONNX files a member stem may have, preferred first: `models/cnn1` (or the
    checkpoint `models/cnn1.pt`) -> cnn1.int8.onnx, cnn1.onnx for an int8 level."""
    base = Path(base)
    stem = base.with_suffix("") if base.suffix == ".pt" else base
    files = [stem.with_name(stem.name + INT8_SUFFIX), stem.with_name(stem.name + FLOAT_SUFFIX)]
    return files if (level or "none") in INT8_LEVELS else files[::-1]


def existing_graph(base: str | os.PathLike, level: str | None) -> Path | None:
    """The first of `onnx_candidates(base, level)` that is a file, or None."""
    return next((p for p in onnx_candidates(base, level) if p.is_file()), None)


def load_member_graph(path: str | os.PathLike, name: str, level: str | None,
                      expect_arch: str | None = None, threads: int = 1
                      ) -> tuple[LoadedModel, OptimizeNote]:
    """Load a member from an `.onnx` file, or through a checkpoint path `x.pt` from the
    graphs exported beside it (`x.int8.onnx` first at an int8 level, then `x.onnx`; when
    `x.pt` exists a graph must carry its SHA-256, so a retrained checkpoint never runs
    with stale graphs). The note says whether the int8 graph runs, and why not."""
    path = Path(path)
    wanted = (level or "none") in INT8_LEVELS
    if path.suffix == ".pt" and path.is_dir():
        raise CheckpointError(path, "a folder, not a file", Kind.NOT_READABLE, model_role(name))
    if path.suffix != ".pt":
        member = load_onnx_member(path, expect_arch=expect_arch, name=name, threads=threads)
        int8 = member.module.precision == "int8"
        return member, OptimizeNote(name, "used" if int8 or not wanted else "absent",
                                    f"{member.module.precision} graph {path}", _SLOWER)
    digest = file_sha256(path) if path.is_file() else None
    faults: list[str] = []
    kind = Kind.DAMAGED
    for candidate in onnx_candidates(path, level):
        if not candidate.is_file():
            continue
        try:
            member = load_onnx_member(candidate, expect_arch=expect_arch, name=name,
                                      threads=threads)
        except CheckpointError as exc:
            faults.append(exc.detail)
            kind = exc.kind
            continue
        if digest is not None and member.module.meta.get("source_sha256") != digest:
            faults.append(f"{candidate} was exported from another checkpoint than {path}; "
                          "export it again")
            kind = Kind.OTHER_MODEL
            continue
        precision = member.module.precision
        state = "used" if precision == "int8" or not wanted else \
            "unusable" if faults else "absent"
        detail = "; ".join([*faults, f"{precision} graph {candidate}"])
        return member, OptimizeNote(name, state, detail, _SLOWER)
    if faults:
        raise CheckpointError(path, "; ".join(faults), kind, model_role(name))
    if path.is_file() and not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise CheckpointError(path, "neither an ONNX graph nor a PyTorch checkpoint (truncated, "
                              "damaged or another kind of file)", Kind.DAMAGED,
                              model_role(name))
    raise CheckpointError(path, "a PyTorch checkpoint with no ONNX graph beside it, and the "
                          "app runs ONNX graphs; write them with `python -m app export-onnx "
                          f"{path}` (they go beside it), or pass --backend torch where the "
                          "command offers it", Kind.UNSUPPORTED, model_role(name))


class OnnxPredictor(FusingPredictor):
    """Scores face crops with every member graph and fuses their softmax outputs."""

    def __init__(self, members: Sequence[LoadedModel], fusion: str = "product",
                 weights: Sequence[float] | None = None, flip: bool = False,
                 notes: Sequence[OptimizeNote] = ()) -> None:
        if not members:
            raise ValueError("a Predictor needs at least one member model")
        self.members = list(members)
        self.device = CpuDevice()
        self.fusion = fusion
        self.flip = bool(flip)
        self.weights = None if weights is None else list(weights)
        self.embed = False  # also return embeddings (a personal profile is active)
        self.optimize_status = list(notes)
        self.backend = "onnx"
        fuse(fusion, [np.full(7, 1 / 7)] * len(self.members), self.weights)  # validate early

    def enable_embeddings(self, names: Sequence[str] | None = None) -> None:
        """Return the embeddings of members `names` (default all) from now on; every
        exported graph has them as a second output, so nothing is reloaded."""
        names = set(names) if names is not None else set(self.names)
        lacking = [m.name for m in self.members
                   if m.name in names and not m.module.gives_embedding]
        if lacking:
            raise RuntimeError(f"the graphs of {lacking} have no embedding output; export "
                               "them again with `python -m app export-onnx`")
        self.embed = True

    def _score_member(self, member: LoadedModel, images: Sequence[np.ndarray], embed: bool
                      ) -> tuple[np.ndarray, np.ndarray | None]:
        spec = member.spec
        x = to_array(images, spec.input_size, spec.preprocess)
        if self.flip:
            x = np.concatenate([x, x[..., ::-1]])
        logits, emb = member.module.run(x, embed)
        probs = _softmax(logits, spec.temperature)
        if self.flip:
            probs = _halves(probs)
            emb = None if emb is None else _halves(emb)
        return probs.astype(np.float64), None if emb is None else emb.astype(np.float32)


__all__ = ["INT8_LEVELS", "BatchOutput", "CpuDevice", "OnnxPredictor", "OptimizeNote",
           "existing_graph", "load_member_graph", "onnx_candidates"]
