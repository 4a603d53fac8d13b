"""The profile file: one person's head, gestures and provenance, versioned and atomic.

A profile is one `.npz` file (numpy, no pickle) holding a JSON `meta` string and the head's
arrays: nothing executable, readable without the app. `meta` names the format and version,
the person's chosen name, the SHA-256 of each model file the head was fitted on (a profile
is refused on other weights: its numbers describe those weights' embeddings and nothing
else), the guard's held-out figures, and the gestures. The calibration embeddings travel
with it so it can be refitted; face images only when the user opted in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from app.atomic import atomic_open
from app.errors import Kind, UserError, kind_of_os_error, log
from app.hashing import file_sha256
from app.labels import EMOTIONS
from app.profiles.heads import Head
from app.records import GESTURE_ACTIONS
from app.settings_rules import require

FORMAT = "emotune-profile"
VERSION = 1
SUFFIX = ".emoprofile.npz"


class ProfileError(UserError, ValueError):
    """A profile that cannot be used, with a message saying why and what to do; `kind` per
    app.errors (a value that cannot work by default)."""

    def __init__(self, message: str, kind: Kind = Kind.BAD_SETTING, detail: str = "") -> None:
        super().__init__(kind, message, detail)


@dataclass(frozen=True)
class GestureBinding:
    """One gesture of the person: hold `emotion` above `threshold` for `hold_s` -> action."""

    emotion: str
    action: str
    threshold: float = 0.7
    hold_s: float = 1.0

    def __post_init__(self) -> None:
        if self.emotion not in EMOTIONS:
            raise ProfileError(f"gesture emotion {self.emotion!r} is not one of {EMOTIONS}")
        if self.action not in GESTURE_ACTIONS:  # "lock": the pause-all gesture
            raise ProfileError(f"gesture action {self.action!r} is not one of "
                               f"{GESTURE_ACTIONS}")
        try:  # the rules of the settings these override (app.settings_rules)
            require("gestures.threshold", self.threshold)
            require("gestures.hold_s", self.hold_s)
        except ValueError as exc:
            raise ProfileError(f"gesture {self.emotion}: {exc}") from None


@dataclass(frozen=True)
class Profile:
    name: str
    head: Head
    weights: dict[str, str]  # member -> SHA-256 of the checkpoint file
    gestures: tuple[GestureBinding, ...] = ()
    pause_shortcut: str = "Ctrl+Shift+P"
    guard: dict = field(default_factory=dict)  # held-out accuracy before / after, frames
    calibration: dict[str, np.ndarray] = field(default_factory=dict)  # embeddings, labels
    images: np.ndarray | None = None  # calibration faces, only when opted in
    created: str = ""
    # Face-gesture calibration (app/music/face_calibration.FaceCalibration.to_dict): the
    # person's neutral levels and thresholds; {} when none was recorded.
    face_gestures: dict = field(default_factory=dict)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(EMOTIONS[i] for i in self.head.allowed)


def weights_hashes(paths: Mapping[str, str | Path]) -> dict[str, str]:
    return {name: file_sha256(p) for name, p in paths.items() if Path(p).is_file()}


def check_weights(profile: Profile, hashes: Mapping[str, str]) -> None:
    """Refuse a profile fitted on other model files (a silent wrong answer otherwise)."""
    wrong = [n for n in profile.head.members or profile.weights
             if profile.weights.get(n) != hashes.get(n)]
    if set(profile.weights) != set(hashes) or wrong:
        raise ProfileError(
            f"profile {profile.name!r} was fitted on other model weights "
            f"({', '.join(sorted(profile.weights))}: {_short(profile.weights)}; loaded: "
            f"{_short(hashes)}); calibrate again with these weights, or load the weights it "
            "was made for", Kind.OTHER_MODEL)


def _short(hashes: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v[:12]}" for k, v in sorted(hashes.items())) or "none"


def safe_name(name: str) -> str:
    """A file-name stem for a profile name (letters, digits, - and _ kept)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip()).strip("-")
    if not stem:
        raise ProfileError(f"profile name {name!r} has no letters or digits; choose another")
    return stem[:64]


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write atomically (app.atomic: temporary file in the target folder, fsync, rename)."""
    path = Path(path)
    head = profile.head
    meta = {"format": FORMAT, "version": VERSION, "name": profile.name,
            "created": profile.created, "weights": profile.weights,
            "head": {"kind": head.kind, "classes": [EMOTIONS[i] for i in head.classes],
                     "allowed": [EMOTIONS[i] for i in head.allowed], "lam": head.lam,
                     "members": list(head.members)},
            "gestures": [asdict(g) for g in profile.gestures],
            "pause_shortcut": profile.pause_shortcut, "guard": profile.guard,
            "images_kept": profile.images is not None}
    if profile.face_gestures:
        meta["face_gestures"] = profile.face_gestures
    arrays = {f"head__{k}": np.asarray(v) for k, v in head.params.items()}
    arrays.update({f"calib__{k}": np.asarray(v) for k, v in profile.calibration.items()})
    if profile.images is not None:
        arrays["images"] = np.asarray(profile.images, dtype=np.uint8)
    with atomic_open(path, "wb") as fh:
        np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
    return path


def load_profile(path: str | Path) -> Profile:
    """Read a profile file; ProfileError naming what is wrong when it cannot be used."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in z.files if k != "meta"}
    except FileNotFoundError as exc:
        raise ProfileError(f"no profile file at {path}", Kind.MISSING) from exc
    except (OSError, ValueError, KeyError) as exc:
        # numpy's own text (its allow_pickle advice among it) goes to the debug log only.
        log.debug("profile %s: %s: %s", path, type(exc).__name__, exc, exc_info=exc)
        raise ProfileError(f"the profile file {path.name} is damaged or not a profile: "
                           "calibrate again (Check > Calibrate) or choose another profile",
                           kind_of_os_error(exc), str(path)) from exc
    if meta.get("format") != FORMAT:
        raise ProfileError(f"{path} is not an Emotune profile (format {meta.get('format')!r})",
                           Kind.DAMAGED)
    if meta.get("version") != VERSION:
        raise ProfileError(f"{path} is profile version {meta.get('version')}; this Emotune "
                           f"reads version {VERSION}: calibrate again", Kind.UNSUPPORTED)
    try:
        h = meta["head"]
        head = Head(h["kind"], tuple(EMOTIONS.index(c) for c in h["classes"]),
                    tuple(EMOTIONS.index(c) for c in h["allowed"]), float(h["lam"]),
                    tuple(h["members"]),
                    {k[6:]: v for k, v in arrays.items() if k.startswith("head__")})
        gestures = tuple(GestureBinding(**g) for g in meta.get("gestures", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"{path}: damaged profile ({exc}); calibrate again",
                           Kind.DAMAGED) from exc
    return Profile(meta["name"], head, dict(meta["weights"]), gestures,
                   meta.get("pause_shortcut", "Ctrl+Shift+P"), dict(meta.get("guard", {})),
                   {k[7:]: v for k, v in arrays.items() if k.startswith("calib__")},
                   arrays.get("images"), meta.get("created", ""),
                   _face_gestures(meta.get("face_gestures", {}), path))


def _face_gestures(data, path: Path) -> dict:
    """The stored face-gesture calibration as plain numbers (ProfileError when damaged)."""
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: damaged face-gesture calibration; calibrate again")
    try:
        out = {"neutral": {str(k): float(v) for k, v in data.get("neutral", {}).items()},
               "thresholds": {str(k): float(v) for k, v in data.get("thresholds", {}).items()},
               "peaks": {str(k): float(v) for k, v in data.get("peaks", {}).items()},
               "warnings": [str(w) for w in data.get("warnings", [])]}
    except (AttributeError, TypeError, ValueError) as exc:
        raise ProfileError(f"{path}: damaged face-gesture calibration ({exc}); calibrate "
                           "again") from exc
    return out if data else {}
