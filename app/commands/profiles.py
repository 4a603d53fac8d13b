"""Personal profiles on the command line: `calibrate` (a scripted video -> a profile file)
and `evaluate --profile` (a labelled set through a profile).

    python -m app calibrate --video V --script S.json --out PROFILE
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.common import load_script, open_session, settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit a personal profile on a scripted video "
                       "(the guided check, recorded) and write the profile file")
    p.add_argument("--video", required=True, type=Path, help="the recorded check (video)")
    p.add_argument("--script", required=True, type=Path,
                   help='JSON: {"fps": 30, "segments": [{"start_s", "end_s", "emotion"}]} '
                        "(the prompts: which expression each frame was asked for)")
    p.add_argument("--out", required=True, help="profile file to write, or a profile name "
                   "(stored in the user's profiles folder)")
    p.add_argument("--name", help="the profile's name (default: --out's file stem)")
    p.add_argument("--head", choices=("fused", "prototype", "linear", "bias", "finetune"),
                   help="head kind (default: the measured default, docs/PROFILES.md)")
    p.add_argument("--keep-images", action="store_true",
                   help="also keep the calibration face crops in the profile (off: "
                        "embeddings only)")
    p.add_argument("--force", action="store_true",
                   help="write the profile even if it does not beat the shipped weights "
                        "on the held-out frames")
    p.add_argument("--face-only", action="store_true",
                   help='only the face-gesture calibration (segments with a "gesture" are '
                        "the tries, neutral ones the neutral face): --out is a JSON file "
                        "(bench-control --face-calibration reads it)")
    p.set_defaults(func=run_calibrate)


SETTLE_S = 0.5  # the first half second of a prompt is the face changing: not used


def face_tries(samples, script):
    """(neutral frames, {gesture: frames}) of blendshapes from (t, segment, blendshapes)
    samples: gesture segments are the tries; segments asking for a neutral face (any
    segment without a gesture when none does) the neutral; each segment's first
    SETTLE_S seconds left out."""
    steady = [(seg, b) for t, seg, b in samples if t >= seg.start_s + SETTLE_S]
    calm = [(seg, b) for seg, b in steady if not seg.gesture]
    neutral = [b for seg, b in calm if seg.emotion == "neutral"] or [b for _, b in calm]
    tries: dict[str, list] = {}
    for seg, b in steady:
        if seg.gesture:
            tries.setdefault(seg.gesture, []).append(b)
    return neutral, tries


def record_calibration(session, video: Path, script, keep_images: bool = False,
                       face_samples: list | None = None):
    """Replay `video` through `session` (video time = frame index / script fps) and keep
    the prompted, steady frames (app.profiles.calibration.CalibrationRecorder); the main
    face's blendshapes go to `face_samples` as (t, segment, blendshapes) when given."""
    import dataclasses

    from app.capture.source import open_source
    from app.profiles.calibration import CalibrationRecorder, offer_result

    recorder = CalibrationRecorder()
    images = []
    source = open_source(str(video))
    try:
        while (frame := source.read()) is not None:
            t = frame.index / script.fps
            result = session.step(dataclasses.replace(frame, timestamp=t))
            seg = next((s for s in script.segments if s.start_s <= t < s.end_s), None)
            face = result.primary_face
            if face_samples is not None and seg is not None and face and face.mesh:
                face_samples.append((t, seg, face.mesh.blendshapes))
            kept = offer_result(recorder, result, seg.emotion if seg else None,
                                (seg.start_s, seg.end_s) if seg else None)
            if kept and keep_images:
                images.append(_crop(frame.image, result.primary_face.box))
    finally:
        source.close()
    return recorder, images


def _crop(image, box):
    import cv2

    x, y, w, h = box.as_list()
    return cv2.resize(image[max(0, y):y + h, max(0, x):x + w], (64, 64))


