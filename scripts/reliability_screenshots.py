"""Screenshots of the states issue #25 made readable, for docs/RELIABILITY.md.

Runs the real window (`python -m app --screenshot`) under the current display (use
`xvfb-run -s "-screen 0 1366x768x24"`) in the light and high-contrast themes, each with
its own settings in a temporary config folder:

- corrupt-checkpoint: `[model] cnn1` = a file of random bytes;
- bad-settings: four out-of-range values;
- no-audio: the demo music with VLC's default output on a machine without a sound
  device (here: no /dev/snd), after the music policy started a playlist.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/reliability_screenshots.py

Writes docs/reliability-<state>-<theme>.png; needs ../shared/datasets for the face video.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BAD_SETTINGS = """[ui]
check_seconds = 0
[smoothing]
ema_alpha = 7
[gestures]
threshold = -1
[music]
volume = 9999
"""


def main() -> int:
    out_dir = ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / "faces.avi"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_face_video.py"),
                        str(video), "--seconds-each", "5"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        music = tmp / "music"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo_music.py"), "--out",
                        str(music), "--pieces", "1", "--seconds", "20"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        bad = tmp / "downloaded-model.pt"
        bad.write_bytes(os.urandom(5000))
        states = {
            "corrupt-checkpoint": (f'[model]\ncnn1 = "{bad}"\n', 5),
            "bad-settings": (BAD_SETTINGS, 5),
            "no-audio": (f'[music]\nlibrary_root = "{music}"\n', 300),
        }
        for state, (settings, frames) in states.items():
            for theme in ("light", "high-contrast"):
                home = tmp / f"{state}-{theme}"
                (home / "emotune").mkdir(parents=True)
                (home / "emotune" / "settings.toml").write_text(settings)
                png = out_dir / f"reliability-{state}-{theme}.png"
                env = {**os.environ, "XDG_CONFIG_HOME": str(home),
                       "XDG_DATA_HOME": str(home / "data")}
                done = subprocess.run(
                    [sys.executable, "-m", "app", "--source", str(video), "--theme", theme,
                     "--screenshot", str(png), "--quit-after-frames", str(frames)],
                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
                print(f"{png.name}: exit {done.returncode}; {done.stderr.strip()[-200:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
