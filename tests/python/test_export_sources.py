"""scripts/export_model.py's sources on tiny random-weight models: a Hugging Face
CLIPModel folder, TorchScript pairs, open_clip. Each gives a manifest with the source's
own preprocessing and ONNX towers that answer as the source's PyTorch model does.

Needs torch and open_clip (scripts/setup --train), the Hugging Face test also
transformers: skipped where they are not installed (as in CI, which installs
scripts/requirements.txt only). What needs no torch is in test_model_manifest.py.
"""

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (scripts/setup --train)")
open_clip = pytest.importorskip("open_clip", reason="needs open_clip (scripts/setup --train)")

import export_model  # noqa: E402
from clip_export import ExportError, TextTower, export, hf_towers, open_clip_towers, torchscript_towers  # noqa: E402
from make_clip_fixture_model import CONFIG  # noqa: E402
from make_random_models import write_hf, write_torchscript  # noqa: E402
from model_manifest import preprocessing  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO_MANIFEST = json.loads((ROOT / "models" / "motis-demo" / "manifest.json").read_text())
PREP = preprocessing(64, "shortest_side_centre_crop", "bicubic", (0.5, 0.45, 0.4), (0.2, 0.25, 0.3))


def tiny_clip(**text_cfg):
    """The clip-tiny fixture's architecture with open_clip's "custom" attention blocks
    (the ones a TorchScript trace keeps convertible), seed 0."""
    config = copy.deepcopy(CONFIG)
    config["vision_cfg"]["block_type"] = config["text_cfg"]["block_type"] = "custom"
    config["text_cfg"].update(text_cfg)
    open_clip.factory._MODEL_CONFIGS["motis-test-tiny"] = config
    torch.manual_seed(0)
    return open_clip.create_model("motis-test-tiny").eval()


def same_keys_as_the_engine_reads(manifest):
    # Keys a manifest may leave out (models/README.md): the demo model has its own world's
    # example searches and a match score measured on that world.
    optional = {"description", "examples", "match_score"}

    def keys(m):
        return set(m) - optional, set(m["image"]), set(m["text"]), set(m["files"][0])
    return keys(manifest) == keys(DEMO_MANIFEST)


def run(folder, tower, value):
    import onnxruntime as ort

    manifest = json.loads((folder / "manifest.json").read_text())
    session = ort.InferenceSession(str(folder / manifest[tower]["file"]), providers=["CPUExecutionProvider"])
    return session.run(None, {manifest[tower]["input"]: value.numpy()})[0]


def test_hf_folder_exports_with_its_own_preprocessing_and_context(tmp_path):
    pytest.importorskip("transformers", reason="needs transformers (scripts/requirements-train.txt)")
    from transformers import CLIPModel

    source = tmp_path / "hf"
    write_hf(source, "tiny")
    config = json.loads((source / "preprocessor_config.json").read_text())
    config.update(image_mean=[0.5, 0.45, 0.4], image_std=[0.2, 0.25, 0.3])
    (source / "preprocessor_config.json").write_text(json.dumps(config))
    manifest = export(hf_towers(source), tmp_path / "models" / "hf", "hf", "hf", {})
    assert same_keys_as_the_engine_reads(manifest)
    assert {k: manifest["image"][k] for k in PREP} == PREP
    assert manifest["text"]["context_length"] == 32 and manifest["text"]["dynamic_length"]

    model = CLIPModel.from_pretrained(source).eval()
    pixels = torch.randn(2, 3, 64, 64)
    full = open_clip.tokenize(["a photo of a dog", "two cats"], context_length=32)
    with torch.no_grad():
        want_image = model.get_image_features(pixel_values=pixels).pooler_output.numpy()
        want_text = model.get_text_features(input_ids=full).pooler_output.numpy()
    np.testing.assert_allclose(run(tmp_path / "models" / "hf", "image", pixels), want_image, atol=1e-5)
    np.testing.assert_allclose(run(tmp_path / "models" / "hf", "text", full[:, :7]), want_text, atol=1e-5)


