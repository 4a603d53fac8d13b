"""bench-control end to end: real-face video, real pipeline (tiny random checkpoints), JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.__main__ import main

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
KEYS = ("switch_latency_s_median", "switch_latency_s_max", "unrequested_switches",
        "gesture_precision", "gesture_recall")


@pytest.fixture(scope="module")
def scripted_video(tmp_path_factory):
    if not (DATASETS / "ckplus48.tar.gz").is_file() or not (DATASETS / "sfew2.tar.gz").is_file():
        pytest.skip(f"{DATASETS} lacks ckplus48.tar.gz / sfew2.tar.gz: the scripted video "
                    "needs the real faces")
    from app.capture.facevideo import make_face_video

    folder = tmp_path_factory.mktemp("bench")
    script = {"fps": 10, "segments": [
        {"start_s": 0.0, "end_s": 2.5, "emotion": "neutral"},
        {"start_s": 2.5, "end_s": 4.0, "emotion": "surprise"},
        {"start_s": 4.0, "end_s": 4.5, "emotion": None}]}
    video = make_face_video(folder / "v.avi", script, size=(320, 240),
                            datasets_dir=str(DATASETS), face_px=120)
    path = folder / "v.json"
    path.write_text(json.dumps(script), encoding="utf-8")
    return video, path


def test_bench_control_prints_the_issue_keys(scripted_video, tiny_checkpoints, capsys,
                                             tmp_path):
    video, script = scripted_video
    saved = tmp_path / "probs.npz"
    settings = tmp_path / "settings.toml"  # bind surprise: no expression is bound by default
    settings.write_text('[gestures]\nmapping = { surprise = "next" }\n', encoding="utf-8")
    code = main(["--config", str(settings), "bench-control", "--video", str(video),
                 "--script", str(script), "--json",
                 "--cnn1", str(tiny_checkpoints["cnn1"]),
                 "--cnn2", str(tiny_checkpoints["cnn2"]), "--save-probs", str(saved)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    for key in KEYS:
        assert key in report
    assert report["frames"] == 45 and report["switches_requested"] == 1
    assert report["gestures_requested"] == 1
    assert report["faces_found"] > 0.8  # the detector finds the real faces
    assert set(report["weights"]) == {"cnn1", "cnn2"}
    # the saved recognition replays without the pipeline and gives the same figures
    code = main(["--config", str(settings), "bench-control", "--video", str(video),
                 "--script", str(script), "--json", "--from-probs", str(saved)])
    again = json.loads(capsys.readouterr().out)
    assert code == 0 and again["weights"] == report["weights"]
    for key in (*KEYS, "frames", "frame_accuracy", "faces_found", "segments"):
        assert again[key] == report[key]


def test_bench_control_with_missing_weights_names_the_file(scripted_video, tmp_path, capsys):
    video, script = scripted_video
    code = main(["bench-control", "--video", str(video), "--script", str(script),
                 "--cnn1", str(tmp_path / "none1.pt"), "--cnn2", str(tmp_path / "none2.pt")])
    err = capsys.readouterr().err
    assert code == 2 and "none1.pt" in err and "does not exist" in err


@pytest.mark.parametrize("content, message", [
    ("not json", "cannot be used"),
    ('{"fps": 30, "segments": []}', "cannot be used"),
    ('{"fps": 30, "segments": [{"start_s": 0, "end_s": 1, "emotion": "joy"}]}', "joy"),
])
def test_bad_script_is_refused(tmp_path, capsys, content, message):
    script = tmp_path / "s.json"
    script.write_text(content, encoding="utf-8")
    code = main(["bench-control", "--video", str(tmp_path / "v.avi"), "--script", str(script)])
    assert code == 2 and message in capsys.readouterr().err


def test_settings_file_and_overrides_are_used(tmp_path):
    import argparse

    from app.commands.bench_control import _config

    toml = tmp_path / "s.toml"
    toml.write_text("[gestures]\nenabled = false\n[music]\ndwell_s = 3.0\n", encoding="utf-8")
    args = argparse.Namespace(config=str(toml), cnn1="a.pt", cnn2=None, mode="lift")
    config = _config(args)
    assert not config.gestures.enabled and config.music.dwell_s == 3.0
    assert config.music.mode == "lift" and config.model.cnn1 == "a.pt"
