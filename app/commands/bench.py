"""`bench`: run the real pipeline on a video and report speed, latency and memory.

    python -m app bench --video FILE [--seconds N] [--json] [--fps F] [--optimize LEVEL]
        [--detect-every K] [--threads T] [--cnn1 CKPT] [--cnn2 CKPT] [--device D]

Decode -> detect -> crop -> CNN_1 -> CNN_2 -> fusion -> the window's `FrameSession` (main
face, smoothing, gestures; no music), built from the same parts and settings as the app
(`app.bench.benchrun` says how frames are fed). Prints
processed fps, per-stage latency p50/p95, capture -> result p95, dropped frames,
launch -> first prediction, resident memory and the device, as text or one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from app.commands.common import open_session, settings

# Mirrors app.model.optimize.LEVELS / DEFAULT_LEVEL (a test keeps them equal): importing that
# module here would import torch whenever any command, or the GUI, builds its parser.
LEVELS = ("none", "fold", "freeze", "int8", "full", "static")
DEFAULT_LEVEL = "static"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure the live pipeline on a video (fps, latency, RSS)")
    p.add_argument("--video", required=True, type=Path, help="video file (or image folder)")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds measured (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--fps", type=float, default=0.0,
                   help="feed frames at this camera rate, dropping what the pipeline cannot "
                        "take; 0 (default) = as fast as the pipeline takes them")
    p.add_argument("--optimize", choices=tuple(LEVELS),
                   help=f"inference optimisation level (default: settings, {DEFAULT_LEVEL})")
    p.add_argument("--detect-every", type=int, metavar="K",
                   help="run the face detector every K frames, track between "
                        "(default: settings, 2; 1 = every frame)")
    p.add_argument("--overlap", action="store_true",
                   help="detect frame t+1 on a second thread while frame t is classified")
    p.add_argument("--threads", type=int, help="inference CPU threads (default: settings)")
    p.add_argument("--cnn1", metavar="CKPT", help="CNN_1 checkpoint (default: shipped)")
    p.add_argument("--cnn2", metavar="CKPT", help="CNN_2 checkpoint (default: shipped)")
    p.add_argument("--device", help="auto (default), cpu or cuda")
    p.add_argument("--detector", choices=("opencv", "mediapipe"),
                   help="face detector backend (default: settings)")
    p.add_argument("--warmup", type=int, default=10, help="frames run before measuring")
    p.add_argument("--profile", metavar="NAME|PATH",
                   help="a personal profile in the session (its cost is in the timings)")
    p.add_argument("--no-face-gestures", action="store_true",
                   help="without the face landmarker (face gestures off) to see its cost")
    from app.commands.backend import add_backend_option

    add_backend_option(p)
    p.set_defaults(func=run_bench)


def _config(args: argparse.Namespace):
    """Settings (`common.settings`) with this command's model options."""
    config = settings(args, "bench", model={
        "cnn1": args.cnn1, "cnn2": args.cnn2, "device": args.device, "threads": args.threads,
        "detector": args.detector, "optimize": args.optimize,
        "detect_every": args.detect_every})
    if config is not None and getattr(args, "no_face_gestures", False):
        config = dataclasses.replace(config, face_gestures=dataclasses.replace(
            config.face_gestures, enabled=False))
    return config


