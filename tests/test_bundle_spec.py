"""Fast checks of the packaging (issue 8) without building: build.spec run with stand-ins
for PyInstaller's classes, the bundle plan's choices, and both runtime hooks.

The full build and the frozen self-test are `./scripts/test-bundle` (minutes, not here).
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "resources" / "pyinstaller"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bundle_test_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plan = load("bundle_plan")
rthook_vlc = load("rthook_vlc")
rthook_mpl = load("rthook_matplotlib_stub")


class Recorder:
    """Stands in for Analysis/PYZ/EXE/COLLECT: keeps its arguments."""

    made: list[Recorder] = []

    def __init__(self, kind: str, *args, **kwargs) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs
        self.binaries = [("torch/lib/libtorch_cpu.so", "/x/libtorch_cpu.so", "BINARY")]
        self.datas = [("torch/include/a.h", "/x/a.h", "DATA")]
        self.pure, self.scripts = [], []
        Recorder.made.append(self)


def run_spec(monkeypatch, tmp_path, spec_args: list[str]) -> dict[str, Recorder]:
    """Execute build.spec as PyInstaller would, with recorders for its build classes."""
    if not (ROOT / "models" / plan.LANDMARKER_MODEL).is_file():  # fetched by set-up, not in git
        pytest.skip("models/face_landmarker.task is absent: run scripts/fetch_landmarker_model.py")
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    calls = []

    def collect_all(package, **kwargs):
        calls.append((package, kwargs))
        return [("mediapipe/x.txt", "mediapipe")], [("libmediapipe.so", "mediapipe")], ["mp"]

    hooks.collect_all = collect_all
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "argv", ["build.spec", *spec_args])
    monkeypatch.setattr(sys, "path", list(sys.path))
    Recorder.made = []
    scope = {"SPECPATH": str(ROOT), "workpath": str(tmp_path / "work"), "__file__": "build.spec"}
    for kind in ("Analysis", "PYZ", "EXE", "COLLECT"):
        scope[kind] = lambda *a, _kind=kind, **k: Recorder(_kind, *a, **k)
    exec(compile((ROOT / "build.spec").read_text(), "build.spec", "exec"), scope)
    made = {r.kind: r for r in Recorder.made}
    made["collect_all"] = calls
    return made


@pytest.fixture
def weights(tmp_path) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    for name in plan.REQUIRED_WEIGHTS:
        (folder / name).write_bytes(b"not read by the spec")
    return folder


def test_spec_is_valid_python_for_a_one_folder_bundle():
    tree = ast.parse((ROOT / "build.spec").read_text())
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls


def test_spec_wires_the_plan_into_pyinstaller(monkeypatch, tmp_path, weights):
    made = run_spec(monkeypatch, tmp_path, ["--weights", str(weights)])
    analysis = made["Analysis"].kwargs
    assert made["Analysis"].args[0] == [str(ROOT / "app" / "__main__.py")]
    datas = analysis["datas"]
    for name in plan.REQUIRED_WEIGHTS:
        assert (str(weights / name), "models") in datas
    assert (str(ROOT / "models" / plan.FACE_MODEL), "models") in datas
    assert (str(ROOT / "models" / plan.LANDMARKER_MODEL), "models") in datas
    assert (str(ROOT / "models" / "FACE_MODEL_LICENSE.md"), "models") in datas
    assert not any("pyinstaller" in src for src, _ in datas)  # build helpers stay out
    assert ("mediapipe/x.txt", "mediapipe") in datas  # collect_all's output is used
    assert made["collect_all"][0][0] == "mediapipe"
    assert {"app.commands.selftest", "app.commands.gui", "mp"} <= set(analysis["hiddenimports"])
    assert set(plan.EXCLUDES) <= set(analysis["excludes"])
    assert [Path(h).name for h in analysis["runtime_hooks"]] == list(plan.RUNTIME_HOOKS)
    assert all(Path(h).is_file() for h in analysis["runtime_hooks"])
    # the plan's slimming is applied to what Analysis collected
    assert made["Analysis"].datas == []
    exe, coll = made["EXE"].kwargs, made["COLLECT"].kwargs
    assert exe["name"] == coll["name"] == "emotune"
    assert exe["exclude_binaries"] is True  # one-folder: binaries go to COLLECT


@pytest.mark.parametrize("installed", [True, False])
def test_mediapipe_is_collected_only_when_the_build_venv_has_it(monkeypatch, tmp_path,
                                                               weights, installed):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
        real("json") if installed else None) if name == "mediapipe" else real(name, *a))
    made = run_spec(monkeypatch, tmp_path, ["--weights", str(weights)])
    assert [c[0] for c in made["collect_all"]] == (["mediapipe"] if installed else [])
    datas = made["Analysis"].kwargs["datas"]
    assert (("mediapipe/x.txt", "mediapipe") in datas) is installed
    assert ("mp" in made["Analysis"].kwargs["hiddenimports"]) is installed


def test_spec_refuses_to_build_without_weights(monkeypatch, tmp_path):
    with pytest.raises(SystemExit) as raised:
        run_spec(monkeypatch, tmp_path, ["--weights", str(tmp_path / "none")])
    message = str(raised.value)
    assert "cnn1.int8.onnx" in message and "cnn2.int8.onnx" in message
    assert "--weights" in message and "export-onnx" in message


@pytest.mark.parametrize("module", [
    "pytest", "hypothesis", "scipy", "sympy", "matplotlib", "tkinter", "tests",
    "PySide6.QtWebEngineCore", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.Qt3DCore",
    "torch", "onnx", "mediapipe.tasks.python.test",
])
def test_unused_modules_are_excluded(module):
    assert module in plan.EXCLUDES


@pytest.mark.parametrize("module", [
    "onnxruntime", "onnxruntime.capi", "cv2", "mediapipe", "mediapipe.tasks", "numpy", "vlc",
    "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "tomli_w", "app",
])
def test_needed_modules_are_not_excluded(module):
    parts = module.split(".")
    prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    assert not prefixes & set(plan.EXCLUDES)


def _imported_modules_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _imported_modules(folder: Path) -> set[str]:
    return set().union(*(_imported_modules_of(p) for p in folder.rglob("*.py")))


# The training side of app/ (app.train, the torch modules of app.model, export-onnx) imports
# torch and onnx; the import-linter contract keeps them out of everything the app runs.
TRAINING_ONLY = {"torch", "onnx"}


def test_nothing_the_app_imports_is_excluded():
    """Catches a new `import matplotlib` (or a new Qt module) in app/ before a user does."""
    # the training commands reach app.train (see below); the training side imports torch
    excluded = set(plan.EXCLUDES) - {"app.train"} - TRAINING_ONLY
    clashes = sorted(name for name in _imported_modules(ROOT / "app")
                     if {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
                     & excluded)
    assert clashes == []


def test_the_bundle_leaves_the_research_code_out():
    """Only the training commands reach app.train (lazily, inside the command); the
    runtime never does (import-linter), so the bundle can leave it out."""
    modules = plan.app_modules(ROOT)
    assert "app.train" in plan.EXCLUDES
    assert not [m for m in modules if m == "app.train" or m.startswith("app.train.")]
    assert "app.metrics" in modules and "app.hashing" in modules
    reaching = sorted(p.name for p in (ROOT / "app").rglob("*.py")
                      if p.parent.name != "train"
                      and any(n.startswith("app.train") for n in _imported_modules_of(p)))
    assert reaching == ["basket.py", "evaluate.py", "export_onnx.py", "profiles.py",
                        "protocol.py", "train.py"]  # commands


@pytest.mark.parametrize(("dest", "kept"), [
    ("onnxruntime/capi/libonnxruntime.so.1.31.1", True),
    ("onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so", True),
    ("libvlc.so.5", False),
    ("libvlccore.so.9", False),
    ("cv2/cv2.abi3.so", True),
    ("mediapipe/tasks/c/libmediapipe.so", True),
    ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
    ("PySide6/Qt/lib/libQt6Quick.so.6", False),
    ("PySide6/Qt/lib/libQt6Qml.so.6", False),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
])
def test_binary_filter(dest, kept):
    assert plan.keep_binary(dest) is kept


@pytest.mark.parametrize(("dest", "kept"), [
    ("models/cnn1.int8.onnx", True),
    ("models/face_detection_short_range.tflite", True),
    ("resources/music/happy/piece.wav", True),
    ("torch/include/ATen/ATen.h", False),
    ("torch/lib/libfoo.a", False),
    ("torch/_C/__init__.pyi", False),
    ("mediapipe/tasks/python/test/vision/face_detector_test.py", False),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("cv2/qt/fonts/DejaVuSans.ttf", True),
    ("cv2/config.py", True),
])
def test_data_filter(dest, kept):
    assert plan.keep_data(dest) is kept


@pytest.mark.parametrize(("entry", "kept"), [
    (("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"), False),
    (("libQt6Widgets.so.6", "PySide6/Qt/lib/libQt6Widgets.so.6", "SYMLINK"), True),
    (("PySide6/Qt/x/libQt6Quick.so.6", "../lib/libQt6Quick.so.6", "SYMLINK"), False),
    (("PySide6/Qt/x/libQt6Gui.so.6", "../lib/libQt6Gui.so.6", "SYMLINK"), True),
    (("torch/include/ATen.h", "/x/ATen.h", "DATA"), False),
    (("models/cnn1.pt", "/x/cnn1.pt", "DATA"), True),
])
def test_slim_datas_drops_links_to_dropped_libraries(entry, kept):
    """PyInstaller files its top-level links under datas; one to a dropped library dangles."""
    assert (plan.slim_datas([entry]) == [entry]) is kept


def test_data_files_take_resources_but_not_build_helpers(tmp_path, weights):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / plan.FACE_MODEL).write_bytes(b"x")
    (tmp_path / "models" / plan.LANDMARKER_MODEL).write_bytes(b"x")
    (tmp_path / "models" / "MODEL_CARD.md").write_text("card")
    for rel in ("resources/styles/dark.qss", "resources/pyinstaller/bundle_plan.py",
                "resources/music/__pycache__/x.pyc"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    datas = plan.data_files(tmp_path, weights)
    assert (str(tmp_path / "resources/styles/dark.qss"), "resources/styles") in datas
    assert (str(tmp_path / "models/MODEL_CARD.md"), "models") in datas
    assert not any("pyinstaller" in src or "__pycache__" in src for src, _ in datas)


@pytest.mark.parametrize("beside", [(), ("cnn1.pt", "cnn2.pt"), ("cnn1.onnx", "cnn2.onnx"),
                                    ("cnn1.embed.int8.pt", "cnn2.int8.pt")])
def test_data_files_ship_the_int8_graphs_only(tmp_path, weights, beside):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / plan.FACE_MODEL).write_bytes(b"x")
    (tmp_path / "models" / plan.LANDMARKER_MODEL).write_bytes(b"x")
    for name in beside:  # checkpoints, float graphs, TorchScript: none ships
        (weights / name).write_bytes(b"x")
    shipped = {Path(src).name for src, dest in plan.data_files(tmp_path, weights)
               if dest == "models" and Path(src).parent == weights}
    assert shipped == {"cnn1.int8.onnx", "cnn2.int8.onnx"}


def test_graph_suffixes_match_the_app():
    tree = ast.parse((ROOT / "app" / "model" / "runtime.py").read_text())
    consts = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body
              if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)}
    assert (consts["INT8_SUFFIX"], consts["FLOAT_SUFFIX"]) == (plan.INT8_SUFFIX,
                                                               plan.FLOAT_SUFFIX)


def test_data_files_need_the_face_model(tmp_path, weights):
    with pytest.raises(plan.BundleError, match="fetch_face_model"):
        plan.data_files(tmp_path, weights)


def test_data_files_need_the_landmarker_model(tmp_path, weights):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / plan.FACE_MODEL).write_bytes(b"x")
    with pytest.raises(plan.BundleError, match="fetch_landmarker_model"):
        plan.data_files(tmp_path, weights)


def test_landmarker_name_matches_the_app():
    from app.paths import LANDMARKER_MODEL_NAME

    assert LANDMARKER_MODEL_NAME == plan.LANDMARKER_MODEL


@pytest.mark.parametrize("present", [(), ("cnn1.int8.onnx",), ("cnn2.int8.onnx",)])
def test_weight_files_name_what_is_missing(tmp_path, present):
    for name in present:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(plan.BundleError) as raised:
        plan.weight_files(tmp_path)
    for name in plan.REQUIRED_WEIGHTS:
        assert (str(tmp_path / name) in str(raised.value)) is (name not in present)


def test_app_modules_cover_commands_imported_by_name():
    modules = plan.app_modules(ROOT)
    assert {"app", "app.__main__", "app.commands.selftest", "app.commands.gui"} <= set(modules)
    main = ROOT / "app" / "__main__.py"
    commands = ast.literal_eval(next(
        n.value for n in ast.parse(main.read_text()).body
        if isinstance(n, ast.Assign) and n.targets[0].id == "COMMAND_MODULES"))
    present = {f"app.commands.{c}" for c in commands if (ROOT / f"app/commands/{c}.py").exists()}
    assert present <= set(modules)
    assert not any("__pycache__" in m for m in modules)


@pytest.mark.skipif(shutil.which("strip") is None, reason="binutils strip is not installed")
def test_slim_binaries_drops_and_strips(tmp_path):
    lib = tmp_path / "libpython3.11.so.1.0"
    shutil.copy(sys.executable, lib)  # a real ELF file with symbols to strip
    bad = tmp_path / "libmediapipe.so"
    bad.write_text("not an ELF file")  # strip fails: the original is kept
    toc = [("libpython3.11.so.1.0", str(lib), "BINARY"),
           ("mediapipe/tasks/c/libmediapipe.so", str(bad), "BINARY"),
           ("libvlc.so.5", "/x/libvlc.so.5", "BINARY"),
           ("cv2/cv2.abi3.so", "/x/cv2.abi3.so", "EXTENSION"),
           ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK")]
    slim = plan.slim_binaries(toc, tmp_path / "work")
    assert [d for d, _, _ in slim] == ["libpython3.11.so.1.0",
                                       "mediapipe/tasks/c/libmediapipe.so", "cv2/cv2.abi3.so"]
    stripped = Path(slim[0][1])
    assert stripped.parent.parent == tmp_path / "work"
    assert stripped.is_file() and slim[1][1] == str(bad) and slim[2][1] == "/x/cv2.abi3.so"


def test_slim_binaries_without_strip_keeps_the_originals(tmp_path, monkeypatch):
    monkeypatch.setattr(plan.shutil, "which", lambda name: None)
    toc = [("libpython3.11.so.1.0", "/x/libpython3.11.so.1.0", "BINARY")]
    assert plan.slim_binaries(toc, tmp_path) == toc


def test_spec_args_default_to_models(tmp_path):
    assert plan.parse_spec_args([], tmp_path).weights == tmp_path / "models"
    assert plan.parse_spec_args(["--weights", "w"], tmp_path).weights == Path("w")


# --- runtime hook: python-vlc -------------------------------------------------------------

def _vlc_tree(base: Path, lib: bool = True, plugins: bool = True) -> tuple[str, str]:
    if lib:
        base.mkdir(parents=True, exist_ok=True)
        (base / rthook_vlc.LIB_NAME).write_bytes(b"elf")
    if plugins:
        (base / "vlc" / "plugins").mkdir(parents=True, exist_ok=True)
    return str(base), str(base / "vlc" / "plugins")


def _loader(bad: set[str]):
    def load(path: str):
        if path in bad:
            raise OSError(f"cannot load {path}")
        return object()
    return load


@pytest.mark.parametrize(("bundled", "system_lib", "system_plugins", "unloadable", "expect"), [
    (True, True, True, False, "bundle"),    # the bundle's own libvlc wins
    (False, True, True, False, "system"),   # Debian libvlc5 + vlc-plugin-base
    (False, True, False, False, None),      # libvlc5 without plugins: VLC would not play
    (False, False, True, False, None),      # nothing installed
    (False, True, True, True, None),        # present but does not load (broken deps)
])
def test_vlc_hook_picks_a_libvlc_that_loads(tmp_path, bundled, system_lib, system_plugins,
                                            unloadable, expect):
    bundle = tmp_path / "bundle"
    if bundled:
        (bundle / "vlc" / "plugins").mkdir(parents=True)
        (bundle / "vlc" / rthook_vlc.LIB_NAME).write_bytes(b"elf")
    system = tmp_path / "usr_lib"
    lib_dir, plugin_dir = _vlc_tree(system, system_lib, system_plugins)
    bad = {lib_dir + "/" + rthook_vlc.LIB_NAME} if unloadable else set()
    env: dict[str, str] = {}
    found = rthook_vlc.configure_vlc(env, bundle, [(lib_dir, plugin_dir)], load=_loader(bad))
    if expect is None:
        assert found is None and env == {}
        return
    where = bundle / "vlc" if expect == "bundle" else system
    assert found == where / rthook_vlc.LIB_NAME
    assert env["PYTHON_VLC_LIB_PATH"] == str(where / rthook_vlc.LIB_NAME)
    plugins = where / "plugins" if expect == "bundle" else Path(plugin_dir)
    assert env["PYTHON_VLC_MODULE_PATH"] == env["VLC_PLUGIN_PATH"] == str(plugins)


@pytest.mark.parametrize(("own_loads", "module_ok", "expect_own"), [
    (True, True, True), (True, False, True), (False, True, False)])
def test_vlc_hook_keeps_only_usable_user_settings(tmp_path, own_loads, module_ok, expect_own):
    own = tmp_path / "own" / "libvlc.so"
    own.parent.mkdir()
    own.write_bytes(b"elf")
    lib_dir, plugin_dir = _vlc_tree(tmp_path / "sys")
    env = {"PYTHON_VLC_LIB_PATH": str(own),
           "PYTHON_VLC_MODULE_PATH": str(tmp_path if module_ok else tmp_path / "nope"),
           "VLC_PLUGIN_PATH": "/user/choice"}
    bad = set() if own_loads else {str(own)}
    found = rthook_vlc.configure_vlc(env, None, [(lib_dir, plugin_dir)], load=_loader(bad))
    if expect_own:
        assert found == own and env["PYTHON_VLC_LIB_PATH"] == str(own)
        assert ("PYTHON_VLC_MODULE_PATH" in env) is module_ok  # python-vlc exits on a bad one
    else:
        assert env["PYTHON_VLC_LIB_PATH"] == lib_dir + "/" + rthook_vlc.LIB_NAME
    assert env["VLC_PLUGIN_PATH"] == "/user/choice"  # never overridden


def test_vlc_hook_is_inert_outside_a_bundle(monkeypatch):
    monkeypatch.delenv("PYTHON_VLC_LIB_PATH", raising=False)
    load("rthook_vlc")
    assert "PYTHON_VLC_LIB_PATH" not in __import__("os").environ


# --- runtime hook: matplotlib placeholder -------------------------------------------------

def test_matplotlib_placeholder_lets_mediapipe_style_imports_work(monkeypatch):
    modules: dict[str, types.ModuleType] = {}
    assert rthook_mpl.install_matplotlib_stub(modules, find_spec=lambda name: None)
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    scope: dict = {}
    exec("import matplotlib.pyplot as plt", scope)  # what drawing_utils does at import
    assert scope["plt"] is modules["matplotlib.pyplot"]
    with pytest.raises(AttributeError, match="not part of the Emotune bundle"):
        scope["plt"].figure()


@pytest.mark.parametrize(("preloaded", "spec"), [(True, None), (False, object())])
def test_matplotlib_placeholder_yields_to_the_real_one(preloaded, spec):
    modules = {"matplotlib": types.ModuleType("matplotlib")} if preloaded else {}
    before = dict(modules)
    assert not rthook_mpl.install_matplotlib_stub(modules, find_spec=lambda name: spec)
    assert modules == before


# --- the build command ----------------------------------------------------------------------

def test_build_venv_gets_runtime_packages_and_pyinstaller_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [r.split("=")[0].split("<")[0].split(">")[0].strip().lower()
             for r in project["dependencies"] + project["optional-dependencies"]["build"]]
    # the app's runtime, not the training framework: the install downloads no torch
    assert "pyinstaller" in names and "onnxruntime" in names
    assert not {"torch", "onnx", "onnxscript"} & set(names)
    assert project["optional-dependencies"]["train"] == ["torch==2.13.0", "onnx==1.23.2"]
    # the lean default: no MediaPipe (an extra) and the headless OpenCV, never a second one
    assert "mediapipe" not in names and "opencv-python-headless" in names
    assert not {"opencv-python", "opencv-contrib-python"} & set(names)
    assert project["optional-dependencies"]["mediapipe"] == ["mediapipe==1.2.2"]
    assert not {"pytest", "ruff", "hypothesis", "scipy", "import-linter"} & set(names)
    script = (ROOT / "scripts" / "build-bundle").read_text()
    assert '["dependencies"] + project["optional-dependencies"]["build"]' in script
    assert "build.spec" in script and ".venv-build" in script
    assert ".venv-build/" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize("script", ["build-bundle", "test-bundle"])
def test_bundle_scripts_are_valid_bash(script):
    done = subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
