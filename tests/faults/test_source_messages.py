"""Issue #17, problem 4: sources say what they are; unreadable images never end a loop."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.capture.source import ImageFolderSource, SourceError, open_source

pytestmark = pytest.mark.faults


def _png(path, value=80):
    cv2.imwrite(str(path), np.full((20, 30, 3), value, np.uint8))
    return path


def test_one_image_file_is_a_still_that_never_ends(tmp_path):
    source = open_source(str(_png(tmp_path / "face.png")))
    frames = [source.read() for _ in range(25)]
    assert all(f is not None and f.image.shape == (20, 30, 3) for f in frames)


def test_a_folder_of_non_images_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match="holds no images"):
        open_source(str(tmp_path))


def test_a_folder_of_images_that_are_not_images_raises_not_ends(tmp_path):
    (tmp_path / "a.png").write_text("not a picture")
    (tmp_path / "b.jpg").write_bytes(b"\x00" * 10)
    source = open_source(str(tmp_path), loop=True)
    with pytest.raises(SourceError, match="none of the 2 image file"):
        source.read()


def test_unreadable_files_do_not_stop_the_loop(tmp_path):
    _png(tmp_path / "a.png")
    (tmp_path / "b.png").write_text("broken")
    _png(tmp_path / "c.png", 120)
    source = ImageFolderSource(tmp_path, loop=True)
    frames = [source.read() for _ in range(60)]  # 30 passes over the folder
    assert all(f is not None for f in frames)
    assert source.skipped == 1
