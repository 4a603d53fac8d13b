"""`--profile` on the command line: a profile fitted on other weights is refused with a
message naming the problem; one fitted on the loaded weights answers within its set."""

import json

import cv2
import numpy as np
import pytest

from app.__main__ import main
from app.labels import INDEX
from app.profiles.apply import enable_embeddings, loaded_hashes
from app.profiles.features import extract
from app.profiles.heads import fit_head
from app.profiles.profile import Profile, save_profile


def _args(ckpts):
    return ["--cnn1", str(ckpts["cnn1"]), "--cnn2", str(ckpts["cnn2"])]


@pytest.fixture
def face(tmp_path, face_bank):
    path = tmp_path / "face.png"
    cv2.imwrite(str(path), cv2.cvtColor(face_bank["surprise"][0], cv2.COLOR_RGB2BGR))
    return path


def _profile(tmp_path, head, hashes):
    return save_profile(Profile("p", head, hashes), tmp_path / "p.emoprofile.npz")


def test_predict_refuses_a_profile_of_other_weights(tmp_path, capsys, face, tiny_checkpoints,
                                                    make_features):
    labels = np.repeat([INDEX["neutral"], INDEX["happy"]], 3)
    head = fit_head("bias", make_features(labels), labels)
    path = _profile(tmp_path, head, {"cnn1": "0" * 64, "cnn2": "1" * 64})
    code = main(["predict", "--aligned", str(face), *_args(tiny_checkpoints),
                 "--profile", str(path)])
    assert code == 6  # app.errors.Kind.OTHER_MODEL, as a CNN_2 file given as CNN_1
    assert "fitted on other model weights" in capsys.readouterr().err


def test_predict_with_a_matching_subset_profile(tmp_path, capsys, face, face_bank,
                                                tiny_checkpoints):
    from app.config import AppConfig, ModelConfig
    from app.pipeline.engine import build_predictor

    config = AppConfig(model=ModelConfig(cnn1=str(tiny_checkpoints["cnn1"]),
                                         cnn2=str(tiny_checkpoints["cnn2"]), device="cpu"))
    predictor = build_predictor(config)
    enable_embeddings(predictor, ["cnn1"])
    faces = [face_bank["happy"][0], face_bank["surprise"][0], face_bank["happy"][1]]
    labels = np.array([INDEX["happy"], INDEX["surprise"], INDEX["happy"]])
    head = fit_head("prototype", extract(predictor, faces), labels, "calibrated", 1.0,
                    ["cnn1"])
    path = _profile(tmp_path, head, loaded_hashes(predictor))
    assert main(["predict", "--aligned", str(face), *_args(tiny_checkpoints),
                 "--profile", str(path)]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    probs = record["faces"][0]["probs"]
    assert record["faces"][0]["emotion"] in ("happy", "surprise")
    assert sum(v for k, v in probs.items() if k not in ("happy", "surprise")) < 1e-9


def test_protocol_personal_refuses_a_missing_checkpoint(tmp_path, capsys):
    code = main(["protocol", "personal", "--data", str(tmp_path), "--cnn1",
                 str(tmp_path / "nope.pt")])
    assert code == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_protocol_personal_scores_the_checkpoints_it_is_given(tmp_path, monkeypatch,
                                                              tiny_checkpoints):
    import app.profiles.profile as profile_module

    used = {}

    class Stop(Exception):
        pass

    def record(paths):
        used.update(paths)
        raise Stop

    monkeypatch.setattr(profile_module, "weights_hashes", record)
    with pytest.raises(Stop):
        main(["protocol", "personal", "--data", str(tmp_path), *_args(tiny_checkpoints)])
    assert used == {"cnn1": tiny_checkpoints["cnn1"], "cnn2": tiny_checkpoints["cnn2"]}
