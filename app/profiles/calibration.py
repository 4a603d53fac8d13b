"""Calibration: a recorded guided check becomes labelled frames, a head and a profile.

The prompt labels the frames: while the check (or a video script) asks for an expression,
every frame whose primary face is present and steady is kept with that label. Frames in
the countdown, the first `settle_s` of each expression (the face is still changing) and
its last `tail_s` (the user anticipates the next prompt) are dropped. Any expression may be
left out; the profile then covers the expressions recorded (plus neutral).

The guard: the last `holdout` fraction of each expression's frames (in time, so near-copy
neighbours of the fitting frames are not the test) is held out, the head is fitted on the
rest, and the profile is kept only if it beats the shipped model on the held-out frames.
The kept profile is then refitted on every frame. Both confusion matrices are returned for
the before/after view; below 95 % on the held-out frames the report also says, per
expression, which ones the profile cannot tell apart (`separation_advice`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from app.labels import EMOTIONS
from app.metrics import ConfusionMatrix
from app.profiles import features as F
from app.profiles.features import Features
from app.profiles.fused import describe
from app.profiles.heads import fit_head
from app.profiles.profile import GestureBinding, Profile

# Chosen by `protocol personal` (docs/PROFILES.md, issue 27): class means over the members'
# log-probabilities and CNN_1's embedding, with the base's weight and temperature fitted per
# person (app.profiles.fused). The fixed-weight prototype head (lam 1) let a confident base
# outvote the person's own frames; this one fixes what it was shown. Numpy only.
DEFAULT_KIND = "fused"
DEFAULT_LAM = 0.0
TARGET_HELD_OUT = 0.95
DEFAULT_MEMBERS = ("cnn1",)
# The fused head's embedding block is off by default: measured with and without CNN_1's
# embedding (docs/PROFILES.md), it adds nothing on a person's other pictures (IMFDB K = 5,
# other films: 41.8 % with, 42.8 % without) and the cross-validation cannot see that, as
# one sitting's frames are near copies; without it no embedding graph runs. ("cnn1",)
# turns the block on again.
FUSED_MEMBERS: tuple[str, ...] = ()


def default_members(kind: str) -> tuple[str, ...] | None:
    """The members whose embeddings head `kind` reads by default (None: all of them)."""
    if kind == "fused":
        return FUSED_MEMBERS
    return None if kind in ("finetune", "linear") else DEFAULT_MEMBERS


@dataclass
class CalibrationRecorder:
    """Collects (time, label, features) of steady, prompted frames (module docstring)."""

    settle_s: float = 0.6
    tail_s: float = 0.2
    steady_frac: float = 0.08  # box centre may move this fraction of its width per frame
    times: list[float] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    parts: list[Features] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=lambda: {
        "no prompt": 0, "transition": 0, "no face": 0, "unsteady": 0})
    _last_box: tuple[float, float, float] | None = None

    def add(self, t: float, label: str | None, window: tuple[float, float] | None,
            feats: Features | None, box: tuple[int, int, int, int] | None) -> bool:
        """Offer one frame: `label` the prompted expression (None: countdown or no prompt),
        `window` the (start, end) seconds of that prompt, `feats` the primary face's
        features (one row) and `box` its (x, y, w, h). True when the frame was kept."""
        steady = self._steady(box)
        if label is None or window is None:
            return self._drop("no prompt")
        if t < window[0] + self.settle_s or t > window[1] - self.tail_s:
            return self._drop("transition")
        if feats is None or box is None:
            return self._drop("no face")
        if not steady:
            return self._drop("unsteady")
        self.times.append(float(t))
        self.labels.append(EMOTIONS.index(label))
        self.parts.append(feats)
        return True

    def _steady(self, box) -> bool:
        if box is None:
            self._last_box = None
            return False
        x, y, w, h = box
        centre = (x + w / 2.0, y + h / 2.0, float(w))
        last, self._last_box = self._last_box, centre
        if last is None:
            return False  # the first frame of a face: no motion known yet
        moved = np.hypot(centre[0] - last[0], centre[1] - last[1])
        return bool(moved <= self.steady_frac * max(w, 1))

    def _drop(self, why: str) -> bool:
        self.dropped[why] += 1
        return False

    def dataset(self) -> tuple[Features, np.ndarray, np.ndarray]:
        if not self.parts:
            raise ValueError("no calibration frame was kept: the face must be visible and "
                             "steady while an expression is asked for")
        return F.concat(self.parts), np.array(self.labels), np.array(self.times)


def separation_advice(after: ConfusionMatrix, target: float = TARGET_HELD_OUT
                      ) -> list[str]:
    """Sentences a person understands, one per pair of expressions the profile mixes up on
    the held-out frames (an expression below `target` recall, with the one it is most often
    taken for); none when the held-out accuracy reaches `target`."""
    counts = np.asarray(after.counts)
    if not counts.sum() or after.accuracy() >= target:
        return []
    out, seen = [], set()
    for t in range(len(EMOTIONS)):
        row = counts[t]
        if not row.sum() or row[t] / row.sum() >= target:
            continue
        wrong = row.copy()
        wrong[t] = 0
        o = int(wrong.argmax())
        pair = frozenset((t, o))
        if pair in seen:
            continue
        seen.add(pair)
        share = round(100 * row[o] / row.sum())
        if not counts[o].sum():  # the other one was never recorded: nothing to separate
            out.append(f"Your {EMOTIONS[t]} reads as {EMOTIONS[o]} ({share} % of your "
                       f"{EMOTIONS[t]} frames), and {EMOTIONS[o]} was not recorded: record "
                       f"{EMOTIONS[o]} too, so the profile can tell them apart.")
            continue
        out.append(f"Your {EMOTIONS[t]} and {EMOTIONS[o]} look alike to the model ({share} % "
                   f"of your {EMOTIONS[t]} frames read as {EMOTIONS[o]}): record them again, "
                   "or leave one out.")
    return out


@dataclass(frozen=True)
class GuardReport:
    kept: bool
    before: ConfusionMatrix
    after: ConfusionMatrix
    frames_fit: int
    frames_held_out: int
    fit_s: float
    head: dict = field(default_factory=dict)  # the fused head's fitted weights

    @property
    def advice(self) -> list[str]:
        return separation_advice(self.after)

    def as_dict(self) -> dict:
        return {"kept": self.kept, "before_accuracy": round(self.before.accuracy(), 4),
                "after_accuracy": round(self.after.accuracy(), 4),
                "frames_fit": self.frames_fit, "frames_held_out": self.frames_held_out,
                "fit_s": round(self.fit_s, 3), "advice": self.advice, "head": self.head,
                # the before/after view redraws both matrices from the profile file
                "before_counts": self.before.counts.tolist(),
                "after_counts": self.after.counts.tolist()}


def holdout_split(labels: np.ndarray, times: np.ndarray, holdout: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Fit and held-out indices: per expression, its last `holdout` fraction in time (at
    least one frame of each expression with two or more frames stays on each side)."""
    fit, held = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[np.argsort(times[idx], kind="stable")]
        n_held = int(round(len(idx) * holdout))
        n_held = min(max(n_held, 1 if len(idx) > 1 else 0), len(idx) - 1)
        fit += list(idx[:len(idx) - n_held])
        held += list(idx[len(idx) - n_held:])
    return np.array(sorted(fit), np.int64), np.array(sorted(held), np.int64)


