"""The faults tests reuse the UI fakes (tests/ui/uihelp.py: list source, scripted
processor, direct results)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui"))
