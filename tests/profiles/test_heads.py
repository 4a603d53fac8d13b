import numpy as np
import pytest

from app.labels import INDEX
from app.profiles.heads import KINDS, Head, allowed_classes, combine, fit_head

NEUTRAL, HAPPY, SURPRISE, ANGRY = (INDEX[k] for k in ("neutral", "happy", "surprise", "angry"))


def _last_layers(dim=16):
    rng = np.random.default_rng(3)
    return {m: (rng.normal(size=(7, dim)) * 0.1, np.zeros(7)) for m in ("cnn1", "cnn2")}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_each_head_fixes_a_base_that_always_says_angry(make_features, kind, lam):
    labels = np.repeat([NEUTRAL, HAPPY, SURPRISE], 8)
    train = make_features(labels, seed=1, base_bias=ANGRY)
    test = make_features(labels, seed=2, base_bias=ANGRY)
    head = fit_head(kind, train, labels, "subset", lam, last_layers=_last_layers())
    before = (test.base_logp.argmax(1) == labels).mean()
    after = (head.log_probs(test).argmax(1) == labels).mean()
    assert before == 0.0
    assert after >= 0.9


@pytest.mark.parametrize("kind", KINDS)
def test_subset_profile_never_outputs_outside_its_set(make_features, kind):
    labels = np.repeat([NEUTRAL, HAPPY, SURPRISE], 6)
    head = fit_head(kind, make_features(labels, seed=1), labels, "subset",
                    last_layers=_last_layers())
    everyone = make_features(np.repeat(np.arange(7), 10), seed=4, base_bias=ANGRY)
    probs = np.exp(head.log_probs(everyone))
    outside = [c for c in range(7) if c not in (NEUTRAL, HAPPY, SURPRISE)]
    assert set(head.log_probs(everyone).argmax(1)) <= {NEUTRAL, HAPPY, SURPRISE}
    assert probs[:, outside].max() < 1e-12
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-9)


@pytest.mark.parametrize("classes,scope,expected", [
    ((HAPPY, SURPRISE), "subset", (HAPPY, NEUTRAL, SURPRISE)),
    ((HAPPY, SURPRISE), "calibrated", (HAPPY, SURPRISE)),
    ((HAPPY,), "all", tuple(range(7))),
])
def test_allowed_classes(classes, scope, expected):
    assert allowed_classes(classes, scope) == tuple(sorted(expected))


def test_unknown_scope_and_kind_are_refused():
    with pytest.raises(ValueError, match="unknown profile scope"):
        allowed_classes((HAPPY,), "some")
    with pytest.raises(ValueError, match="unknown head kind"):
        Head("svm", (HAPPY,), (HAPPY,), 0.0, ())


def test_uncalibrated_allowed_class_keeps_the_base_probability():
    base = np.log(np.array([[0.05, 0.05, 0.05, 0.2, 0.5, 0.05, 0.1]]))
    out = np.exp(combine(np.array([[2.0, 0.0]]), base, (HAPPY, SURPRISE),
                         tuple(range(7)), 0.0))
    assert out[0, NEUTRAL] == pytest.approx(0.5)
    assert out[0, HAPPY] + out[0, SURPRISE] == pytest.approx(0.3)
    assert out[0, HAPPY] > out[0, SURPRISE]
