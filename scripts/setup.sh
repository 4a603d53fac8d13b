#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system libraries (as root), the .venv with the
# pinned packages, the checked face-detection model and the demo music. Safe to run again:
# each step is skipped when already done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEBS=(libvlc5 vlc-plugin-base xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0
      libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-shape0 libxcb-cursor0
      libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 strace
      dbus-daemon vlc-bin)  # the external-player tests: a private bus and VLC speaking MPRIS
missing=()
for pkg in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${missing[*]}" >&2
    echo "setup: (music needs libvlc5 + vlc-plugin-base; the window needs the libxcb ones)" >&2
  fi
fi

# mediapipe requires opencv-contrib-python, the app the lean opencv-python-headless; both
# write the same cv2/ package, so two installed side by side break when either is removed.
# Keep one: the contrib build (a superset) at the headless pin's version.
dedupe_opencv() {
  local py=$1 ver
  ver=$("$py" -m pip show opencv-python-headless 2>/dev/null | awk '/^Version:/ {print $2}')
  if [[ -n $ver ]] && "$py" -m pip show opencv-contrib-python >/dev/null 2>&1; then
    echo "setup: keeping one OpenCV: opencv-contrib-python $ver (mediapipe's) for both"
    "$py" -m pip uninstall -q -y opencv-python-headless
    "$py" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall \
      "opencv-contrib-python==$ver"
  fi
}

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed ($PY is $("$PY" --version 2>&1))" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.emotune-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: installing Python packages into .venv (onnxruntime, PySide6, torch==2.13.0 CPU build for training, ...)"
  # dev tools, the training extra (torch, onnx: training, export-onnx, the torch backend)
  # and the optional MediaPipe detector (its tests run here; the bundle has none). The
  # app's own install, `pip install .`, needs none of them and downloads no torch.
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,train,mediapipe]' 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  dedupe_opencv .venv/bin/python
  .venv/bin/python -c 'import torch, onnx, onnxruntime, cv2, mediapipe, PySide6' \
    || { echo "setup: the Python packages did not install; see the messages above" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

.venv/bin/python scripts/fetch_face_model.py --check-or-fetch
.venv/bin/python scripts/fetch_landmarker_model.py --check-or-fetch  # face gestures (not committed)
if [[ -f scripts/make_demo_music.py ]]; then
  .venv/bin/python scripts/make_demo_music.py --if-missing
fi