def _face_only(session, args, script, samples) -> int:
    """`calibrate --face-only`: the face-gesture calibration alone, written as JSON."""
    from app.atomic import atomic_write_text
    from app.music.face_calibration import fit_face_calibration

    if not script.gestures:
        print('emotune calibrate: --face-only needs segments with a "gesture" in the script '
              "(the tries) and neutral ones", file=sys.stderr)
        return 2
    record_calibration(session, args.video, script, face_samples=samples)
    cal = fit_face_calibration(*face_tries(samples, script))
    atomic_write_text(Path(args.out), json.dumps(cal.to_dict(), indent=1))
    print(json.dumps(cal.to_dict() | {"written": str(args.out)}, indent=1))
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from app.capture.source import SourceError
    from app.music.face_calibration import fit_face_calibration
    from app.pipeline.engine import build_processor
    from app.profiles.calibration import DEFAULT_KIND, fit_recorded, prepare_recording
    from app.profiles.profile import ProfileError, save_profile
    from app.profiles.store import ProfileStore

    script = load_script(args.script, "calibrate")
    if script is None:
        return 2
    out = Path(args.out)
    is_path = out.suffix or len(out.parts) > 1
    name = args.name or (out.name.split(".")[0] if is_path else args.out)
    config = settings(args, "calibrate")
    if config is None:
        return 2
    if (args.face_only or script.gestures) and not config.face_gestures.enabled:
        print("emotune calibrate: face gestures are off in the settings "
              "(face_gestures.enabled); turn them on to calibrate them", file=sys.stderr)
        return 2
    try:
        session = open_session(config, build_processor(config, mode="video"))
    except (OSError, RuntimeError) as exc:
        print(f"emotune calibrate: {exc}", file=sys.stderr)
        return 2
    session.pause_neutral(True)  # a profile is fitted on the shipped weights' readings
    samples: list = []
    try:
        if args.face_only:
            return _face_only(session, args, script, samples)
        predictor = session.processor.predictor
        kind = args.head or DEFAULT_KIND
        members = prepare_recording(predictor, kind)
        recorder, images = record_calibration(session, args.video, script, args.keep_images,
                                              samples)
        profile, guard = fit_recorded(
            name, recorder, predictor, config.gestures, kind, members,
            images=np.stack(images) if args.keep_images and images else None)
        labels = profile.calibration["labels"]
        face_report = {}
        if script.gestures:
            cal = fit_face_calibration(*face_tries(samples, script))
            profile = dataclasses.replace(profile, face_gestures=cal.to_dict())
            face_report = {"face_gestures": cal.to_dict()}
    except (SourceError, ValueError, ProfileError) as exc:
        print(f"emotune calibrate: {exc}", file=sys.stderr)
        return 2
    finally:
        session.close()
    report = {"frames_kept": len(labels), "dropped": recorder.dropped,
              "expressions": list(profile.classes),
              **{k: v for k, v in guard.as_dict().items() if not k.endswith("_counts")},
              **face_report}
    for line in guard.advice:  # below 95 % on the held-out frames: which ones mix up
        print(f"emotune calibrate: {line}", file=sys.stderr)
    if not guard.kept and not args.force:
        print(json.dumps(report, indent=1))
        print("emotune calibrate: the profile does not beat the shipped weights on the "
              "held-out frames; nothing written (record again, or --force)", file=sys.stderr)
        return 1
    path = save_profile(profile, out) if is_path else ProfileStore().save(profile)
    print(json.dumps(report | {"profile": str(path)}, indent=1))
    return 0


def evaluate_profile(faces, members, profile_arg: str, aligned: bool, threads: int,
                     flip: bool) -> dict:
    """`evaluate --profile`: the labelled set through the members and the profile (the
    same crops as the members' evaluation); its metrics beside the shipped weights'."""
    import numpy as np

    from app.metrics import evaluate_probs
    from app.pipeline.profile_use import activate_profile
    from app.profiles.features import extract
    from app.train.evaluate import crop_faces, predictor_for

    # the app's members (static int8): a profile is fitted on what the app computes
    predictor = predictor_for(members, threads, flip, "static")
    hook = activate_profile(profile_arg, predictor)
    inputs = crop_faces(faces, aligned, crop_size=96)
    feats = extract(predictor, inputs.images)
    logp = hook.head.log_probs(feats)
    out = evaluate_probs(np.exp(logp), inputs.labels)
    out["shipped_accuracy"] = evaluate_probs(np.exp(feats.base_logp), inputs.labels)[
        "accuracy"]
    out["profile"] = hook.profile.name
    out["classes"] = list(hook.profile.classes)
    return out
