"""Write a scripted video of real faces (see app/capture/facevideo.py).

    .venv/bin/python scripts/make_face_video.py OUT.avi [--script SCRIPT.json]
        [--seconds-each 3] [--seed 0]

Without --script, shows the seven expressions in label order. Writes the script JSON
beside the video (OUT.json) so bench-control can replay it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.capture.facevideo import VideoScript, all_expressions_script, make_face_video  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="scripted video of real faces")
    parser.add_argument("out", type=Path)
    parser.add_argument("--script", type=Path)
    parser.add_argument("--seconds-each", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", help="folder with ckplus48.tar.gz and sfew2.tar.gz")
    args = parser.parse_args()
    script = VideoScript.load(args.script) if args.script else \
        all_expressions_script(args.seconds_each)
    make_face_video(args.out, script, datasets_dir=args.datasets, seed=args.seed)
    args.out.with_suffix(".json").write_text(json.dumps(script.to_dict(), indent=1))
    print(f"wrote {args.out} ({script.duration_s:.1f} s at {script.fps:g} fps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
