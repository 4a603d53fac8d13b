"""What goes into the one-folder bundle: data files, hidden imports, exclusions, slimming.

`build.spec` is a thin PyInstaller script; the decisions live here as plain functions so
`tests/test_bundle_spec.py` checks them in milliseconds without running a build. This
module imports neither PyInstaller nor torch (the spec passes PyInstaller's TOC lists in).

Why each exclusion (sizes measured on the lean venv, see docs/PACKAGING.md):
- dev tools (pytest, hypothesis, ruff, import-linter) and scipy: never imported by the app;
  a dev venv drags them in through optional imports of other packages.
- torch, onnx, onnxscript (issue 24): the app runs its members as ONNX graphs on ONNX
  Runtime (app/model/runtime.py); torch is the training extra only, and an import-linter
  contract keeps it out of the runtime packages. sympy (ONNX Runtime's transformer tools),
  jinja2, networkx: never imported by the app.
- matplotlib, sounddevice: mediapipe's drawing utilities and audio tasks (when a build
  includes the optional mediapipe); the app uses only the vision face detector.
  mediapipe imports matplotlib.pyplot unconditionally, so rthook_matplotlib_stub.py
  stands in for it; sounddevice's ImportError it catches.
- Qt modules beyond Core/Gui/Widgets (QML/Quick, WebEngine, 3D, PDF, multimedia, ...).
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import posixpath
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

# The members the app runs: the static int8 ONNX graphs (`python -m app export-onnx`).
REQUIRED_WEIGHTS = ("cnn1.int8.onnx", "cnn2.int8.onnx")
# Opt-in packages taken whole (collect_all) only when the build venv has them: the default
# bundle is built without mediapipe (99 MB, and it would bring opencv-contrib-python's Qt5).
OPTIONAL_PACKAGES = ("mediapipe",)
# The float graphs beside them (app.model.runtime: cnn1.int8.onnx -> cnn1.onnx) serve the
# settings' float levels ("none", "fold", "freeze") in a source checkout; the bundle leaves
# them out (12 MB; without them those levels run the int8 graphs) to stay under 400 MB.
INT8_SUFFIX = ".int8.onnx"
FLOAT_SUFFIX = ".onnx"
RUNTIME_HOOKS = ("rthook_vlc.py", "rthook_matplotlib_stub.py")
FACE_MODEL = "face_detection_short_range.tflite"
# Face gestures' landmarker (not committed; set-up fetches it, app/paths.py pins its hash).
LANDMARKER_MODEL = "face_landmarker.task"

EXCLUDES = (
    # developer tools and test frameworks
    "pytest", "_pytest", "pluggy", "hypothesis", "ruff", "importlinter", "grimp",
    "IPython", "tkinter", "_tkinter", "tests",
    # scientific stack the app does not use
    "scipy", "sympy", "networkx", "jinja2", "matplotlib", "mpl_toolkits", "PIL",
    "pandas", "sounddevice", "_sounddevice",
    # the training framework and the exporter: the app runs ONNX graphs (issue 24)
    "torch", "torchvision", "tensorboard", "triton", "onnx", "onnxscript",
    # mediapipe's own test suites (collect_all would take them)
    "mediapipe.tasks.python.test",
    # the research code (datasets, training loop, protocols): the desktop app never imports
    # it (an import-linter contract); `train`, `evaluate` and `protocol` run from a checkout
    "app.train",
    # Qt modules the widgets app never imports
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuick3D",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebChannel",
    "PySide6.Qt3DCore", "PySide6.Qt3DRender", "PySide6.QtPdf", "PySide6.QtMultimedia",
    "PySide6.QtNetwork", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDesigner",
    "PySide6.QtHelp", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtSvg",
    "PySide6.QtPrintSupport", "PySide6.QtDBus", "PySide6.QtConcurrent", "PySide6.QtXml",
)

# Collected binaries (destination paths inside the bundle) that the app never loads.
DROP_BINARIES = (
    # libvlc comes from the system (Debian libvlc5 + vlc-plugin-base) with plugins of the
    # same build; a bundled libvlc without its ~100 plugin dependencies would not play.
    "libvlc.so*", "libvlccore.so*",
    # Qt libraries of modules excluded above (pulled in by plugins we do not need)
    "PySide6/Qt/lib/libQt6Qml*", "PySide6/Qt/lib/libQt6Quick*", "PySide6/Qt/lib/libQt6Pdf*",
    "PySide6/Qt/lib/libQt6WebEngine*", "PySide6/Qt/lib/libQt63D*",
    "PySide6/Qt/lib/libQt6Designer*", "PySide6/Qt/lib/libQt6VirtualKeyboard*",
    "PySide6/Qt/plugins/qmltooling/*", "PySide6/Qt/plugins/designer/*",
    "PySide6/Qt/plugins/sqldrivers/*", "libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    # Qt platforms a desktop app does not run on (embedded EGL, framebuffer, VNC, Vulkan
    # display) and the network users among the plugins; xcb, wayland, offscreen stay.
    "PySide6/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so", "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/lib/libQt6EglFS*", "PySide6/Qt/lib/libQt6EglFs*", "PySide6/Qt/lib/libQt6Network*",
    "PySide6/Qt/plugins/generic/libqtuiotouchplugin.so",
    # The GTK theme would load the user's GTK against the bundle's (build machine's) glib.
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
)

# Collected data files that are not needed at run time.
DROP_DATAS = (
    "*.a", "*.pyi", "*.h", "*.hpp", "*.cmake",
    "mediapipe/tasks/python/test/*",
    # Qt's own translations (7 MB; the app's text is English). The headless OpenCV has no
    # cv2/qt/fonts: Qt finds the system's fonts through fontconfig (libfontconfig1).
    "PySide6/Qt/qml/*", "PySide6/Qt/translations/*",
    "PySide6/include/*", "PySide6/typesystems/*", "PySide6/glue/*",
)

# Large unstripped libraries whose symbol tables the app does not need (libmediapipe
# 127 -> 97 MB, libpython 23 -> 6 MB). Only these are stripped: stripping every binary
# (PyInstaller's strip=True) can corrupt the patchelf-ed libraries of manylinux wheels
# (opencv_contrib_python.libs, PySide6).
STRIP_BINARIES = ("mediapipe/tasks/c/libmediapipe.so", "libpython3*.so*")


class BundleError(Exception):
    """The bundle cannot be built as asked; the message says what to do."""


def parse_spec_args(argv: Sequence[str], root: Path) -> argparse.Namespace:
    """Arguments after `--` on the pyinstaller command line (PyInstaller >= 6)."""
    parser = argparse.ArgumentParser(prog="pyinstaller build.spec --")
    parser.add_argument("--weights", type=Path, default=root / "models",
                        help="folder holding cnn1.int8.onnx and cnn2.int8.onnx (default: "
                             "models/)")
    return parser.parse_args(list(argv))


def optional_packages() -> list[str]:
    """The OPTIONAL_PACKAGES installed where the build runs (a lean venv has none)."""
    return [name for name in OPTIONAL_PACKAGES if importlib.util.find_spec(name) is not None]


def weight_files(weights_dir: Path) -> list[Path]:
    """The shipped member graphs; BundleError when any is missing.

    A bundle without weights opens but classifies nothing and its self-test fails, so the
    build refuses it rather than ship a broken app.
    """
    paths = [Path(weights_dir) / name for name in REQUIRED_WEIGHTS]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise BundleError(
            "build.spec: the members' ONNX graphs are missing: " + ", ".join(missing) + ". "
            "Export them from the checkpoints (`python -m app export-onnx models/cnn1.pt "
            "models/cnn2.pt`, see docs/PACKAGING.md), or build from another folder: "
            "./scripts/build-bundle --weights DIR")
    return paths


def data_files(root: Path, weights_dir: Path) -> list[tuple[str, str]]:
    """(source, destination folder) pairs: the int8 member graphs, face model, model docs,
    resources/. No PyTorch checkpoint and no float graph ships (see FLOAT_SUFFIX)."""
    root = Path(root)
    weights = weight_files(weights_dir)
    datas = [(str(p), "models") for p in weights]
    face = root / "models" / FACE_MODEL
    if not face.is_file():
        raise BundleError(f"build.spec: the face-detection model {face} is missing; run "
                          "python scripts/fetch_face_model.py --check-or-fetch")
    datas.append((str(face), "models"))
    landmarker = root / "models" / LANDMARKER_MODEL
    if not landmarker.is_file():
        raise BundleError(f"build.spec: the face-landmarker model {landmarker} (face gestures) "
                          "is missing; run python scripts/fetch_landmarker_model.py "
                          "--check-or-fetch (./scripts/setup.sh does it)")
    datas.append((str(landmarker), "models"))
    datas += [(str(p), "models") for p in sorted((root / "models").glob("*.md"))]
    resources = root / "resources"
    for path in sorted(resources.rglob("*")):
        rel = path.relative_to(resources)
        if not path.is_file() or rel.parts[0] == "pyinstaller" or "__pycache__" in rel.parts:
            continue
        datas.append((str(path), str(Path("resources") / rel.parent)))
    return datas


def app_modules(root: Path) -> list[str]:
    """Every module of the `app` package but the research code (`app.train`): commands are
    imported by name at run time (`importlib.import_module`), which PyInstaller's import
    analysis cannot see."""
    package = Path(root) / "app"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "__pycache__" in parts or parts[:2] == ("app", "train"):
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _matches(dest: str, patterns: Iterable[str]) -> bool:
    dest = dest.replace("\\", "/")
    name = dest.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(dest, p) or ("/" not in p and fnmatch.fnmatch(name, p))
               for p in patterns)


def keep_binary(dest: str) -> bool:
    return not _matches(dest, DROP_BINARIES)


def keep_data(dest: str) -> bool:
    return not _matches(dest, DROP_DATAS)


def strip_copy(src: str, workdir: Path, dest: str) -> str:
    """A stripped copy of `src` under `workdir` (reused when up to date), or `src` itself
    when `strip` is not installed (binutils) or fails: stripping only saves space."""
    strip = shutil.which("strip")
    if strip is None:
        return src
    out = Path(workdir) / "stripped" / dest
    if out.is_file() and out.stat().st_mtime >= Path(src).stat().st_mtime:
        return str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([strip, "--strip-unneeded", "-o", str(out), src],
                          capture_output=True, text=True)
    return str(out) if done.returncode == 0 else src


def slim_binaries(toc: Iterable[tuple], workdir: Path) -> list[tuple]:
    """The binaries TOC without DROP_BINARIES, with STRIP_BINARIES stripped."""
    kept = []
    for dest, src, kind in toc:
        if not keep_binary(dest) or _dangles(dest, src, kind):
            continue
        if _matches(dest, STRIP_BINARIES):
            src = strip_copy(src, workdir, dest)
        kept.append((dest, src, kind))
    return kept


def _dangles(dest: str, src: str, kind: str) -> bool:
    """A SYMLINK entry (src = link target relative to dest's folder) to a dropped binary.

    PyInstaller links libraries it also needs at the top level (libQt6Network.so.6 ->
    PySide6/Qt/lib/...) and files these entries under `datas`."""
    if kind != "SYMLINK":
        return False
    target = posixpath.normpath(posixpath.join(posixpath.dirname(dest.replace("\\", "/")),
                                               src.replace("\\", "/")))
    return not keep_binary(target)


def slim_datas(toc: Iterable[tuple]) -> list[tuple]:
    """The datas TOC without DROP_DATAS and without links to dropped binaries."""
    return [(dest, src, kind) for dest, src, kind in toc
            if keep_data(dest) and not _dangles(dest, src, kind)]
