"""The frame pipeline without Qt: detect -> crop -> predict -> FrameResult.

`FrameProcessor` is the first part of `pipeline.session.FrameSession`, which the GUI
worker, the benchmarks and the command line all run, so the numbers measured are the
numbers users get. It owns its detector and closes it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.config import AppConfig
from app.errors import Kind, UserError
from app.model.spec import CheckpointError, model_role
from app.paths import default_weights
from app.records import FaceBox, FaceCrop, FaceMesh, FaceResult, Frame, FrameResult, Prediction
from app.vision.crop import FaceCropper
from app.vision.detector import FaceDetector, create_detector
from app.vision.landmarks import FaceLandmarker, create_landmarker
from app.vision.tracking import TrackingDetector


class NoWeightsError(UserError, RuntimeError):
    """No trained weights are installed: the app must not present random predictions."""

    def __init__(self, sentence: str, detail: str = "") -> None:
        super().__init__(Kind.MISSING, sentence, detail)


class SettingError(UserError, ValueError):
    """A setting that cannot work (e.g. no member model chosen)."""

    def __init__(self, sentence: str, detail: str = "") -> None:
        super().__init__(Kind.BAD_SETTING, sentence, detail)


@dataclass(frozen=True)
class Detected:
    """The first half's output: a frame with its faces found and cropped."""

    frame: Frame
    dropped: int
    boxes: tuple[FaceBox, ...]
    wanted: tuple[FaceBox, ...]
    crops: tuple[FaceCrop, ...]
    timings_ms: dict[str, float]
    started: float  # perf_counter at the start of detection


class FrameProcessor:
    """Runs one frame through detection, cropping and (when weights exist) the predictor.

    The work is two halves, `detect` (detector + cropper) and `classify` (members +
    fusion), so the bench can overlap them on two threads (`app.bench.overlap`) and still
    run this very code. The main face is not chosen here: `pipeline.session` does that.
    """

    def __init__(self, detector: FaceDetector, cropper: FaceCropper, predictor,
                 landmarker: FaceLandmarker | None = None) -> None:
        """`predictor`: an `OnnxPredictor` or torch `Predictor`, or None (boxes only)."""
        self.detector = detector
        self.cropper = cropper
        self.predictor = predictor
        self.device = str(predictor.device) if predictor is not None else "cpu"
        # The face mesh of the largest face runs on its own thread while the members
        # classify (cv2.dnn and torch both release the GIL): the second core does it.
        self.landmarker = landmarker
        self._mesh_pool = ThreadPoolExecutor(1, "mesh") if landmarker is not None else None

    def mesh(self, image, box: FaceBox) -> FaceMesh | None:
        """The landmarker's mesh of one face (None without a landmarker or a face there)."""
        return self.landmarker.mesh(image, box) if self.landmarker is not None else None

    def _timed_mesh(self, image, box: FaceBox) -> tuple[FaceMesh | None, float]:
        t0 = time.perf_counter()
        mesh = self.landmarker.mesh(image, box)
        return mesh, (time.perf_counter() - t0) * 1000.0

    def process(self, frame: Frame, dropped: int = 0) -> FrameResult:
        return self.classify(self.detect(frame, dropped))

    def detect(self, frame: Frame, dropped: int = 0) -> Detected:
        t0 = time.perf_counter()
        boxes = self.detector.detect(frame.image, int(frame.timestamp * 1000))
        t1 = time.perf_counter()
        wanted = [b for b in boxes if self.cropper.accepts(b)]
        crops = self.cropper.crop_all(frame.image, wanted)
        t2 = time.perf_counter()
        return Detected(frame, dropped, tuple(boxes), tuple(wanted), tuple(crops),
                        {"detect": (t1 - t0) * 1000.0, "crop": (t2 - t1) * 1000.0}, t0)

    def classify(self, d: Detected) -> FrameResult:
        t0 = time.perf_counter()
        timings = dict(d.timings_ms)
        target = max(d.wanted, key=lambda b: b.area) if d.wanted and self._mesh_pool else None
        pending = self._mesh_pool.submit(self._timed_mesh, d.frame.image, target) \
            if target is not None else None
        predictions: dict[int, Prediction] = {}
        if self.predictor is not None and d.crops:
            out = self.predictor.predict_batch([c.image for c in d.crops])
            timings.update(out.timings_ms)
            predictions = {id(b): q for b, q in zip(d.wanted, out.predictions, strict=True)}
        mesh = None
        if pending is not None:
            mesh, timings["landmarks"] = pending.result()
        faces = tuple(FaceResult(b, predictions.get(id(b)), mesh if b is target else None)
                      for b in d.boxes)
        # "total" is the work done on this frame (both halves), not the wall time between.
        timings["total"] = d.timings_ms["detect"] + d.timings_ms["crop"] + \
            (time.perf_counter() - t0) * 1000.0
        return FrameResult(frame=d.frame, faces=faces, primary=None, timings_ms=timings,
                           dropped=d.dropped, device=self.device)

    def close(self) -> None:
        self.detector.close()
        if self._mesh_pool is not None:
            self._mesh_pool.shutdown(wait=True)
            self.landmarker.close()


