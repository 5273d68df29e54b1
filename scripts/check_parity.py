"""End-to-end parity: the embeddings `motis embed` prints (the Rust pipeline: decode,
preprocessing, tokenizer, ONNX Runtime) equal the reference implementation's own Python
pipeline, for models exported by scripts/export_model.py.

    .venv/bin/python scripts/check_parity.py                 # the first two models below
    .venv/bin/python scripts/check_parity.py --model hf-clip-vit-b-32-random

Models (random weights; exported into MODELS_DIR first when missing):
  vit-b-32-random          open_clip ViT-B-32 through the open_clip source
  motis-like-random        the MoTIS-like pair through the TorchScript source
                           (scripts/make_random_models.py motis-like)
  hf-clip-vit-b-32-random  a transformers CLIPModel folder through the --hf source
                           (scripts/make_random_models.py hf)

The reference for the first two is open_clip itself: its preprocess on the photo file
opened with PIL, its tokenize, its torch model in float32. For the third it is
transformers' CLIPProcessor and CLIPModel from the folder. The photos (written by this
script into OUT/photos) vary in size, aspect ratio, format, colour mode and EXIF
orientation; the texts are the tokenizer test corpus. Every item must reach cosine
0.9999; the worst per tower is printed and the exit status is 1 when any item falls short.
Two photos (a palette PNG and a translucent PNG) are prepared differently on purpose and
are reported apart (BY_DESIGN). Against transformers, texts that need ftfy's repairs or
HTML unescaping differ too: its CLIPTokenizer does neither, open_clip and motis do both.

`--index` also indexes the photos with `motis index` and compares the embeddings it
stored: that pipeline decodes large JPEGs at a reduced DCT scale. Needs scripts/setup
--train, transformers for the third model, and a built target/release/motis.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_world.draw import render  # noqa: E402
from demo_world.world import sample_scene  # noqa: E402
from make_test_fixtures import _with_orientation  # noqa: E402
from model_manifest import ROOT  # noqa: E402

THRESHOLD = 0.9999
# Photos whose pixels motis prepares differently from Pillow on purpose: reported, not
# counted. Pillow resizes them in their own mode; motis converts every photo to RGB
# first (models/README.md), which keeps palette photos smooth and ignores what hides
# behind transparency.
BY_DESIGN = {
    "palette-320x240.png": "Pillow resizes palette images with nearest-neighbour; motis converts to RGB and resizes bicubic",
    "rgba-translucent-400x300.png": "Pillow resizes RGBA with alpha-weighted colours; motis drops alpha first",
}
# The models checked when none is named: the two the parity goal is set for.
DEFAULT_MODELS = ["vit-b-32-random", "motis-like-random"]
MOTIS = ROOT / "target" / "release" / "motis"
SCRIPTS = ROOT / "scripts"
PYTHON = sys.executable


def write_photos(folder: Path) -> list[Path]:
    """Deterministic photos of the shapes world, textured with noise so that resampling
    has detail to get wrong."""
    folder.mkdir(parents=True, exist_ok=True)

    def photo(name: str, width: int, height: int) -> Image.Image:
        img = render(sample_scene(random.Random(f"parity:{name}")), width, height)
        noise = np.random.default_rng(len(name) * 7919 + width).normal(0, 12, (height, width, 3))
        return Image.fromarray(np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8))

    def translucent(img: Image.Image) -> Image.Image:
        alpha = np.linspace(255, 0, img.width, dtype=np.float32)[None, :].repeat(img.height, 0)
        rgba = img.convert("RGBA")
        rgba.putalpha(Image.fromarray(alpha.astype(np.uint8)))
        return rgba

    saves = {
        "landscape-4x3.jpg": lambda p: photo("landscape", 640, 480).save(p, quality=90),
        "portrait-3x4.jpg": lambda p: photo("portrait", 480, 640).save(p, quality=85),
        "wide-16x9.jpg": lambda p: photo("wide", 1920, 1080).save(p, quality=85),
        "panorama-4x1.jpg": lambda p: photo("panorama", 3200, 800).save(p, quality=90),
        "panorama-tall-1x5.png": lambda p: photo("tall", 300, 1500).save(p),
        "large-4000x3000.jpg": lambda p: photo("large", 4000, 3000).save(p, quality=92),
        "large-4000x3000-q75-444.jpg": lambda p: photo("large444", 4000, 3000).save(p, quality=75, subsampling=0),
        "progressive-1024x768.jpg": lambda p: photo("progressive", 1024, 768).save(p, quality=88, progressive=True),
        "square-300.png": lambda p: photo("square", 300, 300).save(p),
        "exact-224.png": lambda p: photo("exact", 224, 224).save(p),
        "odd-225x224.png": lambda p: photo("odd", 225, 224).save(p),
        "smaller-than-input-150x100.jpg": lambda p: photo("smaller", 150, 100).save(p, quality=90),
        "tiny-7x5.png": lambda p: photo("tiny", 7, 5).save(p),
        "tiny-16x16.jpg": lambda p: photo("tiny16", 16, 16).save(p, quality=90),
        "one-pixel.png": lambda p: photo("one", 1, 1).save(p),
        "grey-500x375.jpg": lambda p: photo("grey", 500, 375).convert("L").save(p, quality=90),
        "grey-333x222.png": lambda p: photo("greypng", 333, 222).convert("L").save(p),
        "rgba-opaque-400x300.png": lambda p: photo("rgba", 400, 300).convert("RGBA").save(p),
        "rgba-translucent-400x300.png": lambda p: translucent(photo("translucent", 400, 300)).save(p),
        "palette-320x240.png": lambda p: photo("palette", 320, 240).convert("P", palette=Image.Palette.ADAPTIVE).save(p),
        "exif-6-640x480.jpg": lambda p: _with_orientation(photo("exif6", 640, 480), p, 6),
        "exif-3-400x300.jpg": lambda p: _with_orientation(photo("exif3", 400, 300), p, 3),
        "exif-8-3000x4000.jpg": lambda p: _with_orientation(photo("exif8", 3000, 4000), p, 8),
    }
    paths = []
    for name, save in saves.items():
        path = folder / name
        if not path.exists():
            save(path)
        paths.append(path)
    return paths


def corpus_texts() -> tuple[list[str], int]:
    """Every fifth string of the tokenizer corpus (1,200 strings: empty, unicode, HTML
    entities, mojibake, over-long, captions); those holding NUL cannot be passed as an
    argument, and their number is returned too."""
    corpus = [entry["text"] for entry in json.loads((ROOT / "tests" / "fixtures" / "tokenizer-corpus.json").read_text())]
    usable = [text for text in corpus if "\0" not in text]
    return usable[::5], len(corpus) - len(usable)


def open_clip_reference(clip, preprocess):
    import open_clip
    import torch

    def image(path: Path) -> np.ndarray:
        with Image.open(path) as img, torch.no_grad():
            # motis shows and encodes photos upright, so the reference sees them upright too.
            return clip.encode_image(preprocess(ImageOps.exif_transpose(img))[None])[0].numpy()

    def text(value: str) -> np.ndarray:
        with torch.no_grad():
            return clip.encode_text(open_clip.tokenize([value], context_length=clip.context_length))[0].numpy()

    return image, text


def vit_b_32_reference(folder: Path):
    import open_clip
    import torch

    torch.manual_seed(0)
    clip, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
    return open_clip_reference(clip.eval(), preprocess)


def motis_like_reference(folder: Path):
    from make_random_models import motis_like_clip

    return open_clip_reference(*motis_like_clip())


def hf_reference(folder: Path):
    import torch
    from transformers import CLIPModel, CLIPProcessor

    processor = CLIPProcessor.from_pretrained(folder)
    model = CLIPModel.from_pretrained(folder).eval()
    context = model.config.text_config.max_position_embeddings

    def image(path: Path) -> np.ndarray:
        with Image.open(path) as img, torch.no_grad():
            # motis shows and encodes photos upright, so the reference sees them upright too.
            pixels = processor(images=ImageOps.exif_transpose(img), return_tensors="pt")["pixel_values"]
            return model.get_image_features(pixel_values=pixels).pooler_output[0].numpy()

    def text(value: str) -> np.ndarray:
        with torch.no_grad():
            ids = processor(text=[value], return_tensors="pt", truncation=True, max_length=context)["input_ids"]
            return model.get_text_features(input_ids=ids).pooler_output[0].numpy()

    return image, text


SOURCES = ROOT / "build" / "sources"
MODELS = {
    "vit-b-32-random": (
        vit_b_32_reference, None,
        [PYTHON, SCRIPTS / "export_model.py", "ViT-B-32", "--pretrained", "none", "--id", "vit-b-32-random", "--int8"],
    ),
    "motis-like-random": (
        motis_like_reference, None,
        [PYTHON, SCRIPTS / "export_model.py", "--torchscript", SOURCES / "motis-like" / "image_encoder.pt",
         SOURCES / "motis-like" / "text_encoder.pt", "--id", "motis-like-random", "--int8"],
    ),
    "hf-clip-vit-b-32-random": (
        hf_reference, SOURCES / "hf-clip-vit-b-32",
        [PYTHON, SCRIPTS / "export_model.py", "--hf", SOURCES / "hf-clip-vit-b-32", "--id", "hf-clip-vit-b-32-random", "--int8"],
    ),
}
MAKE_SOURCE = {
    "motis-like-random": [PYTHON, SCRIPTS / "make_random_models.py", "motis-like", SOURCES / "motis-like"],
    "hf-clip-vit-b-32-random": [PYTHON, SCRIPTS / "make_random_models.py", "hf", SOURCES / "hf-clip-vit-b-32"],
}


def ensure_model(model_id: str, models_dir: Path) -> None:
    if (models_dir / model_id / "manifest.json").is_file():
        return
    if model_id in MAKE_SOURCE and not Path(MAKE_SOURCE[model_id][3]).exists():
        subprocess.run([str(a) for a in MAKE_SOURCE[model_id]], check=True)
    subprocess.run([str(a) for a in MODELS[model_id][2]] + ["--out", str(models_dir)], check=True)


def motis_embed(models_dir: Path, model_id: str, flag: str, value: str) -> np.ndarray:
    # `--flag=value`, so that a text starting with a dash stays a value.
    command = [str(MOTIS), "--models-dir", str(models_dir), "--model", model_id, "embed", f"{flag}={value}", "--json"]
    return np.asarray(json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout))


def motis_index(models_dir: Path, model_id: str, photos: Path, data: Path) -> dict[str, np.ndarray]:
    """The embeddings `motis index` stores for the photos, by file name (read from its
    catalog: the index pipeline has no command that prints them)."""
    subprocess.run(
        [str(MOTIS), "--models-dir", str(models_dir), "--model", model_id, "--data-dir", str(data), "index", str(photos)],
        check=True, capture_output=True,
    )
    with sqlite3.connect(data / "catalog.sqlite") as catalog:
        rows = catalog.execute(
            "SELECT photos.locator, embeddings.vector FROM embeddings JOIN photos ON photos.id = embeddings.photo_id "
            "WHERE embeddings.model LIKE ?", (f"{model_id}@%",),
        ).fetchall()
    return {Path(bytes(path).decode()).name: np.frombuffer(vector, dtype="<f4") for path, vector in rows}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def compare(label: str, cosines: dict[str, float]) -> bool:
    for item in BY_DESIGN.keys() & cosines.keys():
        print(f"  {label}: {item!r} differs by design ({BY_DESIGN[item]}): cosine {cosines.pop(item):.7f}")
    worst = min(cosines, key=cosines.get)
    short = {item: c for item, c in cosines.items() if c < THRESHOLD}
    print(f"  {label}: {len(cosines)} items, worst cosine {cosines[worst]:.7f} ({worst!r}), mean {np.mean(list(cosines.values())):.7f}")
    for item, c in sorted(short.items(), key=lambda kv: kv[1]):
        print(f"    below {THRESHOLD}: {c:.7f} {item!r}")
    return not short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), action="append", help="check only these models [default: all]")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "build" / "models")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "parity", help="where the photos and index data go")
    parser.add_argument("--index", action="store_true", help="also compare what `motis index` stores")
    args = parser.parse_args()
    photos = write_photos(args.out / "photos")
    texts, skipped = corpus_texts()
    print(f"{len(photos)} photos in {args.out / 'photos'}, {len(texts)} texts ({skipped} corpus strings with NUL left out)")
    passed = True
    for model_id in args.model or DEFAULT_MODELS:
        reference, folder, _ = MODELS[model_id]
        ensure_model(model_id, args.models_dir)
        image, text = reference(folder)
        print(f"{model_id}:")
        want = {p.name: image(p) for p in photos}
        passed &= compare("image, motis embed", {
            p.name: cosine(motis_embed(args.models_dir, model_id, "--image", str(p)), want[p.name]) for p in photos
        })
        if args.index:
            stored = motis_index(args.models_dir, model_id, args.out / "photos", args.out / "data" / model_id)
            passed &= compare("image, motis index", {name: cosine(v, want[name]) for name, v in stored.items()})
        passed &= compare("text, motis embed", {t: cosine(motis_embed(args.models_dir, model_id, "--text", t), text(t)) for t in texts})
    print("parity: ok" if passed else f"parity: FAILED (some cosine below {THRESHOLD})")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
