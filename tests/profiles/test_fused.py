"""The default head (app.profiles.fused): it fixes what it was shown where the base is
confidently wrong, its base weight and temperature are fitted per person, it says which
expressions it cannot separate, and it fits and runs without torch."""

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.labels import EMOTIONS, INDEX
from app.metrics import ConfusionMatrix
from app.profiles.calibration import DEFAULT_KIND, fit_profile, separation_advice
from app.profiles.features import Features
from app.profiles.fused import describe
from app.profiles.heads import fit_head
from app.profiles.profile import Profile, load_profile, save_profile

ROOT = Path(__file__).resolve().parents[2]
HASHES = {"cnn1": "a" * 64, "cnn2": "b" * 64}
CLASSES = [INDEX[e] for e in ("neutral", "happy", "surprise", "fear")]


def person(n_per_class=12, seed=0, wrong_to=None, confidence=9.0):
    """One synthetic person: embeddings and member log-probabilities that separate the
    classes (the person is consistent), and a fused base that is right (wrong_to None) or
    says `wrong_to` for every frame with log-odds of `confidence` (the shipped members'
    0.9998 on a new face)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(CLASSES, n_per_class)
    centres = np.random.default_rng(7).normal(size=(7, 32))
    emb = centres[y] + 0.4 * rng.normal(size=(len(y), 32))
    own = np.random.default_rng(8).normal(size=(7, 7)) * 2.0  # the person's own logp shape
    logits = own[y] + 0.3 * rng.normal(size=(len(y), 7))
    if wrong_to is None:
        logits[np.arange(len(y)), y] += confidence
    else:
        logits[:, wrong_to] += confidence
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return Features({"cnn1": emb.astype(np.float32)}, {"cnn1": logp, "cnn2": logp},
                    2 * logp - np.log(np.exp(2 * logp).sum(axis=1, keepdims=True))), y


def test_default_head_is_the_fused_one():
    assert DEFAULT_KIND == "fused"


def test_fixes_a_confidently_wrong_base_on_its_held_out_frames():
    feats, y = person(wrong_to=INDEX["happy"])
    times = np.arange(len(y), dtype=float)
    _, guard = fit_profile("P", feats, y, times, HASHES, scope="calibrated")
    assert guard.before.accuracy() == pytest.approx(0.25)  # the base says happy throughout
    assert guard.after.accuracy() >= 0.95
    assert guard.kept and guard.advice == []
    # the fixed-weight head of the previous round (base at weight 1) is outvoted here
    _, old = fit_profile("P", feats, y, times, HASHES, kind="prototype", lam=1.0,
                         scope="calibrated")
    assert old.after.accuracy() < guard.after.accuracy()


def test_base_weight_and_temperature_are_fitted_per_person():
    right, y = person(wrong_to=None, seed=1)
    wrong, _ = person(wrong_to=INDEX["happy"], seed=1)
    fit = {name: describe(fit_head("fused", f, y, "calibrated", 0.0, ("cnn1",)).params)
           for name, f in (("right", right), ("wrong", wrong))}
    assert fit["right"]["fitted"] and fit["wrong"]["fitted"]
    # a base that is always right keeps a weight; one that is confidently wrong is
    # flattened (higher temperature) and counts less than for the first person
    assert fit["right"]["base_weight"] > 0
    assert fit["wrong"]["base_temperature"] > fit["right"]["base_temperature"]
    assert fit["wrong"]["base_weight"] / max(fit["wrong"]["base_temperature"], 1e-9) < \
        fit["right"]["base_weight"] / fit["right"]["base_temperature"]


def test_one_frame_per_expression_uses_the_prior_and_says_so():
    feats, y = person(n_per_class=1, wrong_to=None)
    head = fit_head("fused", feats, y, "calibrated", 0.0, ("cnn1",))
    assert describe(head.params)["fitted"] is False
    assert head.log_probs(feats).shape == (len(y), 7)


def test_a_head_without_embedding_weight_needs_no_embeddings():
    feats, y = person(wrong_to=None)
    head = fit_head("fused", feats, y, "calibrated", 0.0, ("cnn1",))
    assert head.needs_embeddings == bool(head.members)
    if not head.members:  # the fit switched the embedding off: it must not be read
        bare = Features({}, feats.member_logp, feats.base_logp)
        np.testing.assert_allclose(head.log_probs(bare), head.log_probs(feats))


def test_round_trip_through_the_profile_file(tmp_path):
    feats, y = person(wrong_to=INDEX["fear"])
    head = fit_head("fused", feats, y, "subset", 0.0, ("cnn1",))
    path = save_profile(Profile("P", head, dict(HASHES)), tmp_path / "p.emoprofile.npz")
    np.testing.assert_allclose(load_profile(path).head.log_probs(feats), head.log_probs(feats))


def _matrix(pairs):
    counts = np.zeros((7, 7), np.int64)
    for (t, p), n in pairs.items():
        counts[INDEX[t], INDEX[p]] = n
    return ConfusionMatrix(counts)


@pytest.mark.parametrize("pairs, expected", [
    ({("happy", "happy"): 10, ("fear", "fear"): 10}, []),  # perfect: nothing to say
    ({("happy", "happy"): 40, ("fear", "fear"): 19, ("fear", "surprise"): 1}, []),  # >= 95 %
    ({("fear", "fear"): 4, ("fear", "surprise"): 6, ("surprise", "surprise"): 10},
     [("fear", "surprise")]),
    # a pair confused both ways is said once
    ({("fear", "surprise"): 5, ("surprise", "fear"): 5, ("happy", "happy"): 10},
     [("fear", "surprise")]),
    ({("sad", "neutral"): 3, ("sad", "sad"): 2, ("angry", "disgust"): 4, ("angry", "angry"): 1,
      ("neutral", "neutral"): 5, ("disgust", "disgust"): 5},
     [("angry", "disgust"), ("sad", "neutral")]),
    # neutral was never recorded (CK+ has no neutral face): say so instead
    ({("angry", "neutral"): 8, ("happy", "happy"): 8}, [("angry", "neutral", "not recorded")]),
])
def test_separation_advice_names_the_pairs(pairs, expected):
    lines = separation_advice(_matrix(pairs))
    assert len(lines) == len(expected)
    for line, (a, b, *missing) in zip(lines, expected, strict=True):
        if missing:
            assert f"Your {a} reads as {b}" in line and f"record {b} too" in line
        else:
            assert f"Your {a} and {b} look alike" in line and "record them again" in line
        assert all(e not in line for e in EMOTIONS if e not in (a, b))


def test_fits_and_runs_without_torch():
    # the head's own modules only (the profile file and the guard's matrix still import
    # torch through app.train / app.model until the torch-free app lands)
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np\n"
        "from app.labels import INDEX\n"
        "from app.profiles.features import Features\n"
        "from app.profiles.heads import fit_head\n"
        f"CLASSES = {CLASSES}\n" + inspect.getsource(person) +
        "f, y = person(wrong_to=2)\n"
        "h = fit_head('fused', f, y, 'calibrated', 0.0, ('cnn1',))\n"
        "print((np.array(h.classes)[h.scores(f).argmax(1)] == y).mean())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip()) >= 0.95


def test_a_profile_recorded_on_the_embedding_graph_activates_without_embedding_weight():
    """The fused fit may give CNN_1's embedding no weight (members ()); the profile still
    names the embedding graph it was recorded on, and must activate on the same weights
    (it was refused as "fitted on other model weights" before)."""
    from app.config import AppConfig
    from app.paths import default_weights
    from app.pipeline.engine import build_predictor
    from app.profiles.apply import activate, enable_embeddings, loaded_hashes

    if not all(p.is_file() for p in default_weights().values()):
        pytest.skip("shipped weights not installed")
    # the torch backend records the separate embedding graph (cnn1.embed.int8.pt) ...
    recording = build_predictor(AppConfig(), backend="torch")
    enable_embeddings(recording, ["cnn1"])
    hashes = loaded_hashes(recording)
    if "cnn1.embed" not in hashes:
        pytest.skip("no static int8 embedding graph here")
    feats, y = person(wrong_to=None)
    head = fit_head("fused", feats, y, "subset", 0.0, ())
    assert not head.members
    hook = activate(Profile("P", head, hashes), build_predictor(AppConfig(), backend="torch"))
    assert hook.active
    # ... the app's ONNX graphs give the embedding from the member graph itself, so the
    # recorded hashes are the same with and without embeddings
    recording = build_predictor(AppConfig())
    plain = loaded_hashes(recording)
    enable_embeddings(recording, ["cnn1"])
    assert loaded_hashes(recording) == plain
    assert activate(Profile("P", head, plain), build_predictor(AppConfig())).active
