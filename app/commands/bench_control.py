"""`bench-control`: measure music control on a scripted video through the real pipeline.

    python -m app bench-control --video FILE --script SCRIPT.json [--json]

Each frame goes through the window's own `FrameSession`: face detection -> CNN_1 x CNN_2
-> main face -> EmotionSmoother -> GestureDetector (on the smoothed probabilities) ->
MusicController from the app's factory (null player, a synthetic library with every
emotion so the music folder cannot change the figures). Time is video time (frame index /
script fps), so the figures do not depend on how fast this machine processes frames; the
processing speed is reported beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from app.commands.common import load_script, open_session, settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-control",
                       help="replay a scripted video and score music switches and gestures")
    p.add_argument("--video", required=True, type=Path, help="video file to replay")
    p.add_argument("--script", required=True, type=Path,
                   help='JSON: {"fps": 30, "segments": [{"start_s", "end_s", "emotion"}]}')
    p.add_argument("--json", action="store_true", help="print the full JSON report")
    p.add_argument("--stride", type=int, default=1, metavar="N",
                   help="process every N-th frame (a slower pipeline); default 1")
    p.add_argument("--cnn1", metavar="CKPT", help="CNN_1 checkpoint (default: configured)")
    p.add_argument("--cnn2", metavar="CKPT", help="CNN_2 checkpoint (default: configured)")
    p.add_argument("--mode", choices=("match", "lift"), help="music mode (default: settings)")
    p.add_argument("--profile", metavar="NAME|PATH",
                   help="a personal profile between fusion and the smoother (its gestures "
                        "replace the configured ones when it has any)")
    p.add_argument("--save-probs", type=Path, metavar="NPZ",
                   help="also save the recognised probabilities per frame")
    p.add_argument("--from-probs", type=Path, metavar="NPZ",
                   help="skip recognition: replay probabilities saved with --save-probs "
                        "(to compare control settings on the same recognition)")
    p.add_argument("--face-calibration", type=Path, metavar="JSON",
                   help="a face-gesture calibration (neutral levels and thresholds, as "
                        "`calibrate --face-only` writes) for the face gestures")
    p.add_argument("--music", choices=("null", "external"), default="null",
                   help="null: the null player and a synthetic library (default); external: "
                        "drive the user's own player (MPRIS / media keys) and report its "
                        "command counts and times beside the same figures")
    p.add_argument("--bus", metavar="ADDRESS",
                   help="with --music external: the D-Bus address (default: the session bus)")
    from app.commands.backend import add_backend_option

    add_backend_option(p)
    p.set_defaults(func=run_bench_control)


def _config(args: argparse.Namespace):
    """Settings (`common.settings`) with this command's checkpoints and music mode."""
    return settings(args, "bench-control",
                    model={"cnn1": args.cnn1 and str(args.cnn1),
                           "cnn2": args.cnn2 and str(args.cnn2)},
                    music={"mode": args.mode})


def synthetic_library():
    """Every emotion with three placeholder tracks: the bench measures decisions, not files."""
    from app.labels import EMOTIONS
    from app.music.library import Library, Playlist, Track

    return Library(Path("bench"), {
        e: Playlist(e, tuple(Track(Path(f"bench/{e}/{i}.wav"), e) for i in range(3)))
        for e in EMOTIONS})


def _session(config, processor, profile: str | None = None, args=None, script=None,
             calibration=None):
    """The window's session with the benchmarks' music: the one controller factory, null
    player, a synthetic library with every emotion (the music folder cannot change the
    figures); with `--music external` the user's own player instead (issue 26). Face
    gestures the script requests are watched even when unbound (they then fire the no-op
    marker action); `calibration` is a face-gesture calibration."""
    from app.music.face_gestures import FaceGestureDetector
    from app.music.factory import create_controller

    if getattr(args, "music", "null") == "external":
        from app.bench.external_music import bench_external_controller

        controller = bench_external_controller(config, getattr(args, "bus", None))
    else:
        controller = create_controller(config, backend="null", library=synthetic_library())
    extra = tuple(g for g in (script.gestures if script else ())
                  if g not in config.face_gestures.mapping)
    cal = calibration
    faces = FaceGestureDetector(config.face_gestures, extra=extra,
                                neutral=cal.neutral if cal else None,
                                thresholds=cal.thresholds if cal else None)
    return open_session(config, processor, profile, music=controller, face_gestures=faces)


