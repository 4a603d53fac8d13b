import threading

import cv2
import numpy as np
import pytest

from app.capture.facevideo import VideoScript, compose_frame, make_face_video
from app.capture.source import (
    ImageFolderSource,
    LatestFrameSlot,
    SourceError,
    VideoFileSource,
    open_source,
)
from app.records import Frame


def _frame(i):
    return Frame(i, float(i), np.zeros((4, 4, 3), np.uint8))


def test_latest_frame_wins_and_stale_ones_are_counted():
    slot = LatestFrameSlot()
    for i in range(5):
        slot.put(_frame(i))
    assert slot.take(0).index == 4
    assert slot.dropped == 4
    assert slot.take(0.01) is None  # nothing new


def test_take_wakes_up_when_a_frame_arrives():
    slot = LatestFrameSlot()
    got = []
    thread = threading.Thread(target=lambda: got.append(slot.take(5.0)))
    thread.start()
    slot.put(_frame(7))
    thread.join(5.0)
    assert got and got[0].index == 7


def test_close_releases_a_waiting_consumer():
    slot = LatestFrameSlot()
    got = []
    thread = threading.Thread(target=lambda: got.append(slot.take(10.0)))
    thread.start()
    slot.close()
    thread.join(5.0)
    assert not thread.is_alive() and got == [None] and slot.closed


@pytest.fixture()
def small_video(tmp_path):
    path = tmp_path / "v.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(6):
        writer.write(np.full((48, 64, 3), i * 40, np.uint8))
    writer.release()
    return path


def test_video_file_plays_to_the_end_then_stops(small_video):
    src = open_source(str(small_video))
    assert isinstance(src, VideoFileSource) and src.fps == pytest.approx(10)
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    assert len(frames) == 6
    assert [f.index for f in frames] == list(range(6))
    assert frames[0].image.shape == (48, 64, 3)
    src.close()
    assert src.read() is None


def test_video_file_loops_when_asked(small_video):
    src = open_source(str(small_video), loop=True)
    assert all(src.read() is not None for _ in range(20))
    src.close()


def test_image_folder_skips_unreadable_files(tmp_path):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((10, 12), i * 50, np.uint8))
    (tmp_path / "3.png").write_bytes(b"broken")
    src = open_source(str(tmp_path))
    assert isinstance(src, ImageFolderSource)
    frames = [src.read() for _ in range(4)]
    assert [f is not None for f in frames] == [True, True, True, False]
    assert frames[0].image.shape == (10, 12, 3)
    assert src.skipped == 1


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: str(p / "missing.mp4"), "missing.mp4 does not exist"),
    (lambda p: (p / "bad.mp4").write_bytes(b"\x00" * 100) and str(p / "bad.mp4"),
     "could not be decoded"),
    (lambda p: str(p), "holds no images"),
    (lambda p: "7", "camera 7 could not be opened"),
])
def test_bad_sources_say_what_is_wrong(tmp_path, make, message):
    with pytest.raises(SourceError, match=message):
        open_source(make(tmp_path))


def test_face_video_follows_its_script(tmp_path, face_bank):
    script = VideoScript.from_dict({"fps": 10, "segments": [
        {"start_s": 0, "end_s": 1, "emotion": "happy"},
        {"start_s": 1, "end_s": 1.5, "emotion": None},
        {"start_s": 1.5, "end_s": 2.5, "emotion": "sad"}]})
    path = make_face_video(tmp_path / "s.avi", script, datasets_dir=None)
    src = open_source(str(path))
    frames = []
    while (f := src.read()) is not None:
        frames.append(f.image)
    assert len(frames) == 25
    empty = compose_frame(None, (640, 480), 0.0)
    assert np.abs(frames[12].astype(int) - empty).mean() < 3  # the no-face segment
    assert np.abs(frames[5].astype(int) - empty).mean() > 10  # a face is shown
    assert script.emotion_at(0.5) == "happy" and script.emotion_at(2.0) == "sad"
    assert script.emotion_at(1.2) is None


@pytest.mark.parametrize("bad", [
    {"segments": []},
    {"fps": 30, "segments": [{"start_s": 2, "end_s": 1, "emotion": "sad"}]},
    {"fps": 30, "segments": [{"start_s": 0, "end_s": 1, "emotion": "bored"}]},
    {"fps": 30, "segments": [{"end_s": 1}]},
])
def test_bad_scripts_are_refused(bad):
    with pytest.raises(ValueError):
        VideoScript.from_dict(bad)


def test_missing_camera_nodes_are_not_probed(monkeypatch):
    """Without /dev/videoN the probe skips OpenCV (which would only print warnings)."""
    from app.capture import source as source_module

    opened = []
    monkeypatch.setattr(source_module, "_no_device_node", lambda index: index != 2)
    monkeypatch.setattr(source_module.cv2, "VideoCapture",
                        lambda index: opened.append(index) or _ClosedCapture())
    assert source_module.list_cameras(max_index=5) == []
    assert opened == [2]  # only the index whose device node exists was tried
    with pytest.raises(SourceError, match="/dev/video0 does not exist"):
        open_source("0")
    assert opened == [2]


class _ClosedCapture:
    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return False

    def release(self) -> None:
        pass
