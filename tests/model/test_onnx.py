"""The exported ONNX graphs: round trip against torch, metadata, refusals, the runtime."""

import json

import numpy as np
import pytest

from app.errors import Kind
from app.hashing import file_sha256
from app.labels import EMOTIONS
from app.model.checkpoint import load_checkpoint
from app.model.onnx_graph import load_onnx_member
from app.model.predictor import Predictor
from app.model.preprocess import to_array
from app.model.runtime import OnnxPredictor, load_member_graph, onnx_candidates
from app.model.spec import CheckpointError


def _random_faces(n, size=64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]


def _real_faces(face_bank, per_class=2):
    return [faces[i] for faces in face_bank.values() for i in range(per_class)]


def _torch_logits_and_embedding(loaded, x):
    import torch

    from app.model.embedding import logits_and_embedding

    with torch.inference_mode():
        logits, emb = logits_and_embedding(loaded.module, torch.from_numpy(x))
    return logits.numpy(), emb.numpy()


@pytest.mark.parametrize("arch", ["cnn1", "cnn2"])
def test_float_graph_equals_the_torch_module_on_random_and_real_faces(arch, tiny_checkpoints,
                                                                       face_bank):
    loaded = load_checkpoint(tiny_checkpoints[arch])
    graph = load_onnx_member(tiny_checkpoints[arch].with_suffix(".onnx"), expect_arch=arch)
    for faces in (_random_faces(6), _real_faces(face_bank)):
        x = to_array(faces, 48, loaded.spec.preprocess)
        want_logits, want_emb = _torch_logits_and_embedding(loaded, x)
        logits, emb = graph.module.run(x, embed=True)
        np.testing.assert_allclose(logits, want_logits, atol=1e-4)
        np.testing.assert_allclose(emb, want_emb, atol=1e-4)
        assert graph.module.run(x)[1] is None  # the embedding only when asked for


def test_int8_graph_carries_torchs_int8_scales(tiny_checkpoints, face_bank, tmp_path):
    import torch

    from app.model.static_int8 import calibration_tensor, quantize_fx
    from app.train.onnx_export import export_int8

    faces = _real_faces(face_bank, per_class=6)
    path = export_int8(tiny_checkpoints["cnn1"], tmp_path / "cnn1.int8.onnx", faces)
    member = load_onnx_member(path)
    assert member.module.precision == "int8"
    loaded = load_checkpoint(tiny_checkpoints["cnn1"])
    x = calibration_tensor(_real_faces(face_bank, per_class=3), loaded.spec)
    with torch.inference_mode():
        want = quantize_fx(loaded, faces)(x).numpy()
    logits, emb = member.module.run(x.contiguous().numpy(), embed=True)
    # Same scales; the two int8 kernels round a few activations differently (ONNX Runtime
    # adds an int32 bias, torch a float one), a fraction of one logit step at most.
    assert np.abs(logits - want).mean() < 0.05 * np.abs(want).mean() + 1e-3
    assert (logits.argmax(1) == want.argmax(1)).mean() >= 0.9
    assert emb.shape == (len(x), 256)


def test_metadata_reads_back_the_checkpoint_description(tiny_checkpoints):
    graph = tiny_checkpoints["cnn2"].with_suffix(".onnx")
    member = load_onnx_member(graph, name="cnn2")
    meta, spec = member.module.meta, member.spec
    assert (spec.arch, spec.input_size, spec.in_channels) == ("cnn2", 48, 3)
    assert spec.labels == EMOTIONS and spec.temperature == 1.0
    assert spec.preprocess == {"color": "gray", "mean": 0.5, "std": 0.5}
    assert meta["source_sha256"] == file_sha256(tiny_checkpoints["cnn2"])
    assert meta["source"] == "cnn2.pt" and meta["precision"] == "float"
    assert int(meta["params"]) == 5_673_511  # as Keras counts CNN_2 at 48 x 48
    assert spec.path == str(graph)


def _foreign_onnx(path):
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 48, 48])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3, 48, 48])
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Identity", ["input"], ["logits"])], "foreign", [x], [y]),
        opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(path))


def _edited(source, path, **changes):
    import onnx

    model = onnx.load(str(source))
    for prop in model.metadata_props:
        if prop.key in changes:
            prop.value = changes[prop.key]
    onnx.save(model, str(path))


