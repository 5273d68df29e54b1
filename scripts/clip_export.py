"""Export a CLIP-family model to the ONNX pair and manifest the motis engine reads.

Shared by scripts/export_model.py (open_clip models, Hugging Face CLIPModel folders and
TorchScript pairs) and scripts/make_clip_fixture_model.py (the tiny test fixture). Needs
scripts/setup --train; the Hugging Face source also needs transformers. What needs no
torch (manifests, checksums, int8 copies) is in scripts/model_manifest.py.

Every source becomes `Towers`: two PyTorch modules and the image preprocessing they were
trained with, in the manifest's own terms. From there one path exports, checks and
writes the manifest, whatever the source.

The image tower takes a dynamic batch. The text tower takes a dynamic batch and, where
the tower allows it, a dynamic sequence length (2..context length): exact for CLIP's
causal text towers, which pool at the end-of-text token, and several times faster for
short queries than always running 77 tokens. Outputs are projected but not normalised
(`"normalized": false`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import open_clip
import torch

from model_manifest import (
    ROOT, ExportError, files_entry, hf_image_processor_config, hf_preprocessing, preprocessing, write_manifest,
)

# open_clip configurations of our own (open_clip.add_model_config), e.g. the MoTIS-like model.
MODEL_CONFIGS = ROOT / "scripts" / "model_configs"
CLIP_VOCABULARY = 49408
# Two texts of different lengths: the shorter one is padded to the longer, as the
# engine pads a batch.
CHECK_TEXTS = ["two small red stars on a blue background", "a dog"]


@dataclass
class Towers:
    """A model's two towers as PyTorch modules, and how its photos must be prepared.

    `image` maps pixel_values [batch, 3, height, width] and `text` maps input_ids
    [batch, length] to projected embeddings [batch, dim]. With `dynamic_length` the text
    tower takes any length up to `context_length` and gives at a sequence's own length
    what the full-context run gives. `text_reference` is the model's own text encoder,
    run at the full context to check `text` against, when `text` is a re-implementation.
    """

    image: torch.nn.Module
    text: torch.nn.Module
    context_length: int
    dynamic_length: bool
    preprocessing: dict
    text_reference: torch.nn.Module | None = None


class Method(torch.nn.Module):
    """One method of a model as a module's forward, so that it can be exported;
    `field` picks the tensor out of a structured output."""

    def __init__(self, model, name: str, field: str | None = None):
        super().__init__()
        self.model, self.name, self.field = model, name, field

    def forward(self, x):
        out = getattr(self.model, self.name)(x)
        return getattr(out, self.field) if self.field else out


class TextTower(torch.nn.Module):
    """open_clip CLIP's encode_text at the input's own length."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, ids):
        clip, length = self.clip, ids.shape[1]
        x = clip.token_embedding(ids) + clip.positional_embedding[:length]
        x = clip.transformer(x, attn_mask=clip.attn_mask[:length, :length])
        x = clip.ln_final(x)
        return x[torch.arange(x.shape[0]), ids.argmax(-1)] @ clip.text_projection


def open_clip_towers(clip) -> Towers:
    """An open_clip model, preprocessed as open_clip's own transform for it does."""
    clip.eval()
    cfg = open_clip.get_model_preprocess_cfg(clip)
    resize = {"shortest": "shortest_side_centre_crop", "squash": "squash"}.get(cfg.get("resize_mode", "shortest"))
    if resize is None:
        raise ExportError(f"open_clip resize mode {cfg['resize_mode']!r} is not one motis implements")
    prep = preprocessing(cfg["size"], resize, cfg.get("interpolation", "bicubic"), cfg["mean"], cfg["std"])
    # The sliced re-implementation covers open_clip's own CLIP text tower; other towers
    # (custom text towers, or no causal mask so that padding changes the result) run
    # whole, at the full context.
    causal = (
        isinstance(getattr(clip, "attn_mask", None), torch.Tensor)
        and getattr(clip, "text_pool_type", "argmax") == "argmax"
        and isinstance(getattr(clip, "text_projection", None), torch.nn.Parameter)
    )
    own_text = Method(clip, "encode_text")
    return Towers(
        image=Method(clip, "encode_image"),
        text=TextTower(clip) if causal else own_text,
        context_length=int(clip.context_length),
        dynamic_length=causal,
        preprocessing=prep,
        text_reference=own_text,
    )


