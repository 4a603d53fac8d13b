import numpy as np
import pytest

from app.profiles.features import Features


def synthetic(labels, dim=16, seed=0, base_bias=None):
    """Features whose embeddings cluster by class (one direction per class plus noise) and
    whose base log-probabilities favour `base_bias` (a wrong base model) when given."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    centres = np.random.default_rng(99).normal(size=(7, dim))
    emb = centres[labels] + 0.3 * rng.normal(size=(len(labels), dim))
    logits = rng.normal(size=(len(labels), 7)) * 0.1
    logits[np.arange(len(labels)), labels] += 1.0
    if base_bias is not None:
        logits[:, base_bias] += 3.0
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return Features({"cnn1": emb.astype(np.float32), "cnn2": emb[:, ::-1].astype(np.float32)},
                    {"cnn1": logp, "cnn2": logp}, logp)


@pytest.fixture
def make_features():
    return synthetic
