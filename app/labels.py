"""The seven expression labels. Their order is the class index everywhere in Emotune."""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
NUM_CLASSES = len(EMOTIONS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}

# Folder names seen in public datasets and user collections, mapped to our labels.
SYNONYMS: dict[str, str] = {
    "anger": "angry",
    "angry": "angry",
    "mad": "angry",
    "disgust": "disgust",
    "disgusted": "disgust",
    "fear": "fear",
    "fearful": "fear",
    "afraid": "fear",
    "scared": "fear",
    "happy": "happy",
    "happiness": "happy",
    "joy": "happy",
    "neutral": "neutral",
    "calm": "neutral",
    "sad": "sad",
    "sadness": "sad",
    "surprise": "surprise",
    "surprised": "surprise",
}


def canonical(name: str) -> str | None:
    """Return our label for a class-folder name (case-insensitive, synonyms allowed), or None."""
    return SYNONYMS.get(name.strip().lower())
