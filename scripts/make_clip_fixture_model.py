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

from demo_world.export import sha256

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
OUT = FIXTURES / "clip-tiny"
CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    # The token table (49,408 × width) dominates the size: keep the text tower narrow.
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 2},
}


class TextTower(torch.nn.Module):
    """CLIP's encode_text at the input's own length: exact, because the tower is causal
    and pools at the end-of-text token."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, ids):
        clip, length = self.clip, ids.shape[1]
        x = clip.token_embedding(ids) + clip.positional_embedding[:length]
        x = clip.transformer(x, attn_mask=clip.attn_mask[:length, :length])
        x = clip.ln_final(x)
        return x[torch.arange(x.shape[0]), ids.argmax(-1)] @ clip.text_projection


class ImageTower(torch.nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixels):
        return self.clip.encode_image(pixels)


def main() -> None:
    torch.manual_seed(0)
    torch.backends.mha.set_fastpath_enabled(False)
    open_clip.factory._MODEL_CONFIGS["motis-clip-tiny"] = CONFIG
    clip, _, preprocess = open_clip.create_model_and_transforms("motis-clip-tiny", pretrained=None)
    clip.eval()
    OUT.mkdir(parents=True, exist_ok=True)
    image_path, text_path = OUT / "image.onnx", OUT / "text.onnx"
    size = CONFIG["vision_cfg"]["image_size"]
    torch.onnx.export(
        ImageTower(clip), (torch.zeros(2, 3, size, size),), str(image_path),
        input_names=["pixel_values"], output_names=["image_embeds"],
        dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}, opset_version=17, dynamo=False,
    )
    ids = open_clip.tokenize(["a photo of a red star", "two cats"])[:, :8]
    # The legacy exporter bakes the example's length into the attention reshapes; the
    # dynamo exporter keeps the sequence dimension symbolic.
    sequence = torch.export.Dim("sequence", min=2, max=77)
    torch.onnx.export(
        TextTower(clip), (ids,), str(text_path),
        input_names=["input_ids"], output_names=["text_embeds"],
        dynamic_shapes={"ids": {0: torch.export.Dim("batch"), 1: sequence}},
        dynamo=True, external_data=False, optimize=True,
    )
    normalize = next(t for t in preprocess.transforms if type(t).__name__ == "Normalize")
    manifest = {
        "format": 1,
        "id": "clip-tiny",
        "name": "random-weight tiny CLIP (test fixture)",
        "embedding_dim": CONFIG["embed_dim"],
        "normalized": False,
        "image": {
            "file": "image.onnx", "input": "pixel_values", "output": "image_embeds",
            "size": [size, size], "resize": "shortest_side_centre_crop", "interpolation": "bicubic",
            "mean": list(normalize.mean), "std": list(normalize.std),
        },
        "text": {
            "file": "text.onnx", "input": "input_ids", "output": "text_embeds",
            "tokenizer": "clip-bpe", "context_length": 77, "dynamic_length": True,
        },
        "files": [{"path": p.name, "sha256": sha256(p), "bytes": p.stat().st_size} for p in (image_path, text_path)],
        "licence": "MIT",
        "made_by": {"command": "scripts/make_clip_fixture_model.py", "architecture": CONFIG},
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
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
