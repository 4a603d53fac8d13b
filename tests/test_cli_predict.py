"""`python -m app predict` and `info` against real faces and tiny checkpoints."""

import json
import subprocess
import sys

import cv2
import pytest

from app.__main__ import main
from app.labels import EMOTIONS
from tests.conftest import ROOT, background, paste


def _write(path, rgb):
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def _ckpt_args(ckpts):
    return ["--cnn1", str(ckpts["cnn1"]), "--cnn2", str(ckpts["cnn2"])]


def _lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def _check_face(face):
    assert set(face) >= {"box", "score", "emotion", "probs", "models"}
    assert len(face["box"]) == 4
    assert list(face["probs"]) == list(EMOTIONS)
    assert sum(face["probs"].values()) == pytest.approx(1.0, abs=1e-4)
    assert set(face["models"]) == {"cnn1", "cnn2"}
    assert face["emotion"] == max(face["probs"], key=face["probs"].get)


def test_predict_aligned_on_a_ck_face(tmp_path, capsys, face_bank, tiny_checkpoints):
    image = _write(tmp_path / "face.png", face_bank["surprise"][0])
    assert main(["predict", "--aligned", str(image), *_ckpt_args(tiny_checkpoints)]) == 0
    (record,) = _lines(capsys)
    assert record["image"] == str(image)
    (face,) = record["faces"]
    _check_face(face)


@pytest.mark.parametrize("n_faces", [1, 2])
def test_predict_finds_every_face_in_a_frame(tmp_path, capsys, face_bank, tiny_checkpoints,
                                             n_faces):
    frame = background()
    paste(frame, face_bank["happy"][0], 60, 120, 190)
    if n_faces == 2:
        paste(frame, face_bank["neutral"][0], 380, 120, 190)
    image = _write(tmp_path / "frame.png", frame)
    assert main(["predict", str(image), *_ckpt_args(tiny_checkpoints)]) == 0
    (record,) = _lines(capsys)
    assert len(record["faces"]) == n_faces
    for face in record["faces"]:
        _check_face(face)
    assert record["faces"][0]["box"][0] < 320  # the first face is the one at the left


def test_unreadable_image_is_reported_and_the_others_still_are(tmp_path, capsys, face_bank,
                                                                tiny_checkpoints):
    good = _write(tmp_path / "good.png", face_bank["fear"][0])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    code = main(["predict", "--aligned", str(bad), str(good), *_ckpt_args(tiny_checkpoints)])
    captured = capsys.readouterr()
    assert code != 0
    assert "cannot read" in captured.err and str(bad) in captured.err
    records = [json.loads(x) for x in captured.out.splitlines()]
    assert [r["image"] for r in records] == [str(good)]


