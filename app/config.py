"""All settings in one place: frozen dataclasses saved as TOML in the user's config folder.

Each subsystem reads its own section (`AppConfig.capture`, `.model`, `.smoothing`, `.music`,
`.gestures`, `.ui`, `.booth`). Writes are atomic (`app.atomic`). A file that cannot be parsed
is moved aside (`settings.toml.corrupt-<time>`), and defaults are used, with a message the
UI shows; unknown keys are ignored and reported; a wrong type or a value outside its range
(`app.settings_rules`) falls back to the default, with a message naming key, value, range.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from app.atomic import atomic_write_text
from app.settings_rules import check_value


@dataclass(frozen=True)
class CaptureConfig:
    source: str = "0"  # camera index, video file or image folder
    width: int = 640
    height: int = 480
    loop_video: bool = True
    image_seconds: float = 1.0  # an image folder shows each picture this long (#25: 10/s)


@dataclass(frozen=True)
class ModelConfig:
    cnn1: str = ""  # checkpoint path; empty = the shipped weights
    cnn2: str = ""
    members: tuple[str, ...] = ("cnn1", "cnn2")
    fusion: str = "product"  # or "sum"
    device: str = "auto"  # auto, cpu, cuda
    threads: int = 1  # two OpenMP threads stall on 2 shared cores (docs/PERFORMANCE.md)
    optimize: str = "static"  # none|fold|freeze|int8|full|static; static = the shipped
    #                           models/cnn*.int8.pt when they match the checkpoint, else full
    detect_every: int = 2  # run the detector every n-th frame, track the boxes in between
    flip: bool = True  # also score each face's mirror image and average (test-time flip)
    detector: str = "opencv"  # BlazeFace via cv2.dnn (offline); "mediapipe" is opt-in
    crop_margin: float = 0.12  # fraction of the box added on each side before cropping;
    #                            0.12 matches the FER framing the weights learnt (MODEL_CARD)
    min_face_px: int = 24
    detect_score: float = 0.5
    max_faces: int = 4


@dataclass(frozen=True)
class SmoothingConfig:
    ema_alpha: float = 0.35  # weight of the newest frame in the moving average
    dwell_s: float = 0.8  # a new emotion must lead this long before it becomes the state
    enter_threshold: float = 0.45  # smoothed probability needed to become the state
    hysteresis: float = 0.1  # the challenger must beat the current state by this margin
    face_lost_s: float = 1.0  # no face for this long -> state is "no face"
    # issue 27: learn each person's resting face and read expressions relative to it
    # (app.pipeline.neutral); the cap (nats) is what keeps a held real expression. Off by
    # default: it did not pay on scripted videos of unseen people (docs/PROFILES.md)
    auto_neutral: bool = False
    neutral_cap: float = 2.5


@dataclass(frozen=True)
class MusicConfig:
    library_root: str = ""  # empty = resources/music (the generated demo pieces)
    mode: str = "match"  # or "lift"
    lift_map: dict[str, str] = field(default_factory=lambda: {
        "angry": "neutral", "disgust": "happy", "fear": "neutral", "sad": "happy"})
    min_confidence: float = 0.5
    dwell_s: float = 2.0
    cooldown_s: float = 8.0
    let_track_finish: bool = False
    volume: int = 70
    ramp_s: float = 1.0
    enabled: bool = True
    # which player: "builtin" (VLC plays the library above) or "external" (the user's own
    # player: MPRIS on Linux, media keys on Windows/macOS; docs/MUSIC.md)
    backend: str = "builtin"
    player: str = ""  # external: the player to follow ("vlc", "spotify"); empty = most recent
    playlists: dict[str, str] = field(default_factory=dict)  # external: emotion -> its playlist


@dataclass(frozen=True)
class GestureConfig:
    enabled: bool = True
    threshold: float = 0.7
    hold_s: float = 1.0
    refractory_s: float = 2.5
    # None by default: the mood music follows every expression, so a held one would fight it
    # (a user who keeps smiling paused the music); face gestures are the default input.
    mapping: dict[str, str] = field(default_factory=dict)
    sound: bool = False
    release_margin: float = 0.15  # re-arm only after the prob falls below threshold - this
    gap_s: float = 0.2  # dips shorter than this do not restart a hold


@dataclass(frozen=True)
class FaceGestureConfig:
    """Face gestures (music/face_gestures.py, docs/GESTURES.md): the face landmarker runs on
    the main face while `enabled`; `mapping` binds gesture names to actions (several may
    share one). Empty per-gesture tables use each gesture's built-in default; a profile's
    calibration overrides them. `only`: the music ignores the mood (gesture-only mode)."""

    # Off by default: with the landmarker the pipeline missed the 60 fps target on these
    # 2 loaded cores (docs/GESTURES.md, "Speed"); Settings > Gestures turns it on.
    enabled: bool = False
    # Not a movement the mood music follows (a smile or an open mouth would fight it).
    mapping: dict[str, str] = field(default_factory=lambda: {"brows_up": "play_pause"})
    thresholds: dict[str, float] = field(default_factory=dict)  # rise above neutral
    holds: dict[str, float] = field(default_factory=dict)  # seconds
    cooldowns: dict[str, float] = field(default_factory=dict)  # seconds
    hold_s: float = 0.6
    cooldown_s: float = 1.5
    blink_min_s: float = 0.4  # involuntary blinks last 0.1-0.3 s: shorter closures never count
    only: bool = False


@dataclass(frozen=True)
class UIConfig:
    theme: str = "light"  # light, dark, high-contrast
    check_seconds: float = 4.0  # guided check: seconds recorded per expression
    check_countdown_s: float = 2.0


@dataclass(frozen=True)
class BoothConfig:
    """Demo-booth mode (`--kiosk` or `enabled`): see docs/RELIABILITY.md."""

    enabled: bool = False
    pin: str = ""  # operator PIN (4-12 digits); empty = the operator panel stays locked
    visitor_gone_s: float = 6.0  # no face this long -> the visitor left: reset everything
    attract_after_s: float = 6.0  # no face this long -> the attract screen
    pinned_profile: str = ""  # a personal profile the operator pinned; none by default
    watchdog_stall_s: float = 15.0  # no frame processed this long -> restart the pipeline


@dataclass(frozen=True)
class AppConfig:
    capture: CaptureConfig = field(default_factory=CaptureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    music: MusicConfig = field(default_factory=MusicConfig)
    gestures: GestureConfig = field(default_factory=GestureConfig)
    face_gestures: FaceGestureConfig = field(default_factory=FaceGestureConfig)
    ui: UIConfig = field(default_factory=UIConfig)
    booth: BoothConfig = field(default_factory=BoothConfig)


def _user_dir(windows: tuple[str, str], xdg: tuple[str, str]) -> Path:
    """<platform folder>/emotune: Windows (env var, default under the home folder), macOS
    (Application Support), else XDG (env var, default under the home folder)."""
    if sys.platform == "win32":
        base = Path(os.environ.get(windows[0]) or Path.home() / windows[1])
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get(xdg[0]) or Path.home() / xdg[1])
    return base / "emotune"


def config_dir() -> Path:
    """The user's config folder ($XDG_CONFIG_HOME/emotune, %APPDATA%\\emotune, ...)."""
    return _user_dir(("APPDATA", "AppData/Roaming"), ("XDG_CONFIG_HOME", ".config"))


