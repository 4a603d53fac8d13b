"""Issue #25, points 1, 3 and 4: one error vocabulary. Each bad input maps to one class
(app.errors.Kind) whose sentence says what is wrong and what to do, and whose exit code is
the same on every command; the window shows the same sentence on one line, with details
behind an expander and a close button. Library advice (PyTorch's `weights_only`, numpy's
`allow_pickle`) is never shown."""

from __future__ import annotations

import dataclasses
import os

import cv2
import numpy as np
import pytest
import torch
from uihelp import ListSource

from app.__main__ import main
from app.config import AppConfig
from app.errors import Kind, UserError, from_exception, model_sentence, report
from app.labels import EMOTIONS
from app.pipeline.worker import app_processor_factory
from app.ui.banner import settings_message
from app.ui.main_window import MainWindow

pytestmark = pytest.mark.faults
LIBRARY_ADVICE = ("weights_only", "allow_pickle", "pytorch.org", "Please file an issue",
                  "UnpicklingError", "Traceback")
LAPTOP = (1366, 728)


def _rewrite(src, dst, **changes):
    payload = torch.load(src, weights_only=True)
    payload.update(changes)
    torch.save(payload, dst)
    return dst


# name -> (make the CNN_1 file from (tmp_path, tiny_checkpoints), expected kind)
BAD_MODEL_FILES = {
    "missing": (lambda d, ck: d / "nope.pt", Kind.MISSING),
    "random bytes": (lambda d, ck: _bytes(d / "random.pt", os.urandom(5000)), Kind.DAMAGED),
    "truncated": (lambda d, ck: _bytes(d / "cut.pt", ck["cnn1"].read_bytes()[:700]),
                  Kind.DAMAGED),
    "empty": (lambda d, ck: _bytes(d / "empty.pt", b""), Kind.DAMAGED),
    "a folder": (lambda d, ck: _folder(d / "folder.pt"), Kind.NOT_READABLE),
    "CNN_2 as CNN_1": (lambda d, ck: ck["cnn2"], Kind.OTHER_MODEL),
    "labels reordered": (lambda d, ck: _rewrite(ck["cnn1"], d / "labels.pt",
                                                labels=list(reversed(EMOTIONS))),
                         Kind.OTHER_MODEL),
    "newer format": (lambda d, ck: _rewrite(ck["cnn1"], d / "v9.pt", version=9),
                     Kind.UNSUPPORTED),
}


def _bytes(path, data):
    path.write_bytes(data)
    return path


def _folder(path):
    path.mkdir()
    return path


def _image(path):
    cv2.imwrite(str(path), np.full((64, 64, 3), 90, np.uint8))
    return path


def _no_advice(text: str) -> None:
    for words in LIBRARY_ADVICE:
        assert words not in text, text


# The app's runtime (ONNX) reads a checkpoint path through the graph exported beside it;
# without torch it cannot look inside a checkpoint that has none, so a well-formed one
# whose labels disagree is "a format this Emotune does not read" (export it) there.
ONNX_KIND = {"labels reordered": Kind.UNSUPPORTED}


@pytest.mark.parametrize("backend", ["torch", "onnx"])
@pytest.mark.parametrize("name", list(BAD_MODEL_FILES))
def test_predict_answers_a_bad_model_file_with_its_class(tmp_path, capsys, tiny_checkpoints,
                                                         name, backend):
    make, kind = BAD_MODEL_FILES[name]
    kind = ONNX_KIND.get(name, kind) if backend == "onnx" else kind
    bad = make(tmp_path, tiny_checkpoints)
    code = main(["predict", "--aligned", str(_image(tmp_path / "x.png")), "--cnn1", str(bad),
                 "--cnn2", str(tiny_checkpoints["cnn2"]), "--backend", backend])
    err = capsys.readouterr().err
    assert code == kind.exit_code, err
    first = err.splitlines()[0]
    assert first.startswith("emotune predict: The CNN_1 model file") and bad.name in first
    assert ": " in first.split("model file", 1)[1]  # what is wrong: what to do
    _no_advice(err)


@pytest.mark.parametrize(("make", "kind", "words"), [
    (lambda d: d / "nowhere.png", Kind.MISSING, "does not exist"),
    (lambda d: _bytes(d / "junk.png", os.urandom(3000)), Kind.DAMAGED, "damaged"),
    (lambda d: _bytes(d / "anim.gif", b"GIF89a" + os.urandom(100)), Kind.UNSUPPORTED,
     "not an image format"),
    (lambda d: _folder(d / "empty-folder"), Kind.MISSING, "no image to read"),
])
def test_predict_answers_a_bad_image_with_its_class(tmp_path, capsys, tiny_checkpoints, make,
                                                    kind, words):
    code = main(["predict", "--aligned", str(make(tmp_path)), "--cnn1",
                 str(tiny_checkpoints["cnn1"]), "--cnn2", str(tiny_checkpoints["cnn2"])])
    err = capsys.readouterr().err
    assert code == kind.exit_code and words in err, err
    _no_advice(err)


