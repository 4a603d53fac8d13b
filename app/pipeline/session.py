"""One frame session: every step after capture, once, without Qt.

    frame -> processor (detect -> crop -> members -> fusion) -> main face -> automatic
    neutral (no profile) | profile -> smoother -> gestures -> music decision -> FrameResult

The GUI worker, `bench`, `bench-control` and the self-test all drive a `FrameSession`, so
what the benchmarks measure is what the window does: the same main face, the same
smoothed state, gestures fed the same (smoothed) probabilities, the same music controller.
The worker only moves frames in and results out.

A personal profile plugs in between the main face and the smoother: any callable
`Prediction -> Prediction` (`PredictionHook`; the profile's is `app.profiles.apply.ProfileHook`,
the file record `app.profiles.profile.Profile`), applied to the main face's fused prediction
only; the transformed prediction is what the smoother, the gestures and the UI then see.
Without a profile, the automatic neutral (`pipeline.neutral.AutoNeutral`, setting
`smoothing.auto_neutral`) takes that place: it reads the main face relative to the
resting face it learns while the person stays in front.

Thread use: `step` runs on one thread (the worker's); `set_pin`, `pause_gestures`,
`set_gesture_config` and the guided check's `check.start`/`check.reset`
(`pipeline.check.SessionCheck`) may be called from another (the window) and take effect on
the next frame.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Protocol

from app.config import FaceGestureConfig, GestureConfig, SmoothingConfig
from app.music.face_gestures import FaceGestureDetector
from app.music.gestures import GestureDetector, probs_for_gestures
from app.pipeline.check import SessionCheck
from app.pipeline.neutral import AutoNeutral
from app.pipeline.primary import Point, pick_primary
from app.pipeline.smoothing import EmotionSmoother
from app.records import (
    MARK_ACTION,
    EmotionState,
    FaceResult,
    Frame,
    FrameResult,
    GestureEvent,
    MusicAction,
    Prediction,
)

# The per-user hook: transforms the main face's fused prediction (issue 15's profiles).
PredictionHook = Callable[[Prediction], Prediction]


class Processor(Protocol):
    """Frame -> faces with predictions (`pipeline.engine.FrameProcessor`, or a fake)."""

    def process(self, frame: Frame, dropped: int = 0) -> FrameResult: ...

    def close(self) -> None: ...


class MusicSink(Protocol):
    """What the session asks of the music (`music.controller.MusicController`)."""

    def update(self, state: EmotionState, gesture: GestureEvent | None,
               t: float) -> list[MusicAction]: ...


class FrameSession:
    """Runs one frame through every step and returns the complete `FrameResult`.

    `music` is optional (None: no music decisions, e.g. `bench`); the session does not own
    it (the window's buttons drive the same controller), but owns and closes `processor`.
    """

    def __init__(self, processor: Processor, smoothing: SmoothingConfig | None = None,
                 gestures: GestureConfig | None = None, music: MusicSink | None = None,
                 profile: PredictionHook | None = None,
                 face_gestures: FaceGestureDetector | FaceGestureConfig | None = None) -> None:
        self.processor = processor
        self.smoother = EmotionSmoother(smoothing)
        cfg = smoothing or SmoothingConfig()
        self.neutral = AutoNeutral(cfg.neutral_cap) if cfg.auto_neutral else None
        self.gestures = GestureDetector(gestures)
        # Face gestures read the main face's blendshapes (processor with a landmarker).
        self.face_gestures = face_gestures if isinstance(face_gestures, FaceGestureDetector) \
            else FaceGestureDetector(face_gestures)
        self._face_pending: FaceGestureDetector | None = None
        self.music = music
        self.profile = profile
        self._lock = threading.Lock()
        self._pin: Point | None = None
        self._gestures_paused = False
        self._neutral_paused = False
        self._gesture_config: GestureConfig | None = None  # a pending change
        self._soon: list[Callable[[FrameSession], None]] = []
        self._reset_pending = False
        # The guided check steps here, with the frame it counts (the window hands checks
        # over through it from its own thread; the worker passes the window's one on).
        self.check = SessionCheck()

    # ---- called from any thread -------------------------------------------------------
    def set_pin(self, point: Point | None) -> None:
        """Pin the face nearest `point` (frame pixels) as the main face; None = largest."""
        with self._lock:
            self._pin = point

    @property
    def pin(self) -> Point | None:
        with self._lock:
            return self._pin

    def call_soon(self, fn: Callable[[FrameSession], None]) -> None:
        """Run `fn(session)` on the session's own thread after the current frame (the
        window prepares a calibration or switches profiles this way: the predictor is only
        ever touched by the thread that runs it)."""
        with self._lock:
            self._soon.append(fn)

    def pause_gestures(self, paused: bool) -> None:
        """While paused the gesture detector sees no face (the guided check asks for happy
        and surprise, which are also gestures)."""
        with self._lock:
            self._gestures_paused = bool(paused)

    def pause_neutral(self, paused: bool) -> None:
        """While paused the automatic neutral passes readings through unchanged (and
        learns nothing): a calibration records the shipped weights' own readings, which is
        what a profile receives when it runs."""
        with self._lock:
            self._neutral_paused = bool(paused)

    def set_gesture_config(self, cfg: GestureConfig) -> None:
        """New gesture settings apply from the next frame (holds start over)."""
        with self._lock:
            self._gesture_config = cfg

    def set_face_gestures(self, detector: FaceGestureDetector) -> None:
        """A new face-gesture detector (settings or a profile's calibration changed) from
        the next frame."""
        with self._lock:
            self._face_pending = detector

    def reset_soon(self) -> None:
        """`reset` and unpin before the next frame, from any thread (a new booth visitor)."""
        with self._lock:
            self._reset_pending = True
            self._pin = None

    # ---- the frame path -------------------------------------------------------------
    def step(self, frame: Frame, dropped: int = 0) -> FrameResult:
        """One frame through the processor and every later step."""
        return self.decide(self.processor.process(frame, dropped))

    def decide(self, result: FrameResult) -> FrameResult:
        """Every step after the processor, for a processor's result (the bench's overlapped
        loop runs the processor's stages itself and calls this)."""
        with self._lock:
            primary, self._pin = pick_primary(result.faces, self._pin)
            paused = self._gestures_paused
            neutral = self.neutral if not self._neutral_paused else None
            if self._gesture_config is not None:
                self.gestures = GestureDetector(self._gesture_config)
                self._gesture_config = None
            if self._face_pending is not None:
                self.face_gestures, self._face_pending = self._face_pending, None
            if self._reset_pending:
                self._reset_pending = False
                self.reset()
        faces = result.faces
        face = faces[primary] if primary is not None else None
        prediction = face.prediction if face is not None else None
        t = result.frame.timestamp
        if prediction is not None and (self.profile is not None or neutral is not None):
            prediction = self.profile(prediction) if self.profile is not None \
                else neutral(prediction, t, face.box)
            faces = faces[:primary] + (FaceResult(face.box, prediction, face.mesh),) \
                + faces[primary + 1:]
        check = self.check.step(prediction.index if prediction is not None else None, t)
        # The check asks for happy and surprise, which are also gestures: none while it runs.
        paused = paused or (check is not None and check.running)
        state = self.smoother.update(prediction.probs if prediction is not None else None, t)
        gesture = self.gestures.update(None if paused else probs_for_gestures(state), t)
        mesh = self._main_mesh(result, face)
        if mesh is not None and faces[primary].mesh is None:
            faces = faces[:primary] + (dataclasses.replace(faces[primary], mesh=mesh),) \
                + faces[primary + 1:]
        blendshapes = None if paused or mesh is None else mesh.blendshapes
        face_gesture = self.face_gestures.update(blendshapes, t)
        gesture = face_gesture or gesture  # the deliberate movement wins a same-frame tie
        to_music = None if gesture is not None and gesture.action == MARK_ACTION else gesture
        actions = tuple(self.music.update(state, to_music, t)) if self.music is not None \
            else ()
        self._run_soon()
        return dataclasses.replace(result, faces=faces, primary=primary, state=state,
                                   gesture=gesture, actions=actions, check=check,
                                   hold=self.face_gestures.hold,
                                   face_levels=dict(self.face_gestures.levels))

    def _main_mesh(self, result: FrameResult, face: FaceResult | None):
        """The main face's mesh: the processor's (made for the largest face), or made now
        when the main face is another (a pinned smaller face)."""
        if face is None or face.mesh is not None:
            return None if face is None else face.mesh
        mesh_of = getattr(self.processor, "mesh", None)
        if mesh_of is None or getattr(self.processor, "landmarker", None) is None:
            return None
        return mesh_of(result.frame.image, face.box)

    def _run_soon(self) -> None:
        with self._lock:
            calls, self._soon = self._soon, []
        for fn in calls:
            fn(self)

    def reset(self) -> None:
        """Forget the smoothed state and gesture holds (a new source)."""
        self.smoother.reset()
        self.gestures.reset()
        self.face_gestures.reset()
        landmarker = getattr(self.processor, "landmarker", None)
        if landmarker is not None:
            landmarker.reset()
        if self.neutral is not None:
            self.neutral.reset()

    def close(self) -> None:
        self.processor.close()


__all__ = ["FrameSession", "MusicSink", "Processor", "PredictionHook"]
