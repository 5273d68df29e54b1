"""Random-weight stand-ins for models in the forms their authors publish them, so that
export_model.py's sources and the parity check run where no weights can be downloaded.

    .venv/bin/python scripts/make_random_models.py hf build/sources/hf-clip-vit-b-32
    .venv/bin/python scripts/make_random_models.py motis-like build/sources/motis-like

`hf`: a Hugging Face transformers CLIPModel folder of OpenAI's ViT-B/32 shape (config.json,
weights, preprocessor_config.json and CLIP's tokenizer), as `save_pretrained` writes it.
`motis-like`: the architecture of MoTIS's distilled encoders (a ViT-S/16 image encoder,
a 4-layer 512-wide text encoder, a 512-d joint space; scripts/model_configs), built by
open_clip and saved as the two TorchScript files MoTIS publishes: image_encoder.pt takes
normalised [batch, 3, 224, 224] pixels, text_encoder.pt CLIP token ids padded to 77.
Its attention blocks are open_clip's "custom" ones (q, k, v split with `chunk`, as
timm's ViTs and torch 1.x's nn.MultiheadAttention do): a TorchScript file holding
torch 2's nn.MultiheadAttention loses the tensor ranks its ONNX conversion needs.
Seed 0, so the parity check can rebuild the same weights. Needs scripts/setup --train
(`hf` also needs transformers).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import open_clip
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clip_export import MODEL_CONFIGS, Method  # noqa: E402

MOTIS_LIKE = "motis-like-vit-s-16"
HF_SHAPES = {
    "vit-b-32": {
        "text_config": {"hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 12, "num_attention_heads": 8},
        "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
                          "image_size": 224, "patch_size": 32},
        "projection_dim": 512,
    },
    # For tests: the token table (49,408 × width) dominates the size.
    "tiny": {
        "text_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                        "max_position_embeddings": 32},
        "vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                          "image_size": 64, "patch_size": 16},
        "projection_dim": 16,
    },
}


def motis_like_clip():
    """The MoTIS-like model with seed-0 random weights, and open_clip's preprocess for it."""
    open_clip.add_model_config(MODEL_CONFIGS)
    torch.manual_seed(0)
    clip, _, preprocess = open_clip.create_model_and_transforms(MOTIS_LIKE, pretrained=None)
    return clip.eval(), preprocess


def write_torchscript(clip, out: Path) -> tuple[Path, Path]:
    """Trace an open_clip model's two towers into out/image_encoder.pt and
    out/text_encoder.pt. Traced, the text encoder takes exactly the context length, as
    MoTIS's scripted CLIP text encoders do."""
    # The traced graph then holds the plain attention, not the fused inference kernel.
    torch.backends.mha.set_fastpath_enabled(False)
    out.mkdir(parents=True, exist_ok=True)
    size = open_clip.get_model_preprocess_cfg(clip)["size"]
    height, width = (size, size) if isinstance(size, int) else size
    image_file, text_file = out / "image_encoder.pt", out / "text_encoder.pt"
    # Each file carries only its own tower's weights, as MoTIS's do.
    text_only = copy.copy(clip)
    text_only._modules = {name: module for name, module in clip._modules.items() if name != "visual"}
    with torch.no_grad():
        torch.jit.trace(clip.visual, torch.randn(2, 3, height, width)).save(str(image_file))
        ids = open_clip.tokenize(["a photo of a cat", "two dogs"], context_length=clip.context_length)
        torch.jit.trace(Method(text_only, "encode_text"), ids).save(str(text_file))
    return image_file, text_file


def write_hf(out: Path, shape: str = "vit-b-32") -> None:
    """A random-weight CLIPModel folder with CLIP's image processor and tokenizer."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

    torch.manual_seed(0)
    config = CLIPConfig(**HF_SHAPES[shape])
    CLIPModel(config).save_pretrained(out)
    size = config.vision_config.image_size
    CLIPImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size}).save_pretrained(out)
    # open_clip's BPE under the names transformers gives CLIP's special tokens.
    bpe = open_clip.tokenizer.SimpleTokenizer()
    names = {"<start_of_text>": "<|startoftext|>", "<end_of_text>": "<|endoftext|>"}
    vocab = {names.get(token, token): i for token, i in bpe.encoder.items()}
    merges = [pair for pair, _ in sorted(bpe.bpe_ranks.items(), key=lambda item: item[1])]
    CLIPTokenizer(vocab=vocab, merges=merges).save_pretrained(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["hf", "motis-like"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", choices=sorted(HF_SHAPES), default="vit-b-32", help="hf: the model's size")
    args = parser.parse_args()
    if args.kind == "hf":
        write_hf(args.out, args.shape)
        print(f"wrote {args.out}: export it with scripts/export_model.py --hf {args.out}")
    else:
        image_file, text_file = write_torchscript(motis_like_clip()[0], args.out)
        print(f"wrote {image_file} and {text_file}: export them with scripts/export_model.py --torchscript {image_file} {text_file}")


if __name__ == "__main__":
    main()
