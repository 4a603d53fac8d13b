"""The entry point: every command module registers or the parser fails loudly, and a
training command in a bundle without `app.train` says so instead of a traceback."""

from __future__ import annotations

import importlib

import pytest

import app.__main__ as entry


def test_every_command_module_registers():
    parser = entry.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"predict", "train", "evaluate", "bench", "bench-control", "calibrate",
            "booth-autostart"} <= set(sub.choices)


def test_a_command_module_that_fails_to_import_is_not_skipped(monkeypatch):
    real = importlib.import_module

    def broken(name, *a, **kw):
        if name == "app.commands.booth":
            raise ModuleNotFoundError("No module named 'app.commands.booth'",
                                      name="app.commands.booth")
        return real(name, *a, **kw)

    monkeypatch.setattr(entry.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):
        entry.build_parser()


@pytest.mark.parametrize(("missing", "handled"), [
    ("app.train", True), ("app.train.datasets", True), ("cv2", False)])
def test_a_missing_training_package_is_a_message(monkeypatch, capsys, missing, handled):
    def run(args):
        raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    parser = entry.build_parser()
    monkeypatch.setattr(entry, "build_parser", lambda: parser)
    parser.set_defaults(func=run)
    for action in parser._subparsers._group_actions:
        for child in action.choices.values():
            child.set_defaults(func=run)
    if handled:
        assert entry.main(["evaluate", "--data", "x"]) == 2
        err = capsys.readouterr().err
        assert "app.train" in err and "source checkout" in err
    else:
        with pytest.raises(ModuleNotFoundError):
            entry.main(["evaluate", "--data", "x"])
