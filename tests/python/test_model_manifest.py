"""Manifests from model configurations, and int8 copies: what scripts/export_model.py
writes that needs no torch (scripts/model_manifest.py), so these run with
scripts/requirements.txt alone."""

import json
import shutil
from pathlib import Path

import pytest

from demo_world.onnx_model import OnnxModel
from model_manifest import CLIP_MEAN, CLIP_STD, ExportError, hf_image_processor_config, hf_preprocessing, int8_drift, sha256, write_int8

ROOT = Path(__file__).resolve().parents[2]
CLIP_TINY = ROOT / "tests" / "fixtures" / "clip-tiny"


def test_a_clip_image_processor_left_at_its_defaults_is_clip_preprocessing():
    assert hf_preprocessing({}) == {
        "size": [224, 224], "resize": "shortest_side_centre_crop", "interpolation": "bicubic",
        "mean": list(CLIP_MEAN), "std": list(CLIP_STD),
    }


def test_the_image_processor_s_own_values_reach_the_manifest():
    prep = hf_preprocessing({
        "size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 336}, "do_center_crop": True,
        "resample": 3, "image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.25, 0.3],
    })
    assert prep == {
        "size": [336, 336], "resize": "shortest_side_centre_crop", "interpolation": "bicubic",
        "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3],
    }
    # Legacy configs give sizes as plain numbers.
    assert hf_preprocessing({"size": 256, "crop_size": 256})["size"] == [256, 256]
    squash = hf_preprocessing({"size": {"height": 256, "width": 192}, "do_center_crop": False, "do_normalize": False})
    assert (squash["resize"], squash["size"], squash["mean"], squash["std"]) == ("squash", [256, 192], [0, 0, 0], [1, 1, 1])


@pytest.mark.parametrize("config, cause", [
    ({"resample": 2}, "bilinear"),
    ({"size": {"shortest_edge": 256}, "crop_size": {"height": 224, "width": 224}}, "resizes to"),
    ({"do_center_crop": False}, "without a centre crop"),
    ({"rescale_factor": 1.0}, "rescale_factor"),
    ({"do_convert_rgb": False}, "RGB conversion"),
])
def test_preprocessing_the_engine_cannot_do_is_refused(config, cause):
    with pytest.raises(ExportError, match=cause):
        hf_preprocessing(config)


def test_a_whole_processor_s_config_also_gives_the_image_settings(tmp_path):
    (tmp_path / "processor_config.json").write_text(json.dumps({"image_processor": {"crop_size": {"height": 64, "width": 64}, "size": {"shortest_edge": 64}}}))
    assert hf_preprocessing(hf_image_processor_config(tmp_path))["size"] == [64, 64]
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"crop_size": 32, "size": 32}))
    assert hf_preprocessing(hf_image_processor_config(tmp_path))["size"] == [32, 32]


def test_the_int8_copy_is_its_own_model_with_its_own_checksums(tmp_path):
    fp32 = tmp_path / "clip-tiny"
    shutil.copytree(CLIP_TINY, fp32)
    before = (fp32 / "manifest.json").read_text()
    int8 = write_int8(fp32)
    assert int8 == tmp_path / "clip-tiny-int8"
    assert (fp32 / "manifest.json").read_text() == before
    manifest = json.loads((int8 / "manifest.json").read_text())
    original = json.loads(before)
    assert manifest["id"] == "clip-tiny-int8" and manifest["made_by"]["quantised_from"] == "clip-tiny"
    assert {k: manifest[k] for k in ("image", "text", "embedding_dim", "format")} == {k: original[k] for k in ("image", "text", "embedding_dim", "format")}
    for entry in manifest["files"]:
        path = int8 / entry["path"]
        assert entry["sha256"] == sha256(path) != sha256(fp32 / entry["path"])
        assert entry["bytes"] == path.stat().st_size
    OnnxModel(int8).verify()

    photos = sorted((ROOT / "tests" / "fixtures" / "images").glob("*.jpg"))[:4]
    drift = int8_drift(fp32, int8, photos, ["a red star", "two dogs on a beach"])
    assert drift["image"]["items"] == 4 and drift["text"]["items"] == 2
    assert 0.9 < drift["image"]["worst_cosine"] <= drift["image"]["mean_cosine"] <= 1.0 + 1e-6
    assert json.loads((int8 / "manifest.json").read_text())["made_by"]["cosine_to_fp32"] == drift
