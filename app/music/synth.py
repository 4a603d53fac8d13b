"""Demo music by pure numpy synthesis, so a first run plays something without shipping audio.

Each emotion gets pieces whose tempo, mode and timbre suit the mood (the usual findings of
music-emotion research: major + fast = happy, minor + slow = sad, fast + dissonant + loud =
angry, tremolo + diminished = fear, ...). The pieces are deterministic (seeded), written as
16-bit mono WAV (no encoder dependency), and licensed with the project (MIT).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.atomic import atomic_open

SAMPLE_RATE = 22050
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
PHRYGIAN = (0, 1, 3, 5, 7, 8, 10)
LYDIAN = (0, 2, 4, 6, 7, 9, 11)
LOCRIAN = (0, 1, 3, 5, 6, 8, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)


@dataclass(frozen=True)
class Mood:
    """How one emotion sounds: key (MIDI root), scale, tempo, chord degrees and timbre."""

    root: int
    scale: tuple[int, ...]
    bpm: int
    progression: tuple[int, ...]  # scale degrees (0-based), one chord a bar
    wave: str  # "sine", "soft", "saw", "square"
    notes_per_beat: int
    drums: bool
    tremolo_hz: float = 0.0
    label: str = ""


MOODS: dict[str, Mood] = {
    "happy": Mood(60, MAJOR, 128, (0, 4, 5, 3), "soft", 2, True, label="major, bright"),
    "sad": Mood(57, MINOR, 66, (0, 5, 2, 6), "sine", 1, False, label="minor, slow"),
    "angry": Mood(52, PHRYGIAN, 150, (0, 1, 0, 6), "saw", 2, True, label="phrygian, driving"),
    "fear": Mood(50, LOCRIAN, 76, (0, 4, 1, 4), "sine", 1, False, 6.0, "diminished, tremolo"),
    "disgust": Mood(55, LOCRIAN, 96, (0, 1, 4, 1), "square", 1, True, label="locrian, sour"),
    "neutral": Mood(62, DORIAN, 90, (0, 3, 0, 4), "sine", 1, False, label="dorian, calm"),
    "surprise": Mood(65, LYDIAN, 140, (0, 1, 4, 0), "soft", 4, True, label="lydian, leaps"),
}


def _freq(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def _tone(freq: float, n: int, wave_kind: str, sr: int) -> np.ndarray:
    t = np.arange(n) / sr
    phase = 2 * np.pi * freq * t
    if wave_kind == "saw":
        x = 2.0 * ((freq * t) % 1.0) - 1.0
        x = np.tanh(2.5 * x)  # mild overdrive
    elif wave_kind == "square":
        x = np.tanh(4.0 * np.sin(phase)) * 0.6
    elif wave_kind == "soft":
        x = np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase)
    else:
        x = np.sin(phase)
    attack = min(n, int(0.01 * sr))
    env = np.exp(-3.0 * t / max(t[-1], 1e-3)) if n else t
    env[:attack] *= np.linspace(0.0, 1.0, attack)
    return x * env


def _degree(mood: Mood, degree: int, octave: int = 0) -> float:
    step = mood.scale[degree % 7] + 12 * (degree // 7 + octave)
    return mood.root + step


def render(emotion: str, seconds: float = 20.0, variant: int = 0,
           sr: int = SAMPLE_RATE) -> np.ndarray:
    """A mono float32 piece in [-1, 1] for `emotion`; `variant` changes melody and key."""
    mood = MOODS[emotion]
    rng = np.random.default_rng(1000 * variant + sum(map(ord, emotion)))
    shift = (0, 5, -3, 2)[variant % 4]
    mood = Mood(**{**mood.__dict__, "root": mood.root + shift})
    n_total = int(seconds * sr)
    beat = 60.0 / mood.bpm
    bar_n = int(4 * beat * sr)
    out = np.zeros(n_total + bar_n + sr, dtype=np.float64)  # room for the last bar's tail
    step_n = int(beat / mood.notes_per_beat * sr)
    melody_degree = 7
    for bar, start in enumerate(range(0, n_total, bar_n)):
        chord = mood.progression[bar % len(mood.progression)]
        for k in (0, 2, 4):  # pad: the triad, held for the bar
            out[start:start + bar_n] += 0.12 * _tone(_freq(_degree(mood, chord + k)), bar_n,
                                                     "sine", sr)
        for b in range(4):  # bass: chord root on each beat
            s = start + int(b * beat * sr)
            out[s:s + int(beat * sr)] += 0.25 * _tone(_freq(_degree(mood, chord, -1)),
                                                      int(beat * sr), mood.wave, sr)
        for s in range(start, start + bar_n, step_n):  # melody: a random walk on the scale
            melody_degree = int(np.clip(melody_degree + rng.integers(-2, 3), 4, 13))
            if rng.random() < 0.15:
                continue  # a rest now and then
            out[s:s + step_n] += 0.22 * _tone(_freq(_degree(mood, melody_degree, 1)), step_n,
                                              mood.wave, sr)
        if mood.drums:
            for b in range(4):
                s = start + int(b * beat * sr)
                n = int(0.12 * sr)
                t = np.arange(n) / sr
                kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-t * 30)) * t) * np.exp(-t * 25)
                out[s:s + n] += 0.35 * kick
                h = s + int(beat * sr / 2)
                hat = rng.standard_normal(int(0.03 * sr)) * np.exp(-np.arange(int(0.03 * sr))
                                                                   / (0.006 * sr))
                out[h:h + hat.size] += 0.05 * hat
    out = out[:n_total]
    if mood.tremolo_hz:
        out *= 0.75 + 0.25 * np.sin(2 * np.pi * mood.tremolo_hz * np.arange(n_total) / sr)
    fade = min(n_total // 4, int(1.0 * sr))
    out[:fade] *= np.linspace(0, 1, fade)
    out[n_total - fade:] *= np.linspace(1, 0, fade)
    peak = np.max(np.abs(out)) or 1.0
    return (0.8 * out / peak).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, sr: int = SAMPLE_RATE) -> Path:
    """Write mono float samples as 16-bit PCM WAV (atomically: temp file, then rename)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with atomic_open(path, "wb") as fh, wave.open(fh, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sr)
        wav.writeframes(pcm.tobytes())
    return path


def render_chime(sr: int = SAMPLE_RATE) -> np.ndarray:
    """A short rising two-note chime: the audible confirmation of a gesture."""
    parts = [_tone(_freq(m), int(0.12 * sr), "soft", sr) for m in (76, 83)]
    return (0.5 * np.concatenate(parts) / max(np.max(np.abs(np.concatenate(parts))), 1e-9)
            ).astype(np.float32)


CHIME_NAME = "gesture-chime.wav"


def piece_name(emotion: str, variant: int) -> str:
    mood = MOODS[emotion]
    return f"{emotion}-{variant + 1}_{mood.bpm}bpm_{mood.label.split(',')[0]}.wav"
