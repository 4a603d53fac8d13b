"""Screenshots of Settings > Profiles and the before/after view for docs/PROFILES.md.

    xvfb-run -a .venv/bin/python scripts/profile_screenshots.py PROFILE.emoprofile.npz

Copies the profile into a temporary profiles folder (the user's own is not touched) and
writes docs/profiles-settings.png and docs/profiles-before-after.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.labels import INDEX  # noqa: E402
from app.profiles.store import ProfileStore  # noqa: E402
from app.ui.profiles_view import BeforeAfterView, ProfilesSection  # noqa: E402
from app.ui.theme import apply_theme  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, "light")
    with tempfile.TemporaryDirectory() as tmp:
        store = ProfileStore(tmp)
        profile = store.import_file(sys.argv[1])
        section = ProfilesSection(store)
        section.resize(900, 420)
        probs = np.zeros(7)
        probs[INDEX["happy"]], probs[INDEX["surprise"]] = 0.64, 0.2
        section.set_live(probs)
        section.show()
        view = BeforeAfterView(profile.guard)
        view.resize(1100, 470)
        view.show()
        for _ in range(5):
            app.processEvents()
        section.grab().save(str(DOCS / "profiles-settings.png"))
        view.grab().save(str(DOCS / "profiles-before-after.png"))
    print("wrote", DOCS / "profiles-settings.png", DOCS / "profiles-before-after.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
