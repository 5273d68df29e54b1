"""The committed demo model: intact, loadable, and it understands the shapes world."""

import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from demo_world.captions import ATTRIBUTES, EXAMPLE_SEARCHES, caption
from demo_world.draw import render
from demo_world.onnx_model import ModelError, OnnxModel
from demo_world.photos import STORE_FOR_ORIENTATION, photo_size, save_photo
from demo_world.preprocess import load_upright
from demo_world.stream import pair_scenes
from demo_world.tokenize import END, START
from demo_world.world import COLOURS, HELD_OUT, SHAPES, sample_scene

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "models" / "motis-demo"


@pytest.fixture(scope="module")
def model():
    return OnnxModel(DEMO)


def test_model_files_match_manifest_and_the_models_folder_fits_the_size_budget():
    manifest = json.loads((DEMO / "manifest.json").read_text())
    OnnxModel(DEMO).verify()
    assert {f["path"] for f in manifest["files"]} == {manifest["image"]["file"], manifest["text"]["file"]}
    # Everything motis ships of models: the demo model, its evaluation and the tokenizer.
    total = sum(f.stat().st_size for f in (ROOT / "models").rglob("*") if f.is_file())
    assert total <= 12 * 1000 * 1000, f"models/ takes {total} bytes"


def test_changed_model_file_is_refused(tmp_path):
    for entry in json.loads((DEMO / "manifest.json").read_text())["files"]:
        (tmp_path / entry["path"]).write_bytes((DEMO / entry["path"]).read_bytes())
    (tmp_path / "manifest.json").write_text((DEMO / "manifest.json").read_text())
    with open(tmp_path / "text.onnx", "ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelError, match="text.onnx: sha256"):
        OnnxModel(tmp_path)


def test_onnx_inputs_and_outputs_are_as_the_manifest_says(model):
    manifest = model.manifest
    image_in, = model.image.get_inputs()
    assert image_in.name == manifest["image"]["input"]
    assert image_in.shape[1:] == [3, *manifest["image"]["size"]]
    assert isinstance(image_in.shape[0], str), "batch must be dynamic"
    text_in, = model.text.get_inputs()
    assert text_in.name == manifest["text"]["input"] and text_in.type == "tensor(int64)"
    assert all(isinstance(d, str) for d in text_in.shape), "batch and sequence must be dynamic"
    pixels = np.zeros((3, 3, *manifest["image"]["size"]), dtype=np.float32)
    assert model.encode_pixels(pixels).shape == (3, manifest["embedding_dim"])
    assert model.encode_texts(["a red star"]).shape == (1, manifest["embedding_dim"])


def test_text_embedding_is_the_same_at_real_length_and_padded_to_77(model):
    text = model.manifest["text"]
    ids = model.tokenizer.ids(["two small red stars on a blue background", "a heart above a square"])
    assert ids[0, 0] == START and END in ids[0]
    short = model.text.run([text["output"]], {text["input"]: ids})[0]
    padded = np.zeros((2, 77), dtype=np.int64)
    padded[:, : ids.shape[1]] = ids
    full = model.text.run([text["output"]], {text["input"]: padded})[0]
    np.testing.assert_allclose(short, full, atol=1e-4)


def test_truncation_keeps_the_end_token(model):
    ids = model.tokenizer.ids(["red star " * 100])
    assert ids.shape == (1, 77) and ids[0, -1] == END
    assert np.isfinite(model.encode_texts(["red star " * 100])).all()


def test_a_full_caption_finds_its_own_photo_among_a_handful(model, tmp_path):
    rng = random.Random("handful")
    scenes = [sample_scene(rng) for _ in range(8)]
    paths = []
    for i, scene in enumerate(scenes):
        path = tmp_path / f"{i}.jpg"
        save_photo(render(scene, *photo_size(rng)), path, rng)
        paths.append(path)
    images = model.encode_images(paths, workers=1)
    texts = model.encode_texts([caption(rng, scene, ATTRIBUTES) for scene in scenes])
    best = (texts @ images.T).argmax(1)
    assert list(best) == list(range(len(scenes)))


@pytest.mark.parametrize("orientation", sorted(STORE_FOR_ORIENTATION))
def test_photos_stored_with_an_exif_orientation_load_upright(tmp_path, orientation):
    scene = sample_scene(random.Random("orientation"))
    upright = render(scene, 320, 240)
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    upright.transpose(STORE_FOR_ORIENTATION[orientation]).save(path, quality=95, exif=exif.tobytes())
    with Image.open(path) as stored:
        assert stored.size == (upright.size if orientation <= 4 else upright.size[::-1])
    loaded = np.asarray(load_upright(path), dtype=np.float32)
    assert loaded.shape == (240, 320, 3)
    assert np.abs(loaded - np.asarray(upright, dtype=np.float32)).mean() < 3


def test_the_training_stream_never_shows_a_held_out_composition():
    rng = random.Random("held-out")
    seen = set()
    for _ in range(3000):
        for scene in pair_scenes(rng)[:2]:
            seen |= scene.compositions()
    assert not seen & set(HELD_OUT)
    colours, shapes = {c for c, _ in HELD_OUT}, {s for _, s in HELD_OUT}
    assert colours <= {c for c, _ in seen} and shapes <= {s for _, s in seen}
    assert len(seen) == len(COLOURS) * len(SHAPES) - len(HELD_OUT)


def test_the_manifest_offers_the_example_searches_the_world_defines():
    manifest = json.loads((DEMO / "manifest.json").read_text())
    assert manifest["examples"] == [text for text, _ in EXAMPLE_SEARCHES]


def test_each_example_search_says_what_its_description_states():
    # Written by hand beside their meaning: the words and the meaning must agree, as a
    # caption drawn from that description would.
    for text, description in EXAMPLE_SEARCHES:
        words = text.split()
        for thing in description["things"]:
            for key in ("shape", "colour", "size", "position"):
                if thing[key]:
                    assert any(w.startswith(thing[key]) for w in words), (text, key)
        if description["background"]:
            assert description["background"] in words and "background" in words, text
