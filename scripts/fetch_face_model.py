"""Check (or re-derive) the BlazeFace short-range face-detection model in models/.

The model (Apache-2.0, Google) ships inside the mediapipe 0.10.21 wheel on PyPI; mediapipe
1.2.2, which the app uses, ships none. This script verifies the committed copy against its
sha256 and, if it is missing or altered, downloads that wheel from the package registry
with pip and extracts the file (the step is shared with fetch_landmarker_model.py in
wheel_model.py). Nothing is downloaded at run time.
"""

from __future__ import annotations

import sys

from wheel_model import WheelModel, main  # scripts/ is sys.path[0] when run as a script

from app.paths import FACE_MODEL_SHA256, face_model_path

MODEL = WheelModel(tool="fetch_face_model", package="mediapipe==0.10.21",
                   member="mediapipe/modules/face_detection/face_detection_short_range.tflite",
                   sha256=FACE_MODEL_SHA256, target=face_model_path(), verb="deriving")

if __name__ == "__main__":
    sys.exit(main(MODEL, __doc__.splitlines()[0],
                  "fetch only when the committed file is missing or altered"))