def test_predict_reads_a_folder_recursively_and_counts_what_it_skipped(tmp_path, capsys,
                                                                        tiny_checkpoints):
    _image(tmp_path / "a.png")
    (tmp_path / "deeper" / "deepest").mkdir(parents=True)
    _image(tmp_path / "deeper" / "deepest" / "b.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "deeper" / "clip.avi").write_bytes(b"\x00" * 10)
    code = main(["predict", "--aligned", str(tmp_path), "--cnn1",
                 str(tiny_checkpoints["cnn1"]), "--cnn2", str(tiny_checkpoints["cnn2"])])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert [line.count('"image"') for line in captured.out.splitlines()] == [1, 1]
    assert "a.png" in captured.out and "b.jpg" in captured.out
    assert "2 file(s) in the folder(s) are not images; skipped" in captured.err


@pytest.mark.parametrize(("make", "kind", "words"), [
    (lambda d: d / "missing.mp4", Kind.MISSING, "does not exist"),
    (lambda d: _bytes(d / "NOT_A_VIDEO.png", os.urandom(3000)), Kind.DAMAGED,
     "could not be decoded"),
    (lambda d: _bytes(d / "clip.mp4", b"\x00" * 500), Kind.DAMAGED, "could not be decoded"),
    (lambda d: _folder(d / "no-pictures"), Kind.MISSING, "holds no images"),
])
def test_the_self_test_answers_a_bad_source_like_the_other_commands(tmp_path, capsys, make,
                                                                     kind, words):
    code = main(["--self-test", "--self-test-frames", "3", "--source", str(make(tmp_path))])
    err = capsys.readouterr().err
    assert code == kind.exit_code and words in err, err
    _no_advice(err)


def test_exit_codes_are_distinct_and_stay_clear_of_0_1_2():
    codes = [k.exit_code for k in Kind]
    assert len(set(codes)) == len(codes) and min(codes) > 2


def test_an_unexpected_fault_is_one_sentence_with_its_type_in_the_details(capsys):
    exc = RuntimeError("Weights only load failed. Re-running `torch.load` with weights_only")
    err = from_exception(exc, "loading the models")
    assert err.kind is Kind.UNEXPECTED and "report it" in err.sentence
    assert "weights_only" not in err.sentence  # the first line is only in the details
    assert report(UserError(Kind.DAMAGED, "It is broken: fix it.", "why"), "p") == 5
    assert capsys.readouterr().err == "p: It is broken: fix it.\n  details: why\n"


def _window(qtbot, config, theme="light") -> MainWindow:
    config = dataclasses.replace(config, ui=dataclasses.replace(config.ui, theme=theme))
    w = MainWindow(config, processor_factory=app_processor_factory(config),
                   source_factory=lambda: ListSource(loop=True))
    qtbot.addWidget(w)
    w.resize(*LAPTOP)
    w.show()
    return w


@pytest.mark.parametrize("theme", ["light", "high-contrast"])
@pytest.mark.parametrize("name", ["random bytes", "missing", "CNN_2 as CNN_1", "newer format"])
def test_the_window_shows_a_bad_model_file_in_one_line(qtbot, tmp_path, tiny_checkpoints,
                                                       name, theme):
    make, kind = BAD_MODEL_FILES[name]
    bad = make(tmp_path, tiny_checkpoints)
    config = AppConfig()
    config = dataclasses.replace(config, model=dataclasses.replace(
        config.model, cnn1=str(bad), cnn2=str(tiny_checkpoints["cnn2"]), threads=1,
        optimize="none"))
    w = _window(qtbot, config, theme)
    w.start_pipeline()
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=20000)
    headline = w.banner.headline.text()
    assert headline.startswith("The CNN_1 model file") and bad.name in headline, headline
    assert headline == model_sentence(kind, "CNN_1 model", bad)  # the class's sentence
    _no_advice(w.banner.text())
    # One line high, the panels keep their room; details and close work.
    assert w.banner.height() <= 3 * w.banner.headline.fontMetrics().height() + 16
    assert w.banner.toggle.isVisible() and not w.banner.scroll.isVisible()
    w.banner.toggle.click()
    assert w.banner.scroll.isVisible() and str(bad) in w.banner.details.text()
    w.banner.close_button.click()
    assert not w.banner.isVisible()
    w.runner.stop()


@pytest.mark.parametrize("theme", ["light", "high-contrast"])
def test_several_bad_settings_are_one_line_with_details(qtbot, theme):
    problems = ("ui.check_seconds = 0 is out of range [0.5, 60]; default 4.0 used",
                "smoothing.ema_alpha = 7 is out of range (0, 1]; default 0.35 used",
                "gestures.threshold = -1 is out of range (0, 1); default 0.7 used",
                "music.volume = 9999 is out of range [0, 100]; default 70 used")
    config = dataclasses.replace(AppConfig(), ui=dataclasses.replace(AppConfig().ui,
                                                                       theme=theme))
    w = MainWindow(config, problems=problems,
                   processor_factory=lambda: (None, None),
                   source_factory=lambda: ListSource(loop=True))
    qtbot.addWidget(w)
    w.resize(*LAPTOP)
    w.show()
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=5000)
    assert w.banner.text() == settings_message(problems)
    assert w.banner.headline.text().startswith("Settings: 4 values could not be used")
    assert w.banner.height() <= 3 * w.banner.headline.fontMetrics().height() + 16
    w.banner.toggle.click()
    assert all(p in w.banner.details.text() for p in problems)
    # The check's accuracy line and buttons stay on screen with the details open.
    confusion = w.confusion
    bottom = confusion.mapTo(w, confusion.rect().bottomLeft()).y()
    assert bottom <= w.height()
    w.banner.close_button.click()
    assert not w.banner.isVisible()


def test_a_damaged_profile_notice_is_short_and_without_numpy_text(tmp_path):
    from app.profiles.profile import ProfileError, load_profile

    bad = tmp_path / "me.emoprofile.npz"
    bad.write_bytes(os.urandom(400))
    with pytest.raises(ProfileError) as info:
        load_profile(bad)
    assert info.value.kind is Kind.DAMAGED and "calibrate again" in info.value.sentence
    _no_advice(str(info.value))
