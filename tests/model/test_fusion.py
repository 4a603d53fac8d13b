import numpy as np
import pytest

from app.model.fusion import fuse, product_rule, sum_rule

P1 = np.array([0.5, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
P2 = np.array([0.2, 0.1, 0.1, 0.4, 0.1, 0.05, 0.05])


def test_product_rule_by_hand():
    raw = P1 * P2  # [0.1, 0.01, 0.01, 0.04, 0.01, 0.0025, 0.0025]
    expected = raw / raw.sum()  # sum = 0.175
    np.testing.assert_allclose(product_rule([P1, P2]), expected, rtol=1e-9)
    assert product_rule([P1, P2])[0] == pytest.approx(0.1 / 0.175)


def test_sum_rule_by_hand():
    np.testing.assert_allclose(sum_rule([P1, P2]), (P1 + P2) / 2, rtol=1e-12)
    assert sum_rule([P1, P2])[3] == pytest.approx(0.25)


def test_weights():
    np.testing.assert_allclose(sum_rule([P1, P2], [3, 1]), 0.75 * P1 + 0.25 * P2)
    raw = P1**2 * P2
    np.testing.assert_allclose(product_rule([P1, P2], [2, 1]), raw / raw.sum(), rtol=1e-9)


def test_product_rule_does_not_underflow():
    tiny = np.full(7, 1e-300)
    tiny[2] = 1.0 - 6e-300
    members = [tiny] * 50  # the plain product of 50 members underflows to all zeros
    fused = product_rule(members)
    assert np.all(np.isfinite(fused))
    assert fused.argmax() == 2
    assert fused.sum() == pytest.approx(1.0)


def test_batches_on_the_last_axis():
    batch1 = np.stack([P1, P2])
    batch2 = np.stack([P2, P1])
    fused = product_rule([batch1, batch2])
    assert fused.shape == (2, 7)
    np.testing.assert_allclose(fused[0], fused[1])


def test_single_member_is_identity():
    np.testing.assert_allclose(fuse("product", [P1]), P1 / P1.sum())
    np.testing.assert_allclose(fuse("sum", [P1]), P1 / P1.sum())


@pytest.mark.parametrize(("rule", "members", "weights", "message"), [
    ("max", [P1], None, "unknown fusion rule"),
    ("product", [], None, "at least one"),
    ("sum", [P1, P2], [1.0], "2 members"),
    ("sum", [P1, P2], [0.0, 0.0], "not all zero"),
    ("product", [P1, P2], [-1.0, 1.0], "non-negative"),
    ("sum", [-P1], None, "non-negative"),
])
def test_invalid_input_is_refused(rule, members, weights, message):
    with pytest.raises(ValueError, match=message):
        fuse(rule, members, weights)