def fit_profile(name: str, feats: Features, labels: np.ndarray, times: np.ndarray,
                weights: dict[str, str], kind: str = DEFAULT_KIND, lam: float | None = None,
                scope: str = "subset", holdout: float = 0.25, last_layers=None,
                members: tuple[str, ...] | None = None,
                gestures: tuple[GestureBinding, ...] = (), images: np.ndarray | None = None
                ) -> tuple[Profile, GuardReport]:
    """The guarded fit of the module docstring; returns the profile (refitted on every
    frame) and the guard's report (`kept` False: the caller must not save it)."""
    t0 = time.perf_counter()
    if lam is None:  # the fused head fits its base weight; the older heads add it at 1
        lam = DEFAULT_LAM if kind == "fused" else 1.0
    fit_idx, held_idx = holdout_split(labels, times, holdout)
    if len(np.unique(labels[fit_idx])) < 2 or not len(held_idx):
        raise ValueError("calibration needs at least two expressions (e.g. neutral and one "
                         "more) with a few steady frames each")
    members = default_members(kind) if members is None else members
    members = None if kind == "bias" else tuple(
        m for m in (feats.embeddings if members is None else members)
        if m in feats.embeddings)
    head = fit_head(kind, feats.take(fit_idx), labels[fit_idx], scope, lam, members,
                    last_layers)
    held = feats.take(held_idx)
    before = ConfusionMatrix.from_predictions(labels[held_idx], held.base_logp.argmax(1))
    after = ConfusionMatrix.from_predictions(labels[held_idx], head.log_probs(held).argmax(1))
    kept = after.accuracy() > before.accuracy() or before.accuracy() == after.accuracy() == 1
    final = fit_head(kind, feats, labels, scope, lam, members, last_layers)
    report = GuardReport(bool(kept), before, after, len(fit_idx), len(held_idx),
                         time.perf_counter() - t0,
                         describe(final.params) if kind == "fused" else {})
    calib = {f"emb__{k}": v for k, v in feats.embeddings.items()}
    calib.update({"labels": labels, "times": times, "base_logp": feats.base_logp})
    profile = Profile(name, final, dict(weights), gestures, guard=report.as_dict(),
                      calibration=calib, images=images,
                      created=time.strftime("%Y-%m-%dT%H:%M:%S"))
    return profile, report


