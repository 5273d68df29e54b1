"""Export a tiny random-weight model of open_clip's own CLIP architecture (ViT image
tower, causal text transformer) with the reference embeddings of the fixture photos, so
that the engine's path for real CLIP models (centre-crop preprocessing, CLIP's ONNX
graphs) is tested without downloading weights.

    PYTHONPATH=scripts .venv/bin/python scripts/make_clip_fixture_model.py

Writes tests/fixtures/clip-tiny/ (manifest, image.onnx, text.onnx) and
tests/fixtures/clip-tiny-reference.json. Needs scripts/setup --train (torch, open_clip).
Preprocessing is open_clip's own transform for the model (Pillow, bicubic, shortest side,
centre crop), not ours.
"""

from __future__ import annotations

import json
from pathlib import Path

import open_clip
import torch
from PIL import Image, ImageOps

from clip_export import export, open_clip_towers

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
OUT = FIXTURES / "clip-tiny"
CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    # The token table (49,408 × width) dominates the size: keep the text tower narrow.
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 2},
}


def main() -> None:
    torch.manual_seed(0)
    open_clip.factory._MODEL_CONFIGS["motis-clip-tiny"] = CONFIG
    clip, _, preprocess = open_clip.create_model_and_transforms("motis-clip-tiny", pretrained=None)
    manifest = export(
        open_clip_towers(clip), OUT, "clip-tiny", "random-weight tiny CLIP (test fixture)",
        {"command": "scripts/make_clip_fixture_model.py", "architecture": CONFIG}, licence="MIT",
    )
    reference = {"images": {}, "texts": {}}
    with torch.no_grad():
        for path in sorted((FIXTURES / "images").iterdir()):
            with Image.open(path) as img:
                upright = ImageOps.exif_transpose(img).convert("RGB")
            reference["images"][path.name] = [round(float(x), 7) for x in clip.encode_image(preprocess(upright)[None])[0]]
        for text in ["a photo of a red star", "two small red stars on a blue background", "", "A DOG'S ball"]:
            full = clip.encode_text(open_clip.tokenize([text]))[0]
            reference["texts"][text] = [round(float(x), 7) for x in full]
    (FIXTURES / "clip-tiny-reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    total = sum(f["bytes"] for f in manifest["files"])
    print(f"wrote {OUT} ({total / 1e6:.2f} MB) and the reference embeddings of {len(reference['images'])} photos")


if __name__ == "__main__":
    main()
