"""Settings > Profiles and the before/after view, offscreen, on a profile store in tmp."""

import numpy as np
import pytest

from app.labels import INDEX
from app.profiles.heads import fit_head
from app.profiles.profile import GestureBinding, Profile
from app.profiles.store import ProfileStore
from tests.profiles.conftest import synthetic

pytest.importorskip("PySide6")

from app.ui.profiles_view import BeforeAfterView, ProfilesSection  # noqa: E402


def _store(tmp_path):
    labels = np.repeat([INDEX["neutral"], INDEX["happy"], INDEX["surprise"]], 4)
    head = fit_head("prototype", synthetic(labels), labels, "subset", 1.0)
    counts = np.zeros((7, 7), int)
    counts[INDEX["happy"], INDEX["happy"]] = 5
    guard = {"kept": True, "before_accuracy": 0.4, "after_accuracy": 1.0,
             "frames_held_out": 5, "before_counts": counts.tolist(),
             "after_counts": counts.tolist()}
    store = ProfileStore(tmp_path)
    store.save(Profile("Ana", head, {"cnn1": "a"}, (GestureBinding("happy", "next", 0.6, 1.0),
                                                    GestureBinding("surprise", "lock", 0.8, 2.0)),
                       guard=guard))
    return store


def test_section_lists_edits_and_saves_gestures(qtbot, tmp_path):
    store = _store(tmp_path)
    section = ProfilesSection(store)
    qtbot.addWidget(section)
    assert section.list.count() == 1 and [r.emotion for r in section.rows] == ["happy",
                                                                               "surprise"]
    probs = np.zeros(7)
    probs[INDEX["happy"]] = 0.42
    section.set_live(probs)
    assert section.rows[0].live.value() == 42 and section.rows[1].live.value() == 0
    section.rows[0].threshold.setValue(75)
    section.rows[0].hold.setValue(0.5)
    section.save()
    again = store.load("Ana").gestures[0]
    assert (again.threshold, again.hold_s) == (0.75, 0.5)


def test_section_without_profiles_says_what_to_do(qtbot, tmp_path):
    section = ProfilesSection(ProfileStore(tmp_path / "none"))
    qtbot.addWidget(section)
    assert "No profile yet" in section.summary.text() and section.rows == []


def test_before_after_view_states_the_verdict(qtbot, tmp_path):
    profile = _store(tmp_path).load("Ana")
    view = BeforeAfterView(profile.guard)
    qtbot.addWidget(view)
    text = " ".join(w.text() for w in view.findChildren(type(view.layout().itemAt(0).widget())))
    assert "40 %" in text and "100 %" in text and "kept" in text