def hf_towers(folder: Path) -> Towers:
    """A Hugging Face transformers CLIPModel folder: config.json, preprocessor_config.json
    and the weights. Preprocessing and context length come from the folder's configs."""
    from transformers import CLIPModel

    config = json.loads((folder / "config.json").read_text())
    text_config, vision_config = config.get("text_config", {}), config.get("vision_config", {})
    if text_config.get("vocab_size", CLIP_VOCABULARY) != CLIP_VOCABULARY:
        raise ExportError(f"{folder}: the text tower has {text_config['vocab_size']} token ids; motis feeds CLIP's BPE ({CLIP_VOCABULARY})")
    # CLIPTextTransformer pools at the end-of-text token: the highest id when the config
    # says 2 (configs written before transformers fixed the id), else the first eos id.
    if text_config.get("eos_token_id", 2) not in (2, CLIP_VOCABULARY - 1):
        raise ExportError(f"{folder}: the text tower pools at token {text_config['eos_token_id']}, not CLIP's end-of-text token")
    prep = hf_preprocessing(hf_image_processor_config(folder))
    image_size = vision_config.get("image_size", 224)
    if prep["size"] != [image_size, image_size]:
        raise ExportError(f"{folder}: the image processor makes {prep['size']} pixels, the vision tower takes {image_size}")
    model = CLIPModel.from_pretrained(folder).eval()
    return Towers(
        image=Method(model, "get_image_features", "pooler_output"),
        text=Method(model, "get_text_features", "pooler_output"),
        context_length=int(text_config.get("max_position_embeddings", 77)),
        dynamic_length=True,
        preprocessing=prep,
    )


def torchscript_towers(image_file: Path, text_file: Path, prep: dict, context_length: int = 77) -> Towers:
    """A TorchScript pair as MoTIS publishes it: an image encoder taking normalised
    pixel_values and a text encoder taking CLIP token ids padded to the context. The files
    carry no preprocessing: it comes from the caller."""
    image = torch.jit.load(str(image_file), map_location="cpu").eval()
    text = torch.jit.load(str(text_file), map_location="cpu").eval()
    dynamic = _takes_any_length(text, context_length)
    if not dynamic:
        print(f"{text_file}: the text encoder needs all {context_length} tokens; exported at that fixed length")
    return Towers(image=image, text=text, context_length=context_length, dynamic_length=dynamic, preprocessing=prep)


def _takes_any_length(text, context_length: int) -> bool:
    """Whether a text encoder gives at a text's own length what it gives at the full
    context: true of causal towers pooled at the end token that do not fix the length."""
    full = open_clip.tokenize(CHECK_TEXTS, context_length=context_length)
    with torch.no_grad():
        want = text(full)
        try:
            got = text(full[:, : int(full.argmax(-1).max()) + 1])
        except RuntimeError:
            return False
    return got.shape == want.shape and torch.allclose(got, want, atol=1e-5, rtol=1e-4)


def export(towers: Towers, out: Path, model_id: str, name: str, made_by: dict, licence: str = "see the weights' own licence") -> dict:
    """Write out/image.onnx, out/text.onnx and out/manifest.json; check both towers
    against PyTorch with onnxruntime; return the manifest."""
    torch.backends.mha.set_fastpath_enabled(False)
    out.mkdir(parents=True, exist_ok=True)
    image_path, text_path = out / "image.onnx", out / "text.onnx"
    height, width = towers.preprocessing["size"]
    context = towers.context_length
    # Taken first: the legacy exporter folds batch norms into the convolution weights of
    # the module it exports, in place, so PyTorch answers differently afterwards.
    probe = _Probe(towers)
    _export(towers.image, torch.randn(2, 3, height, width), image_path, "pixel_values", "image_embeds", sequence=None)
    ids = open_clip.tokenize(["a photo of a red star", "two cats"], context_length=context)
    if towers.dynamic_length:
        _export(towers.text, ids[:, :8], text_path, "input_ids", "text_embeds", sequence=context)
    else:
        _export(towers.text, ids, text_path, "input_ids", "text_embeds", sequence=None)
    dim = probe.check(image_path, text_path)
    manifest = {
        "format": 1,
        "id": model_id,
        "name": name,
        "embedding_dim": dim,
        "normalized": False,
        "image": {"file": image_path.name, "input": "pixel_values", "output": "image_embeds", **towers.preprocessing},
        "text": {
            "file": text_path.name, "input": "input_ids", "output": "text_embeds",
            "tokenizer": "clip-bpe", "context_length": context, "dynamic_length": towers.dynamic_length,
        },
        "files": files_entry(image_path, text_path),
        "licence": licence,
        "made_by": made_by,
    }
    write_manifest(out, manifest)
    return manifest