def resolve_weights(config: AppConfig) -> dict[str, Path]:
    """Checkpoint paths of the configured members (configured path, else the shipped file)."""
    shipped = default_weights()
    paths = {}
    for name in config.model.members:
        configured = getattr(config.model, name, "")
        paths[name] = Path(configured).expanduser() if configured else shipped[name]
    return paths


BACKENDS = ("onnx", "torch")


def build_predictor(config: AppConfig, backend: str = "onnx"):
    """Load the configured members; NoWeightsError when none is installed.

    `backend` "onnx" (the app's: ONNX Runtime, no torch) reads the exported graphs
    (`models/<name>.int8.onnx` or `.onnx`; a configured `.pt` checkpoint is read through the
    graph exported beside it); "torch" (training tools) loads the PyTorch checkpoints.
    A path typed in Settings or on the command line must exist and hold the architecture of
    its slot (a CNN_2 file given as CNN_1 is refused): CheckpointError naming the file. Only
    the shipped files may be absent (before training), and then only all of them."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not config.model.members:
        raise SettingError("No model is chosen: tick CNN_1 or CNN_2 in Settings > Models.",
                           "model.members is empty")
    paths = resolve_weights(config)
    for name, path in paths.items():
        if getattr(config.model, name, "") and not path.exists():
            raise CheckpointError(path, f"the {name.upper()} checkpoint set in the settings or "
                                  "on the command line does not exist", Kind.MISSING,
                                  model_role(name))
    level = config.model.optimize
    if backend == "onnx":  # the shipped weights are the graphs beside the (absent) .pt
        from app.model.runtime import existing_graph

        present = {n: p for n, p in paths.items() if p.exists() or existing_graph(p, level)}
    else:
        present = {n: p for n, p in paths.items() if p.exists()}  # a folder: read_checkpoint
    if not present:
        raise NoWeightsError(
            "No trained weights are installed, so faces are found but not classified: train "
            "them with `python -m app train` and `python -m app export-onnx`, or point "
            "Settings > Models at model files.",
            "no trained weights: looked for " + ", ".join(str(p) for p in paths.values()))
    if backend == "onnx":  # a .pt path is read through the graphs exported beside it
        from app.model.runtime import OnnxPredictor, load_member_graph

        loaded = [load_member_graph(p, name, level, expect_arch=name,
                                    threads=config.model.threads)
                  for name, p in present.items()]
        return OnnxPredictor([m for m, _ in loaded], fusion=config.model.fusion,
                             flip=config.model.flip, notes=[n for _, n in loaded])
    from app.model.checkpoint import load_checkpoint
    from app.model.predictor import Predictor

    members = [load_checkpoint(path, expect_arch=name, name=name)
               for name, path in present.items()]
    return Predictor(members, fusion=config.model.fusion, device=config.model.device,
                     threads=config.model.threads, optimize=config.model.optimize,
                     flip=config.model.flip)


def build_processor(config: AppConfig, mode: str = "video",
                    require_weights: bool = True, backend: str = "onnx") -> FrameProcessor:
    """The app's pipeline from settings; without weights, raises NoWeightsError unless
    `require_weights` is False (then faces are found but not classified)."""
    try:
        predictor = build_predictor(config, backend)
    except NoWeightsError:
        if require_weights:
            raise
        predictor = None
    size = max(m.spec.input_size for m in predictor.members) if predictor else 96
    cropper = FaceCropper(size=size, margin=config.model.crop_margin,
                          min_face_px=config.model.min_face_px)
    detector = create_detector(config.model.detector, mode=mode,
                               min_score=config.model.detect_score,
                               max_faces=config.model.max_faces)
    if mode == "video" and config.model.detect_every > 1:  # stills are unrelated frames
        detector = TrackingDetector(detector, every=config.model.detect_every)
    landmarker = create_landmarker() if config.face_gestures.enabled else None
    return FrameProcessor(detector, cropper, predictor, landmarker)


__all__ = ["BACKENDS", "CheckpointError", "Detected", "FrameProcessor", "NoWeightsError",
           "SettingError", "build_predictor", "build_processor", "resolve_weights"]
