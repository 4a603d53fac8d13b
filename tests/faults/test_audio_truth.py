"""Issue #25, point 2: silence is never shown as "Playing"; decoder noise stays off the
terminal; an MP3 that does not decode in its first seconds is skipped with a reason."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from app.music.mp3check import mp3_problem
from app.music.probe import probe_header
from app.music.vlclog import OutputWatch
from tests.faults.audiohelp import play_in_child, wav

pytestmark = pytest.mark.faults
# MPEG-1 Layer III, 128 kb/s, 44.1 kHz, joint stereo, no CRC: frames of 417 bytes.
HEADER = b"\xff\xfb\x90\x64"


def _frames(n: int, body) -> bytes:
    return b"".join(HEADER + body(i) for i in range(n))


def _silent(i: int) -> bytes:
    return bytes(417 - 4)  # side info all zero: big_values 0, a valid silent frame


def _junk(i: int) -> bytes:
    return np.random.default_rng(i).integers(0, 256, 417 - 4, dtype=np.uint8).tobytes()


@pytest.mark.parametrize(("data", "verdict"), [
    (_frames(120, _silent), None),  # structurally valid frames decode
    (b"ID3\x03\x00\x00\x00\x00\x00\x10" + bytes(16) + _frames(120, _silent), None),
    (_frames(120, _junk), "does not decode"),  # frame-sync bytes with junk inside
    (HEADER + os.urandom(60_000), "does not decode"),  # one header, then random bytes
    (b"\x00" * 70_000, "holds no MP3 audio frames"),
    (_frames(3, _junk), None),  # too short to judge: VLC's own checks decide
])
def test_mp3_frames_are_checked_in_the_first_seconds(tmp_path, data, verdict):
    path = tmp_path / "t.mp3"
    path.write_bytes(data)
    problem = mp3_problem(path)
    assert (problem is None) if verdict is None else (verdict in (problem or ""))


def test_the_library_probe_skips_junk_mp3_with_a_reason(tmp_path):
    (tmp_path / "junk.mp3").write_bytes(_frames(200, _junk))
    reason = probe_header(tmp_path / "junk.mp3")
    assert reason is not None and "does not decode" in reason


@pytest.mark.parametrize(("lines", "expected"), [
    ([], ""),
    ([(3, 'cannot open ALSA device "default": No such file or directory'),
      (4, "failed to create audio output")], "no sound device was found"),
    ([(4, "PulseAudio server connection failure: Connection refused"),
      (4, "Audio output failed")], "the sound server (PulseAudio) is not running"),
    ([(4, "cannot open ALSA device: Device or resource busy"),
      (4, "failed to create audio output")], "the sound device is busy"),
    ([(4, "failed to create audio output")], "VLC could not open a sound output"),
    ([(0, "using audio output module \"alsa\"")], ""),  # a normal start says nothing
])
def test_the_output_watch_reads_vlc_log_lines(lines, expected):
    watch = OutputWatch()
    for level, text in lines:
        watch.note(level, text)
    problem = watch.problem(since=0)
    assert (problem == "") if not expected else problem.startswith(expected)


def test_an_old_failure_is_not_blamed_on_a_new_track():
    watch = OutputWatch()
    watch.note(4, "failed to create audio output")
    assert watch.problem(since=watch.failures) == ""  # the track started after it
    watch.last -= 5.0  # and one that stopped failing seconds ago has sound again
    assert watch.problem(since=0) == ""


def test_vlc_without_a_usable_device_says_no_audio_output(tmp_path):
    """Real libvlc pointed at an ALSA device that cannot exist: its state says "playing",
    the status says why nothing is heard (on any machine, sound card or not)."""
    pytest.importorskip("vlc")
    from app.music.library import Track
    from app.music.player import PlayerUnavailable, VlcPlayer

    try:
        player = VlcPlayer(("--no-video", "--quiet", "--aout=alsa",
                            "--alsa-audio-device=emotune-no-such-device"))
    except PlayerUnavailable:
        pytest.skip("libvlc is not installed")
    try:
        player.play(Track(wav(tmp_path / "t.wav", 2.0), "happy"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not player.status().output:
            time.sleep(0.05)
        status = player.status()
        assert status.state == "playing" and status.output, status
    finally:
        player.close()


def test_the_panel_never_says_playing_while_nothing_is_heard(qtbot):
    from app.ui.music_panel import MusicPanel, MusicView

    panel = MusicPanel()
    qtbot.addWidget(panel)
    panel.set_view(MusicView(True, now_playing="song", playing=True,
                             no_output="no sound device was found"))
    assert panel.now.text().startswith("No audio output: no sound device was found")
    assert "Playing" not in panel.now.text() and panel.prev_button.isEnabled()
    panel.set_view(MusicView(True, now_playing="song", playing=True))
    assert panel.now.text() == "Playing: song"


def test_the_controller_keeps_deciding_without_audio_output():
    """Mood and gestures keep working: the state the panel gets carries the reason and the
    track the policy chose."""
    from app.config import MusicConfig
    from app.music.controller import MusicController
    from app.music.library import Library, Playlist, Track
    from app.music.player import NullPlayer

    player = NullPlayer()
    player.output = "no sound device was found"
    track = Track(Path("happy.wav"), "happy")
    library = Library(Path("."), {"happy": Playlist("happy", (track,), ())}, ())
    controller = MusicController(MusicConfig(), library, player)
    controller.play_pause(0.0)
    snap = controller.snapshot()
    assert snap.state == "playing" and snap.output == "no sound device was found"
    assert snap.track == track


def test_decoder_noise_of_a_junk_mp3_stays_off_the_terminal(tmp_path):
    """libmpg123 printed its complaints straight to stderr (4,522 lines in 80 s); with the
    app's options the decoder reports through libvlc's log, which goes to ours."""
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(_frames(2000, _junk))
    out = play_in_child(junk, 2.0, 'DEFAULT_VLC_OPTIONS + ("--aout=dummy",)')
    assert out.returncode == 0, out.stderr[-500:]
    assert "libmpg123" not in out.stderr and out.stderr.count("\n") < 3, out.stderr[:500]
