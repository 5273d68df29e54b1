"""Export a CLIP-family model to a motis model folder (ONNX image and text towers and a
manifest filled from the model's own configuration).

Three sources:

    # an open_clip model: a pretrained tag, a local checkpoint file, or none (random weights)
    .venv/bin/python scripts/export_model.py ViT-B-32 --pretrained laion2b_s34b_b79k --out models
    .venv/bin/python scripts/export_model.py ViT-B-32 --pretrained none --id vit-b-32-random --out build/models
    # a Hugging Face transformers CLIPModel folder (config.json, preprocessor_config.json, weights)
    .venv/bin/python scripts/export_model.py --hf ~/clip-vit-base-patch32 --out models
    # a TorchScript pair as MoTIS publishes it (image encoder, text encoder); TorchScript
    # carries no preprocessing, so it comes from the flags (CLIP's by default)
    .venv/bin/python scripts/export_model.py --torchscript image.pt text.pt --id motis --out models

`--pretrained none` gives the real architecture with random weights (no download):
what motis's benchmarks and parity checks use on machines without network access.
`--int8` also writes a copy with int8 weights as the model `ID-int8` and prints how far
its embeddings drift from fp32's. The model lands in OUT/ID, with the CLIP tokenizer in
OUT/tokenizers/clip-bpe; use it with `motis --models-dir OUT --model ID`. Needs
scripts/setup --train.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import open_clip
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clip_export import MODEL_CONFIGS, export, hf_towers, open_clip_towers, torchscript_towers  # noqa: E402
from model_manifest import (  # noqa: E402
    CLIP_MEAN, CLIP_STD, INTERPOLATIONS, RESIZE_MODES, ROOT, install_tokenizer, int8_drift, preprocessing, write_int8,
)

FIXTURES = ROOT / "tests" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("architecture", nargs="?", help="an open_clip model name, e.g. ViT-B-32")
    source.add_argument("--hf", type=Path, metavar="DIR", help="a Hugging Face transformers CLIPModel folder")
    source.add_argument("--torchscript", type=Path, nargs=2, metavar=("IMAGE.pt", "TEXT.pt"), help="a TorchScript image and text encoder")
    parser.add_argument("--pretrained", default="none", help="open_clip: a pretrained tag or checkpoint file, or none [default: none]")
    ts = parser.add_argument_group("TorchScript preprocessing (CLIP's by default)")
    ts.add_argument("--image-size", type=int, default=224)
    ts.add_argument("--resize", choices=RESIZE_MODES, default="shortest_side_centre_crop")
    ts.add_argument("--interpolation", choices=INTERPOLATIONS, default="bicubic")
    ts.add_argument("--mean", type=float, nargs=3, default=CLIP_MEAN)
    ts.add_argument("--std", type=float, nargs=3, default=CLIP_STD)
    ts.add_argument("--context-length", type=int, default=77)
    parser.add_argument("--id", help="model id (folder name) [default: derived from the source]")
    parser.add_argument("--out", type=Path, required=True, help="the models folder to write into")
    parser.add_argument("--int8", action="store_true", help="also write an int8-weight copy as the model ID-int8")
    args = parser.parse_args()

    torch.manual_seed(0)
    if args.hf:
        model_id = args.id or args.hf.resolve().name.lower()
        towers = hf_towers(args.hf)
        name = f"Hugging Face CLIPModel {args.hf.resolve().name}"
        made_by = {"command": "scripts/export_model.py --hf", "folder": args.hf.resolve().name}
    elif args.torchscript:
        image_file, text_file = args.torchscript
        model_id = args.id or image_file.stem.lower()
        prep = preprocessing(args.image_size, args.resize, args.interpolation, args.mean, args.std)
        towers = torchscript_towers(image_file, text_file, prep, args.context_length)
        name = f"TorchScript {image_file.name} + {text_file.name}"
        made_by = {"command": "scripts/export_model.py --torchscript", "image": image_file.name, "text": text_file.name}
    else:
        pretrained = None if args.pretrained == "none" else args.pretrained
        open_clip.add_model_config(MODEL_CONFIGS)
        clip = open_clip.create_model(args.architecture, pretrained=pretrained)
        model_id = args.id or f"{args.architecture}-{args.pretrained}".lower().replace("/", "-")
        towers = open_clip_towers(clip)
        weights = "random weights (seed 0)" if pretrained is None else f"pretrained {args.pretrained}"
        name = f"open_clip {args.architecture}, {weights}"
        made_by = {"command": "scripts/export_model.py", "architecture": args.architecture, "pretrained": args.pretrained}

    folder = args.out / model_id
    manifest = export(towers, folder, model_id, name, made_by)
    install_tokenizer(args.out)
    report(folder, manifest)
    if args.int8:
        int8 = write_int8(folder)
        corpus = json.loads((FIXTURES / "tokenizer-corpus.json").read_text())
        photos = sorted((FIXTURES / "images").iterdir())
        drift = int8_drift(folder, int8, photos, [entry["text"] for entry in corpus[::6]])
        report(int8, json.loads((int8 / "manifest.json").read_text()))
        for tower, d in drift.items():
            print(f"  int8 {tower} embeddings vs fp32 over {d['items']} items: mean cosine {d['mean_cosine']:.6f}, worst {d['worst_cosine']:.6f}")


def report(folder: Path, manifest: dict) -> None:
    total = sum(f["bytes"] for f in manifest["files"])
    sizes = ", ".join(f"{f['path']} {f['bytes'] / 1e6:.1f} MB" for f in manifest["files"])
    text = manifest["text"]
    length = "any length" if text["dynamic_length"] else f"exactly {text['context_length']} tokens"
    print(f"wrote {folder} ({total / 1e6:.1f} MB: {sizes}; text tower takes {length}): use it with --models-dir {folder.parent} --model {manifest['id']}")


if __name__ == "__main__":
    main()