@pytest.mark.parametrize("case, fault, kind", [
    ("missing", "no such file", Kind.MISSING),
    ("a folder", "a folder, not a file", Kind.NOT_READABLE),
    ("empty", "cannot be read as an ONNX graph", Kind.DAMAGED),
    ("truncated", "cannot be read as an ONNX graph", Kind.DAMAGED),
    ("a pickle", "cannot be read as an ONNX graph", Kind.DAMAGED),
    ("foreign", "not an Emotune member", Kind.OTHER_MODEL),
    ("labels reordered", "disagree with the app's", Kind.OTHER_MODEL),
    ("newer version", "newer than this app reads", Kind.UNSUPPORTED),
    ("other architecture", "expected 'cnn1'", Kind.OTHER_MODEL),
    ("zero temperature", "must be > 0", Kind.DAMAGED),
])
def test_a_damaged_or_foreign_file_is_refused_naming_it(case, fault, kind, tiny_checkpoints,
                                                         tmp_path):
    good = tiny_checkpoints["cnn1"].with_suffix(".onnx")
    path = tmp_path / "model.onnx"
    if case == "a folder":
        path.mkdir()
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "truncated":
        path.write_bytes(good.read_bytes()[:2000])
    elif case == "a pickle":
        path.write_bytes(tiny_checkpoints["cnn1"].read_bytes())
    elif case == "foreign":
        _foreign_onnx(path)
    elif case == "labels reordered":
        _edited(good, path, labels=json.dumps(list(reversed(EMOTIONS))))
    elif case == "newer version":
        _edited(good, path, version="99")
    elif case == "other architecture":
        path = tiny_checkpoints["cnn2"].with_suffix(".onnx")
    elif case == "zero temperature":
        _edited(good, path, temperature="0")
    with pytest.raises(CheckpointError, match=fault) as info:
        load_onnx_member(path, expect_arch="cnn1")
    assert str(path) in str(info.value) and info.value.kind is kind
    assert info.value.sentence.startswith("The CNN_1 model file")
    assert "ONNXRuntimeError" not in str(info.value)  # the library's text is only logged


def test_a_checkpoint_is_read_through_its_own_graph_only(tiny_checkpoints, tmp_path):
    import shutil

    ckpt = shutil.copy(tiny_checkpoints["cnn1"], tmp_path / "cnn1.pt")
    with pytest.raises(CheckpointError, match="export-onnx") as info:  # nothing exported yet
        load_member_graph(ckpt, "cnn1", "static")
    assert info.value.kind is Kind.UNSUPPORTED
    # a graph of other weights beside it (here CNN_2's, renamed) is refused as stale
    shutil.copy(tiny_checkpoints["cnn2"].with_suffix(".onnx"), tmp_path / "cnn1.onnx")
    with pytest.raises(CheckpointError, match="exported from another checkpoint"):
        load_member_graph(ckpt, "cnn1", "static")
    shutil.copy(tiny_checkpoints["cnn1"].with_suffix(".onnx"), tmp_path / "cnn1.onnx")
    member, note = load_member_graph(ckpt, "cnn1", "static")
    assert member.spec.path == str(tmp_path / "cnn1.onnx")
    assert (note.int8_file, note.fell_back) == ("absent", True)


@pytest.mark.parametrize("level, first", [("static", ".int8.onnx"), ("full", ".int8.onnx"),
                                          ("none", ".onnx"), ("freeze", ".onnx")])
def test_the_level_picks_the_int8_or_the_float_graph_first(level, first, tmp_path):
    assert onnx_candidates(tmp_path / "cnn1.pt", level)[0].name == "cnn1" + first
    assert onnx_candidates(tmp_path / "cnn1", level)[0].name == "cnn1" + first


@pytest.mark.parametrize("flip", [False, True])
def test_onnx_predictor_gives_the_torch_predictors_answers(flip, tiny_checkpoints, face_bank):
    faces = _real_faces(face_bank) + _random_faces(3)
    members = [load_member_graph(p, n, "none")[0] for n, p in tiny_checkpoints.items()]
    onnx_p = OnnxPredictor(members, flip=flip)
    torch_p = Predictor.from_checkpoints(tiny_checkpoints, device="cpu", threads=1, flip=flip)
    onnx_p.enable_embeddings(["cnn1"])
    torch_p.enable_embeddings(["cnn1"])
    got, want = onnx_p.predict_batch(faces), torch_p.predict_batch(faces)
    for a, b in zip(got.predictions, want.predictions, strict=True):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)
        for name in ("cnn1", "cnn2"):
            np.testing.assert_allclose(a.members[name], b.members[name], atol=1e-5)
    assert set(got.embeddings) >= {"cnn1"}
    np.testing.assert_allclose(got.embeddings["cnn1"], want.embeddings["cnn1"], atol=1e-3)
    assert onnx_p.predict_batch([]).predictions == []


def test_the_command_backends_are_the_engines():
    from app.commands.backend import BACKENDS
    from app.pipeline import engine

    assert BACKENDS == engine.BACKENDS