def _export(module, example, path: Path, input_name: str, output_name: str, sequence: int | None) -> None:
    """Batch always dynamic; with `sequence`, the length too, up to that many tokens."""
    if sequence is not None and not isinstance(module, torch.jit.ScriptModule):
        # The legacy exporter bakes the example's length into the attention reshapes; the
        # dynamo exporter keeps the sequence dimension symbolic.
        dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("sequence", min=2, max=sequence)}
        torch.onnx.export(
            module, (example,), str(path), input_names=[input_name], output_names=[output_name],
            dynamic_shapes=(dims,), dynamo=True, external_data=False, optimize=True,
        )
        return
    # The dynamo exporter cannot take TorchScript, and the legacy one exports the image
    # towers as they have always been exported.
    axes = {0: "batch", 1: "sequence"} if sequence is not None else {0: "batch"}
    try:
        torch.onnx.export(
            module, (example,), str(path), input_names=[input_name], output_names=[output_name],
            dynamic_axes={input_name: axes, output_name: {0: "batch"}}, opset_version=17, dynamo=False,
        )
    except torch.onnx.errors.OnnxExporterError as error:
        if not isinstance(module, torch.jit.ScriptModule):
            raise
        cause = str(error).splitlines()[0]
        raise ExportError(
            f"{path.name}: the TorchScript module does not convert to ONNX: {cause}. Modules traced or scripted "
            "from torch 2's nn.MultiheadAttention lose the tensor ranks (or keep the fused fast path) the "
            "conversion needs; export the model from its PyTorch source instead"
        ) from error


class _Probe:
    """Inputs and PyTorch's embeddings of them, to check the ONNX towers against: the
    image batch is not the export example's size; the text batch is cut to its longest
    sequence where the tower allows it, and must give the full-context run's embeddings."""

    def __init__(self, towers: Towers):
        height, width = towers.preprocessing["size"]
        self.pixels = torch.randn(3, 3, height, width)
        full = open_clip.tokenize(CHECK_TEXTS, context_length=towers.context_length)
        self.ids = full[:, : int(full.argmax(-1).max()) + 1] if towers.dynamic_length else full
        with torch.no_grad():
            self.image = towers.image(self.pixels).numpy()
            self.text = (towers.text_reference or towers.text)(full).numpy()

    def check(self, image_path: Path, text_path: Path) -> int:
        """Raises when an ONNX tower differs from PyTorch; returns the embedding size."""
        image_session = ort.InferenceSession(str(image_path), providers=["CPUExecutionProvider"])
        got_image = image_session.run(None, {"pixel_values": self.pixels.numpy()})[0]
        if got_image.shape != self.image.shape:
            raise ExportError(f"{image_path} gives {got_image.shape} for a batch PyTorch answers with {self.image.shape}")
        # Deep random-weight image towers amplify float32 round-off (PyTorch's own float32
        # result lies as far from float64's as onnxruntime's does), so the bound scales
        # with the embedding's length.
        error = np.abs(got_image - self.image).max(1) / np.linalg.norm(self.image, axis=1)
        if not error.max() <= 1e-4:
            raise ExportError(f"{image_path} differs from PyTorch by {error.max():.2e} of the embedding's length")
        text_session = ort.InferenceSession(str(text_path), providers=["CPUExecutionProvider"])
        got_text = text_session.run(None, {"input_ids": self.ids.numpy()})[0]
        np.testing.assert_allclose(got_text, self.text, atol=1e-5, rtol=1e-4, err_msg=f"{text_path} differs from the full-context run")
        if got_image.shape[1] != got_text.shape[1]:
            raise ExportError(f"the image tower gives {got_image.shape[1]} values, the text tower {got_text.shape[1]}")
        return int(got_image.shape[1])
