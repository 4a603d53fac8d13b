"""A profile records the SHA-256 of the ONNX graphs the app ran, and is refused on others:
another export of other weights, or the PyTorch checkpoints of the torch backend."""

import shutil

import numpy as np
import pytest

from app.config import AppConfig, ModelConfig
from app.hashing import file_sha256
from app.labels import INDEX
from app.pipeline.engine import build_predictor
from app.profiles.apply import activate, enable_embeddings, loaded_hashes
from app.profiles.features import extract
from app.profiles.heads import fit_head
from app.profiles.profile import Profile, ProfileError


def _config(folder):
    return AppConfig(model=ModelConfig(cnn1=str(folder / "cnn1.pt"),
                                       cnn2=str(folder / "cnn2.pt"), device="cpu"))


@pytest.fixture
def weights(tmp_path, tiny_checkpoints):
    for name in ("cnn1", "cnn2"):
        for suffix in (".pt", ".onnx"):
            shutil.copy(tiny_checkpoints[name].with_suffix(suffix), tmp_path / f"{name}{suffix}")
    return tmp_path


@pytest.fixture
def profile(weights, face_bank):
    predictor = build_predictor(_config(weights))
    enable_embeddings(predictor, ["cnn1"])
    faces = [face_bank["happy"][0], face_bank["sad"][0]]
    head = fit_head("prototype", extract(predictor, faces),
                    np.array([INDEX["happy"], INDEX["sad"]]), "calibrated", 1.0, ["cnn1"])
    return Profile("p", head, loaded_hashes(predictor))


def test_the_profile_records_the_graphs_the_app_ran(profile, weights):
    assert profile.weights == {n: file_sha256(weights / f"{n}.onnx") for n in ("cnn1", "cnn2")}
    activate(profile, build_predictor(_config(weights)))  # the same graphs: accepted


@pytest.mark.parametrize("change", ["other graph", "torch backend"])
def test_a_profile_is_refused_on_other_weights(change, profile, weights, tiny_checkpoints):
    import torch

    from app.model.checkpoint import build_model, save_checkpoint
    from app.train.onnx_export import export_float

    backend = "onnx"
    if change == "other graph":  # retrained CNN_1: new checkpoint, its graph exported
        torch.manual_seed(1)
        save_checkpoint(weights / "cnn1.pt", build_model("cnn1", 48), arch="cnn1",
                        input_size=48)
        export_float(weights / "cnn1.pt", weights / "cnn1.onnx")
    else:
        backend = "torch"  # the checkpoints' hashes, not the graphs'
    with pytest.raises(ProfileError, match="fitted on other model weights"):
        activate(profile, build_predictor(_config(weights), backend))
