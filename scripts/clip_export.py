"""Export an open_clip model to the ONNX pair and manifest the motis engine reads.

Shared by scripts/export_model.py (real architectures, pretrained or random weights) and
scripts/make_clip_fixture_model.py (the tiny test fixture). Needs scripts/setup --train.

The image tower takes a dynamic batch. The text tower takes a dynamic batch and a
dynamic sequence length (2..context length): exact for CLIP's causal text towers, which
pool at the end-of-text token, and several times faster for short queries than always
running 77 tokens. Outputs are projected but not normalised (`"normalized": false`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import open_clip
import onnxruntime as ort
import torch

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / "models" / "tokenizers" / "clip-bpe" / "tokenizer.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class TextTower(torch.nn.Module):
    """CLIP's encode_text at the input's own length."""

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


def _image_size(clip) -> int:
    size = clip.visual.image_size
    return size[0] if isinstance(size, (tuple, list)) else int(size)


def export(clip, preprocess, out: Path, model_id: str, name: str, made_by: dict) -> dict:
    """Write out/image.onnx, out/text.onnx and out/manifest.json; check both towers
    against PyTorch with onnxruntime; return the manifest."""
    torch.backends.mha.set_fastpath_enabled(False)
    clip.eval()
    out.mkdir(parents=True, exist_ok=True)
    image_path, text_path = out / "image.onnx", out / "text.onnx"
    size = _image_size(clip)
    context = int(clip.context_length)
    pixels = torch.randn(2, 3, size, size)
    torch.onnx.export(
        ImageTower(clip), (pixels,), str(image_path),
        input_names=["pixel_values"], output_names=["image_embeds"],
        dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}, opset_version=17, dynamo=False,
    )
    ids = open_clip.tokenize(["a photo of a red star", "two cats"], context_length=context)[:, :8]
    # The legacy exporter bakes the example's length into the attention reshapes; the
    # dynamo exporter keeps the sequence dimension symbolic.
    sequence = torch.export.Dim("sequence", min=2, max=context)
    torch.onnx.export(
        TextTower(clip), (ids,), str(text_path),
        input_names=["input_ids"], output_names=["text_embeds"],
        dynamic_shapes={"ids": {0: torch.export.Dim("batch"), 1: sequence}},
        dynamo=True, external_data=False, optimize=True,
    )
    _check(clip, image_path, text_path, pixels, context)
    normalize = next(t for t in preprocess.transforms if type(t).__name__ == "Normalize")
    manifest = {
        "format": 1,
        "id": model_id,
        "name": name,
        "embedding_dim": int(clip.text_projection.shape[1]),
        "normalized": False,
        "image": {
            "file": image_path.name, "input": "pixel_values", "output": "image_embeds",
            "size": [size, size], "resize": "shortest_side_centre_crop", "interpolation": "bicubic",
            "mean": [float(m) for m in normalize.mean], "std": [float(s) for s in normalize.std],
        },
        "text": {
            "file": text_path.name, "input": "input_ids", "output": "text_embeds",
            "tokenizer": "clip-bpe", "context_length": context, "dynamic_length": True,
        },
        "files": [{"path": p.name, "sha256": sha256(p), "bytes": p.stat().st_size} for p in (image_path, text_path)],
        "licence": made_by.pop("licence", "see the weights' own licence"),
        "made_by": made_by,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _check(clip, image_path: Path, text_path: Path, pixels, context: int) -> None:
    """The ONNX towers must give PyTorch's embeddings; the short text run must give the
    full 77-token run's."""
    with torch.no_grad():
        image_session = ort.InferenceSession(str(image_path), providers=["CPUExecutionProvider"])
        want = clip.encode_image(pixels).numpy()
        got = image_session.run(None, {"pixel_values": pixels.numpy()})[0]
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-3)
        text_session = ort.InferenceSession(str(text_path), providers=["CPUExecutionProvider"])
        full = open_clip.tokenize(["two small red stars on a blue background"], context_length=context)
        want = clip.encode_text(full).numpy()
        length = int(full.argmax(-1)) + 1
        short = text_session.run(None, {"input_ids": full[:, :length].numpy()})[0]
        np.testing.assert_allclose(short, want, atol=1e-5, rtol=1e-4)


def install_tokenizer(models_dir: Path) -> None:
    """Models find their tokenizer in models_dir/tokenizers/NAME beside them."""
    target = models_dir / "tokenizers" / "clip-bpe" / "tokenizer.json"
    if target.resolve() != TOKENIZER.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TOKENIZER, target)
