"""Putting a personal profile to work in a running `FrameSession` (the command line's
`--profile` and the window's calibration share this, so both use a profile the same way).

The profile's head is checked against the session's predictor and hooked in between the
main face and the smoother; its gestures, when it has any, replace the configured ones,
each with its own threshold and hold time. Runs on the session's thread (the window goes
through `FrameSession.call_soon`).
"""

from __future__ import annotations

import dataclasses

from app.config import GestureConfig
from app.music.gestures import GestureDetector


def gesture_detector(profile, base: GestureConfig) -> GestureDetector:
    """The profile's gestures as a detector: its mapping, each gesture's own threshold and
    hold time; refractory period and release margin from the settings (`base`). The
    "lock" gesture is the pause-all one (the music controller locks every action)."""
    mapping = {g.emotion: g.action for g in profile.gestures}
    low = min(g.threshold for g in profile.gestures)
    cfg = dataclasses.replace(base, mapping=mapping, threshold=low,
                              release_margin=min(base.release_margin, low / 2),
                              hold_s=min(g.hold_s for g in profile.gestures))
    return GestureDetector(cfg, per_gesture={g.emotion: (g.threshold, g.hold_s)
                                             for g in profile.gestures})


def use_profile(session, profile) -> None:
    """Check `profile` against the session's weights and make it the session's (ProfileError
    with the reason when it was fitted on other weights; the session is then unchanged)."""
    from app.profiles.apply import activate

    hook = activate(profile, session.processor.predictor)
    session.profile = hook
    if profile.gestures:
        session.gestures = gesture_detector(profile, session.gestures.cfg)
    if getattr(profile, "face_gestures", None):
        session.face_gestures = face_gesture_detector(profile, session.face_gestures)


def face_gesture_detector(profile, current):
    """The session's face gestures with the profile's calibration (neutral levels and
    thresholds) over the same settings and watched gestures."""
    from app.music.face_calibration import FaceCalibration, FaceCalibrationError
    from app.music.face_gestures import FaceGestureDetector
    from app.profiles.profile import ProfileError

    try:
        cal = FaceCalibration.from_dict(profile.face_gestures)
    except FaceCalibrationError as exc:
        raise ProfileError(f"profile {profile.name!r}: {exc}") from exc
    extra = tuple(n for n in current.actions if n not in current.cfg.mapping)
    return FaceGestureDetector(current.cfg, extra=extra, neutral=cal.neutral,
                               thresholds=cal.thresholds)



def activate_profile(name_or_path: str, predictor):
    """Resolve `name_or_path` (a profile name in the user's store, or a file), load it and
    check it against `predictor`; returns the hook (ProfileError with the reason when it
    cannot be used). For callers without a session (`predict`, `evaluate --profile`)."""
    from app.profiles.apply import activate
    from app.profiles.profile import load_profile
    from app.profiles.store import ProfileStore

    return activate(load_profile(ProfileStore().resolve(name_or_path)), predictor)


def attach_profile(session, name_or_path: str):
    """Resolve and load `name_or_path` and make it the session's (`use_profile`); returns
    the profile (ProfileError with the reason when it cannot be used)."""
    from app.profiles.profile import load_profile
    from app.profiles.store import ProfileStore

    profile = load_profile(ProfileStore().resolve(name_or_path))
    use_profile(session, profile)
    return profile


__all__ = ["activate_profile", "attach_profile", "face_gesture_detector", "gesture_detector",
           "use_profile"]
