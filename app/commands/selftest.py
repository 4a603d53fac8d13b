"""`--self-test`: a headless end-to-end check, used on the frozen bundle.

Loads the shipped models, runs N frames of a video through the app's own `FrameSession`
(the path the window runs, music aside) and prints one JSON object `{frames, faces, fps,
models}`; exits non-zero with a message naming what is
missing (weights, face model, video) so a broken bundle is caught before users see it.
Faults answer like every command: one sentence and the exit code of their kind
(app/errors.py); 1 means it ran but found no frame or no face.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def run_self_test(args: argparse.Namespace) -> int:
    from app.capture.source import open_source
    from app.config import AppConfig
    from app.errors import EXIT_USAGE, report
    from app.pipeline.engine import build_processor
    from app.pipeline.session import FrameSession

    prog = "emotune --self-test"
    if not args.source:
        print(f"{prog}: give a video with faces: --source VIDEO", file=sys.stderr)
        return EXIT_USAGE
    config = AppConfig()
    started = time.perf_counter()
    try:
        processor = build_processor(config, mode="video")
    except Exception as exc:
        return report(exc, prog, "loading the models")
    try:
        source = open_source(args.source)
    except Exception as exc:
        processor.close()  # the detector holds native resources
        return report(exc, prog, f"opening {args.source}")
    session = FrameSession(processor, config.smoothing, config.gestures,
                           face_gestures=config.face_gestures)
    frames = faces = 0
    first_prediction_s = None
    try:
        loop_start = time.perf_counter()
        while frames < args.self_test_frames:
            try:
                frame = source.read()
            except Exception as exc:  # e.g. a still image that does not decode
                return report(exc, prog, f"reading {args.source}")
            if frame is None:
                break
            result = session.step(frame)
            frames += 1
            faces += sum(1 for f in result.faces if f.prediction is not None)
            if first_prediction_s is None and faces:
                first_prediction_s = time.perf_counter() - started
        elapsed = time.perf_counter() - loop_start
    finally:
        source.close()
        session.close()
    report = {
        "frames": frames,
        "faces": faces,
        "fps": round(frames / elapsed, 2) if frames and elapsed > 0 else 0.0,
        "models": {m.name: {"input": m.spec.input_size, "weights": m.spec.path}
                   for m in processor.predictor.members},
        "optimize_notes": processor.predictor.optimize_notes,
        "launch_to_first_prediction_s": None if first_prediction_s is None
        else round(first_prediction_s, 3),
    }
    print(json.dumps(report))
    if frames == 0:
        print("emotune --self-test: the video gave no frames", file=sys.stderr)
        return 1
    if faces == 0:
        print("emotune --self-test: no face was classified in the video", file=sys.stderr)
        return 1
    return 0