def config_path() -> Path:
    return config_dir() / "settings.toml"


def data_dir() -> Path:
    """The user's data folder ($XDG_DATA_HOME/emotune, ...): booth summaries and log."""
    return _user_dir(("LOCALAPPDATA", "AppData/Local"), ("XDG_DATA_HOME", ".local/share"))


def _coerce(default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise TypeError
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise TypeError
    if isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise TypeError
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise TypeError
    if isinstance(default, tuple):
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise TypeError
    if isinstance(default, dict):
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return {str(k): v for k, v in value.items()}
        if isinstance(value, dict) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                           for v in value.values()):  # per-gesture numbers
            return {str(k): float(v) for k, v in value.items()}
        raise TypeError
    raise TypeError


def _from_dict(cls: type, data: Any, where: str, problems: list[str]) -> Any:
    default = cls()
    if not isinstance(data, dict):
        problems.append(f"[{where}] is not a table; defaults used")
        return default
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        current = getattr(default, f.name)
        if dataclasses.is_dataclass(current):
            values[f.name] = _from_dict(type(current), data[f.name], f"{where}.{f.name}".strip("."),
                                        problems)
            continue
        key = f"{where}.{f.name}".strip(".")
        try:
            value = _coerce(current, data[f.name])
        except TypeError:
            problems.append(f"{key} = {data[f.name]!r} has the wrong type; "
                            f"default {current!r} used")
            continue
        allowed = check_value(key, value)
        if allowed is not None:
            problems.append(f"{key} = {data[f.name]!r} is out of range (allowed: {allowed}); "
                            f"default {current!r} used")
            continue
        values[f.name] = value
    for key in data:
        if key not in {f.name for f in dataclasses.fields(cls)}:
            problems.append(f"unknown setting {where + '.' if where else ''}{key} ignored")
    return dataclasses.replace(default, **values)


def config_from_dict(data: dict[str, Any]) -> tuple[AppConfig, list[str]]:
    """Build an AppConfig from parsed TOML; returns it with a list of problems found."""
    problems: list[str] = []
    return _from_dict(AppConfig, data, "", problems), problems


def config_to_dict(config: AppConfig) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        if isinstance(v, tuple):
            return list(v)
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v
    return {k: plain(v) for k, v in dataclasses.asdict(config).items()}


@dataclass(frozen=True)
class LoadedConfig:
    config: AppConfig
    problems: tuple[str, ...] = ()


def load_config(path: Path | None = None) -> LoadedConfig:
    """Read settings; a missing file gives defaults, a corrupt one is moved aside."""
    path = path or config_path()
    if not path.exists():
        return LoadedConfig(AppConfig())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(path, aside)
            where = f"moved to {aside}"
        except OSError:
            where = "left in place"
        return LoadedConfig(AppConfig(), (f"settings file {path} could not be read ({exc}); "
                                          f"it was {where} and defaults are used",))
    config, problems = config_from_dict(data)
    return LoadedConfig(config, tuple(problems))


def save_config(config: AppConfig, path: Path | None = None) -> Path:
    """Write settings atomically: a crash mid-write never leaves a broken file."""
    path = path or config_path()
    return atomic_write_text(path, tomli_w.dumps(config_to_dict(config)))