def test_torchscript_pair_that_needs_the_whole_context_exports_at_that_length(tmp_path):
    clip = tiny_clip()
    image_file, text_file = write_torchscript(clip, tmp_path / "ts")
    folder = tmp_path / "models" / "ts"
    manifest = export(torchscript_towers(image_file, text_file, PREP), folder, "ts", "ts", {})
    assert same_keys_as_the_engine_reads(manifest)
    assert {k: manifest["image"][k] for k in PREP} == PREP
    assert manifest["text"]["context_length"] == 77 and not manifest["text"]["dynamic_length"]

    pixels = torch.randn(3, 3, 64, 64)
    ids = open_clip.tokenize(["a photo of a dog", "two cats", "a red star"])
    with torch.no_grad():
        np.testing.assert_allclose(run(folder, "image", pixels), clip.encode_image(pixels).numpy(), atol=1e-5)
        np.testing.assert_allclose(run(folder, "text", ids), clip.encode_text(ids).numpy(), atol=1e-5)


def test_torchscript_text_encoder_that_takes_any_length_exports_with_a_dynamic_length(tmp_path):
    clip = tiny_clip()
    image_file, _ = write_torchscript(clip, tmp_path / "ts")
    torch.backends.mha.set_fastpath_enabled(False)
    with torch.no_grad():
        torch.jit.trace(TextTower(clip), open_clip.tokenize(["a photo of a cat", "two dogs"])[:, :9]).save(str(tmp_path / "text.pt"))
    folder = tmp_path / "models" / "ts"
    manifest = export(torchscript_towers(image_file, tmp_path / "text.pt", PREP), folder, "ts", "ts", {})
    assert manifest["text"]["dynamic_length"]
    full = open_clip.tokenize(["a photo of a dog on the beach", "two cats"])
    with torch.no_grad():
        np.testing.assert_allclose(run(folder, "text", full[:, :10]), clip.encode_text(full).numpy(), atol=1e-5)


def test_torchscript_of_torch_2_multihead_attention_is_refused_with_the_cause(tmp_path):
    # Regression: the legacy exporter failed deep inside with "ONNX export of transpose
    # for tensor of unknown rank"; the message now says which modules cause it.
    config = copy.deepcopy(CONFIG)
    open_clip.factory._MODEL_CONFIGS["motis-test-tiny-mha"] = config
    torch.manual_seed(0)
    image_file, text_file = write_torchscript(open_clip.create_model("motis-test-tiny-mha").eval(), tmp_path / "ts")
    with pytest.raises(ExportError, match="nn.MultiheadAttention"):
        export(torchscript_towers(image_file, text_file, PREP), tmp_path / "models" / "ts", "ts", "ts", {})


def test_open_clip_text_tower_without_a_causal_mask_runs_at_the_full_context():
    assert open_clip_towers(tiny_clip()).dynamic_length
    assert not open_clip_towers(tiny_clip(no_causal_mask=True)).dynamic_length


def test_export_model_command_writes_the_model_and_its_int8_copy(tmp_path, monkeypatch, capsys):
    image_file, text_file = write_torchscript(tiny_clip(), tmp_path / "ts")
    out = tmp_path / "models"
    monkeypatch.setattr(sys, "argv", [
        "export_model.py", "--torchscript", str(image_file), str(text_file), "--id", "tiny", "--image-size", "64",
        "--mean", "0.5", "0.45", "0.4", "--std", "0.2", "0.25", "0.3", "--out", str(out), "--int8",
    ])
    export_model.main()
    fp32 = json.loads((out / "tiny" / "manifest.json").read_text())
    int8 = json.loads((out / "tiny-int8" / "manifest.json").read_text())
    assert {k: fp32["image"][k] for k in PREP} == PREP
    assert int8["id"] == "tiny-int8" and int8["image"] == fp32["image"] and int8["text"] == fp32["text"]
    assert {f["sha256"] for f in int8["files"]}.isdisjoint(f["sha256"] for f in fp32["files"])
    assert (out / "tokenizers" / "clip-bpe" / "tokenizer.json").is_file()
    printed = capsys.readouterr().out
    assert "int8 image embeddings vs fp32" in printed and "int8 text embeddings vs fp32" in printed