def test_a_missing_image_gets_our_message_only(tmp_path, tiny_checkpoints):
    """OpenCV's own decoder warning does not reach the terminal beside our message."""
    missing = tmp_path / "nowhere.png"
    out = subprocess.run([sys.executable, "-m", "app", "predict", "--aligned", str(missing),
                          *_ckpt_args(tiny_checkpoints)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 3  # app.errors.Kind.MISSING
    assert "does not exist" in out.stderr and str(missing) in out.stderr
    assert "WARN" not in out.stderr and "findDecoder" not in out.stderr, out.stderr


def test_predict_without_weights_refuses(tmp_path, capsys, monkeypatch):
    import app.pipeline.engine as engine

    monkeypatch.setattr(engine, "default_weights",
                        lambda: {"cnn1": tmp_path / "a.pt", "cnn2": tmp_path / "b.pt"})
    image = _write(tmp_path / "x.png", background(64, 64))
    assert main(["predict", "--aligned", str(image)]) == 3  # Kind.MISSING
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no trained weights" in captured.err


def test_predict_with_a_damaged_checkpoint_names_it(tmp_path, capsys, tiny_checkpoints):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(tiny_checkpoints["cnn1"].read_bytes()[:500])
    image = _write(tmp_path / "x.png", background(64, 64))
    code = main(["predict", "--aligned", str(image), "--cnn1", str(broken),
                 "--cnn2", str(tiny_checkpoints["cnn2"])])
    assert code == 5  # Kind.DAMAGED
    assert str(broken) in capsys.readouterr().err


def test_info_json(capsys, tiny_checkpoints):
    assert main(["info", "--json", *_ckpt_args(tiny_checkpoints)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["models"]["cnn1"]["input"] == 48
    # the app reads the graph exported beside the checkpoint; the count comes from its
    # metadata, as Keras (and the paper) count it
    assert info["models"]["cnn1"]["weights"] == str(tiny_checkpoints["cnn1"].with_suffix(".onnx"))
    assert info["models"]["cnn2"]["params"] == 5_673_511  # CNN_2 at 48 x 48
    assert info["fusion"] == "product" and info["device"] == "cpu"


def test_info_torch_backend_reads_the_checkpoint(capsys, tiny_checkpoints):
    assert main(["info", "--json", "--backend", "torch", *_ckpt_args(tiny_checkpoints)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["models"]["cnn1"]["weights"] == str(tiny_checkpoints["cnn1"])
    assert info["models"]["cnn2"]["params"] == 5_673_511


def test_module_entry_point_runs(tiny_checkpoints):
    out = subprocess.run([sys.executable, "-m", "app", "info", "--json",
                          *_ckpt_args(tiny_checkpoints)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["models"]["cnn1"]["params"] == 345_063


def test_self_test_runs_the_pipeline_and_prints_json(tmp_path, capsys, face_bank,
                                                    tiny_checkpoints, monkeypatch):
    import app.pipeline.engine as engine
    from app.capture.facevideo import VideoScript, make_face_video

    monkeypatch.setattr(engine, "default_weights", lambda: dict(tiny_checkpoints))
    video = make_face_video(tmp_path / "v.avi", VideoScript.from_dict(
        {"fps": 10, "segments": [{"start_s": 0, "end_s": 1, "emotion": "happy"}]}))
    assert main(["--self-test", "--source", str(video), "--self-test-frames", "5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 5 and report["faces"] == 5
    assert set(report["models"]) == {"cnn1", "cnn2"} and report["fps"] > 0


def test_self_test_without_a_source_says_so(capsys):
    assert main(["--self-test"]) == 2  # usage: no --source
    assert "--source" in capsys.readouterr().err


def test_self_test_with_the_shipped_int8_graphs_runs_without_torch(tmp_path, face_bank):
    """The shipped int8 ONNX graphs run the whole pipeline with torch and app.train made
    unimportable (the app's install and the bundle have neither), and nothing chatters on
    the user's terminal."""
    from app.capture.facevideo import VideoScript, make_face_video
    from app.model.runtime import onnx_candidates
    from app.paths import default_weights

    graphs = [onnx_candidates(p, "static")[0] for p in default_weights().values()]
    if not all(g.is_file() for g in graphs):
        pytest.skip("models/cnn*.int8.onnx are not present (run python -m app export-onnx)")
    video = make_face_video(tmp_path / "v.avi", VideoScript.from_dict(
        {"fps": 10, "segments": [{"start_s": 0, "end_s": 1, "emotion": "happy"}]}))
    # neither torch nor the research code (app.train): the desktop bundle has neither
    no_torch = ("import sys, runpy; sys.modules['torch'] = None; "
                "sys.modules['app.train'] = None; "
                "sys.argv = ['app', '--self-test', '--source', sys.argv[1], "
                "'--self-test-frames', '3']; runpy.run_module('app', run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", no_torch, str(video)], cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["faces"] == 3
    assert report["optimize_notes"] == [f"{n}: int8 graph {g}" for n, g in
                                        zip(("cnn1", "cnn2"), graphs, strict=True)]
    assert "Warning" not in out.stderr and "Quantizer" not in out.stderr, out.stderr