def bench(args: argparse.Namespace, config) -> dict:
    """Run the benchmark and return the report dict (what --json prints)."""
    from app.bench.benchrun import memory_mb, run_stream, seconds_since_launch
    from app.capture.source import open_source
    from app.pipeline.engine import build_processor

    launch = seconds_since_launch()
    t_cmd = time.monotonic() - (launch or 0.0)
    # Exactly the app's pipeline (app.pipeline.engine), with the options above applied.
    processor = build_processor(config, mode="video",
                                backend=getattr(args, "backend", "onnx"))
    ready_s = time.monotonic() - t_cmd
    # Every step after the processor, as in the window ("smooth" in the stage timings).
    session = open_session(config, processor, getattr(args, "profile", None))
    first: dict[str, float] = {}

    def on_first():
        first["s"] = time.monotonic() - t_cmd

    source = open_source(str(args.video), loop=True)
    try:
        stages = None
        if args.overlap:
            from app.bench.overlap import split_stages

            stages = split_stages(processor)
        stats = run_stream(source, processor.process, session.decide, args.seconds,
                           pace_fps=args.fps, warmup_frames=args.warmup,
                           on_first_prediction=on_first, stages=stages)
    finally:
        session.close()
        source.close()
    predictor = processor.predictor
    report = {
        "video": str(args.video),
        "device": processor.device,
        "backend": getattr(predictor, "backend", "torch"),
        "detector": config.model.detector,
        "threads": config.model.threads,
        "optimize": config.model.optimize,
        "detect_every": config.model.detect_every,
        "face_gestures": config.face_gestures.enabled,
        "flip": predictor.flip,
        "profile": getattr(args, "profile", None) or "",
        "overlap": bool(args.overlap),
        "feed": f"paced at {args.fps:g} fps" if args.fps > 0 else "unpaced",
        "members": {m.name: m.spec.input_size for m in predictor.members},
        **stats.summary(),
        # Where start-up goes: interpreter + imports (torch too with --backend torch)
        # until this command runs, then models + detector, then the source and
        # first frames.
        "launch_to_command_s": round(launch, 3) if launch is not None else None,
        "launch_to_ready_s": round(ready_s, 3) if launch is not None else None,
        "launch_to_first_prediction_s": round(first["s"], 3) if "s" in first else None,
        **memory_mb(),
    }
    if getattr(predictor, "optimize_notes", None):
        report["optimize_notes"] = predictor.optimize_notes
    detector = processor.detector
    if hasattr(detector, "detections"):
        report["detector_runs"] = {"detected": detector.detections, "tracked": detector.tracked}
    return report


def _text(report: dict) -> str:
    lines = [f"device {report['device']} · detector {report['detector']} · threads "
             f"{report['threads']} · optimize "
             f"{report['optimize']} · detect every {report['detect_every']} · overlap "
             f"{'on' if report['overlap'] else 'off'} · "
             f"{report['feed']} · members {report['members']}",
             f"processed {report['processed_fps']:.1f} fps over {report['wall_s']:.1f} s "
             f"({report['frames']} frames, {report['frames_with_face']} with a face, "
             f"{report['dropped']} dropped)"]
    for stage, pct in report["stages_ms"].items():
        lines.append(f"  {stage:<8} p50 {pct['p50']:7.2f} ms   p95 {pct['p95']:7.2f} ms")
    c, e = report["cnn1_plus_cnn2_ms"], report["capture_to_result_ms"]
    lines.append(f"CNN_1 + CNN_2 p50 {c['p50']:.2f} ms, p95 {c['p95']:.2f} ms")
    lines.append(f"capture -> result p50 {e['p50']:.2f} ms, p95 {e['p95']:.2f} ms")
    lines.append(f"launch -> first prediction {report['launch_to_first_prediction_s']} s; "
                 f"RSS {report.get('rss_mb')} MB (peak {report.get('peak_rss_mb')} MB)")
    return "\n".join(lines)


def run_bench(args: argparse.Namespace) -> int:
    from app.capture.source import SourceError
    from app.model.spec import CheckpointError
    from app.pipeline.engine import NoWeightsError
    from app.profiles.profile import ProfileError

    if args.seconds <= 0:
        print("emotune bench: --seconds must be > 0", file=sys.stderr)
        return 2
    if args.detect_every is not None and args.detect_every < 1:
        print("emotune bench: --detect-every must be >= 1", file=sys.stderr)
        return 2
    config = _config(args)
    if config is None:
        return 2
    try:
        report = bench(args, config)
    except (NoWeightsError, CheckpointError, SourceError, FileNotFoundError, ProfileError) as exc:
        print(f"emotune bench: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=1) if args.json else _text(report))
    return 0