# ---- shared by `python -m app calibrate` and the window's "Calibrate (make a profile)" --
def prepare_recording(predictor, kind: str = DEFAULT_KIND) -> tuple[str, ...] | None:
    """Make `predictor` return what head `kind` reads (the embeddings of its members);
    returns those members (None: all of them). Run on the predictor's own thread."""
    from app.profiles.apply import enable_embeddings

    members = default_members(kind)
    if kind != "bias" and members != ():  # bias and a log-probability-only fused head
        enable_embeddings(predictor, members)  # read the fused probabilities only
    return members


def offer_result(recorder: CalibrationRecorder, result, label: str | None,
                 window: tuple[float, float] | None) -> bool:
    """Offer one `FrameResult` (its main face, at its timestamp) to the recorder, prompted
    with `label` over `window` (None: no prompt). Its prediction must be the shipped
    weights' (no profile applied), since those are the features a head is fitted on."""
    from app.profiles.apply import prediction_features

    face = result.primary_face
    pred = face.prediction if face is not None else None
    return recorder.add(result.frame.timestamp, label, window,
                        prediction_features(pred) if pred is not None else None,
                        tuple(face.box.as_list()) if pred is not None else None)


def default_gestures(cfg, labels) -> tuple[GestureBinding, ...]:
    """The configured gestures whose expression was calibrated, as the profile's own (the
    user then tunes each one's threshold and hold time in Settings > Profiles)."""
    shown = {EMOTIONS[int(i)] for i in set(np.asarray(labels).tolist())}
    return tuple(GestureBinding(e, a, cfg.threshold, cfg.hold_s)
                 for e, a in cfg.mapping.items() if e in shown)


def fit_recorded(name: str, recorder: CalibrationRecorder, predictor, gesture_cfg,
                 kind: str = DEFAULT_KIND, members: tuple[str, ...] | None = None,
                 images: np.ndarray | None = None) -> tuple[Profile, GuardReport]:
    """The recorded frames -> the guarded fit (`fit_profile`) on the predictor's weights,
    with the configured gestures of the recorded expressions. ValueError when too little
    was recorded."""
    from app.profiles.apply import loaded_hashes
    from app.profiles.heads import last_layers

    feats, labels, times = recorder.dataset()
    return fit_profile(name, feats, labels, times, loaded_hashes(predictor), kind,
                       last_layers=last_layers(predictor) if kind == "finetune" else None,
                       members=members, images=images,
                       gestures=default_gestures(gesture_cfg, labels))