def _music_figures(session) -> dict:
    """The external player's side of the run (`--music external`), else nothing."""
    from app.music.external_controller import ExternalMusicController

    if not isinstance(session.music, ExternalMusicController):
        return {}
    from app.bench.external_music import external_figures

    return {"external": external_figures(session.music)}


def recognise(args: argparse.Namespace, config, script) -> dict:
    """The live pass: each processed frame (at its video time) through the app's session.
    Returns the results, the fused probabilities of the main face per frame (NaN row = no
    face, what --save-probs keeps), timings and the weights used."""
    import dataclasses

    import numpy as np

    from app.capture.source import open_source
    from app.pipeline.engine import build_processor

    processor = build_processor(config, mode="video",
                                backend=getattr(args, "backend", "onnx"))
    session = _session(config, processor, getattr(args, "profile", None), args, script,
                       getattr(args, "calibration", None))
    source = open_source(str(args.video))
    results = []
    wall0 = time.perf_counter()
    try:
        while (frame := source.read()) is not None:
            if frame.index % args.stride:
                continue
            frame = dataclasses.replace(frame, timestamp=frame.index / script.fps)
            results.append(session.step(frame))
        weights = {m.name: m.spec.path for m in processor.predictor.members}
        music = _music_figures(session)
    finally:
        source.close()
        session.close()
        session.music.close()
    totals = [r.timings_ms["total"] for r in results]
    return {"results": results, "probs": _main_probs(results),
            "times": np.asarray([r.frame.timestamp for r in results]),
            "pipeline_ms_mean": round(float(np.mean(totals)), 2) if totals else None,
            "wall_s": round(time.perf_counter() - wall0, 1), "weights": weights, **music}


def replay(config, times, probs, args=None, music: dict | None = None) -> list:
    """Saved probabilities (--from-probs) through the same session, recognition replaced;
    `music` receives the external player's figures (`--music external`)."""
    from app.bench.replay import ProbsProcessor, replay_frame

    session = _session(config, ProbsProcessor(probs), args=args)
    try:
        results = [session.step(replay_frame(i, t)) for i, t in enumerate(times)]
        if music is not None:
            music.update(_music_figures(session))
        return results
    finally:
        session.close()
        session.music.close()


def _main_probs(results):
    import numpy as np

    from app.labels import NUM_CLASSES

    rows = [r.primary_face.prediction.probs if r.primary_face and r.primary_face.prediction
            else np.full(NUM_CLASSES, np.nan) for r in results]
    return np.asarray(rows).reshape(-1, NUM_CLASSES)


def control(config, script, results) -> dict:
    """Score the session's results (states, gestures, music actions) against the script."""
    import numpy as np

    from app.bench.face_scoring import score_face_gestures
    from app.bench.scoring import score_control, segment_diagnostics
    from app.music.gestures import probs_for_gestures

    switches, gestures, faces, samples = [], [], [], []
    shown_frames = correct = stable_correct = faced = 0
    for result in results:
        t, state = result.frame.timestamp, result.state
        face = result.primary_face
        p = face.prediction.probs if face is not None and face.prediction else None
        switches += [a for a in result.actions if a.kind == "switch" and a.source == "policy"]
        if result.gesture is not None:
            (gestures if result.gesture.kind == "expression" else faces).append(result.gesture)
        samples.append((t, probs_for_gestures(state)))
        shown = script.emotion_at(t)
        shown_frames += shown is not None
        if shown is not None and p is not None:
            faced += 1
            correct += int(np.argmax(p)) == _index(shown)
            stable_correct += state.emotion == shown
    report = score_control(script, switches, gestures, config.music, config.gestures)
    report.update(score_face_gestures(script, faces))
    report.update({
        "frames": len(results), "video_s": round(script.duration_s, 2),
        "frame_accuracy": round(correct / faced, 4) if faced else None,
        "state_accuracy": round(stable_correct / faced, 4) if faced else None,
        "faces_found": round(faced / shown_frames, 4) if shown_frames else None,
        "segments": segment_diagnostics(script, samples),
        "settings": {"music": _plain(config.music), "gestures": _plain(config.gestures),
                     "face_gestures": _plain(config.face_gestures),
                     "smoothing": _plain(config.smoothing)},
    })
    return report


def _load_probs(path: Path) -> dict:
    import numpy as np

    with np.load(path) as data:
        out = {"times": data["times"], "probs": data["probs"]}
        out.update(json.loads(str(data["meta"])))
    return out


def _index(emotion: str) -> int:
    from app.labels import INDEX

    return INDEX[emotion]


def _plain(section) -> dict:
    import dataclasses

    return dataclasses.asdict(section)


SUMMARY_KEYS = ("switch_latency_s_median", "switch_latency_s_max", "unrequested_switches",
                "unrequested_switches_on_steady_face", "switches_requested", "switches_missed",
                "gesture_precision", "gesture_recall", "gesture_latency_s_median",
                "gestures_requested", "gestures_fired", "face_gestures_requested",
                "face_gestures_matched", "face_gestures_unrequested", "face_gesture_precision",
                "face_gesture_recall", "frame_accuracy", "state_accuracy",
                "pipeline_ms_mean", "wall_s")


def run_bench_control(args: argparse.Namespace) -> int:
    from app.capture.source import SourceError
    from app.model.spec import CheckpointError
    from app.pipeline.engine import NoWeightsError
    from app.profiles.profile import ProfileError

    if args.stride < 1:
        print("emotune bench-control: --stride must be >= 1", file=sys.stderr)
        return 2
    script = load_script(args.script, "bench-control")
    if script is None:
        return 2
    config = _config(args)
    if config is None:
        return 2
    args.calibration = None
    if args.face_calibration:
        from app.music.face_calibration import FaceCalibration, FaceCalibrationError

        try:
            args.calibration = FaceCalibration.from_dict(
                json.loads(args.face_calibration.read_text(encoding="utf-8")))
        except (OSError, ValueError, FaceCalibrationError) as exc:
            print(f"emotune bench-control: face calibration {args.face_calibration} cannot "
                  f"be used: {exc}", file=sys.stderr)
            return 2
    try:
        if args.from_probs:
            recognised = _load_probs(args.from_probs)
            recognised.pop("external", None)  # saved by an external run: not this run's
            recognised["results"] = replay(config, recognised["times"], recognised["probs"],
                                           args, music=recognised)
            if script.gestures:  # saved probabilities carry no face mesh
                print("emotune bench-control: face gestures are measured only in the live "
                      "pass (--from-probs replays expression probabilities)", file=sys.stderr)
        else:
            recognised = recognise(args, config, script)
    except (NoWeightsError, CheckpointError, SourceError, OSError, KeyError,
            ProfileError) as exc:
        print(f"emotune bench-control: {exc}", file=sys.stderr)
        return 2
    arrays = ("times", "probs", "results")
    meta = {k: v for k, v in recognised.items() if k not in arrays}
    if args.save_probs:
        import numpy as np

        np.savez_compressed(args.save_probs, times=recognised["times"],
                            probs=recognised["probs"], meta=json.dumps(meta))
    report = control(config, script, recognised["results"])
    report.update({"video": str(args.video), "script": str(args.script),
                   "stride": args.stride, "from_probs": str(args.from_probs or ""), **meta})
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for key in SUMMARY_KEYS:
            print(f"{key:34s} {report[key]}")
        for key, value in report.get("external", {}).items():
            print(f"{key:34s} {value}")
    return 0
