"""Export an open_clip model to a motis model folder (ONNX image and text towers and a
manifest filled from the model's own configuration).

    .venv/bin/python scripts/export_model.py ViT-B-32 --pretrained laion2b_s34b_b79k --out models
    .venv/bin/python scripts/export_model.py ViT-B-32 --pretrained none --id vit-b-32-random --out build/models

`--pretrained none` gives the real architecture with random weights (no download):
what motis's benchmarks and parity checks use on machines without network access.
The model lands in OUT/ID, with the CLIP tokenizer in OUT/tokenizers/clip-bpe; use it
with `motis --models-dir OUT --model ID`. Needs scripts/setup --train.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import open_clip
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clip_export import export, install_tokenizer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("architecture", help="an open_clip model name, e.g. ViT-B-32")
    parser.add_argument("--pretrained", default="none", help="an open_clip pretrained tag or checkpoint file, or none")
    parser.add_argument("--id", help="model id (folder name) [default: derived from the name and tag]")
    parser.add_argument("--out", type=Path, required=True, help="the models folder to write into")
    args = parser.parse_args()
    pretrained = None if args.pretrained == "none" else args.pretrained
    torch.manual_seed(0)
    clip, _, preprocess = open_clip.create_model_and_transforms(args.architecture, pretrained=pretrained)
    model_id = args.id or f"{args.architecture}-{args.pretrained}".lower().replace("/", "-")
    weights = "random weights (seed 0)" if pretrained is None else f"pretrained {args.pretrained}"
    manifest = export(
        clip, preprocess, args.out / model_id, model_id, f"open_clip {args.architecture}, {weights}",
        {"command": "scripts/export_model.py", "architecture": args.architecture, "pretrained": args.pretrained},
    )
    install_tokenizer(args.out)
    total = sum(f["bytes"] for f in manifest["files"])
    print(f"wrote {args.out / model_id} ({total / 1e6:.0f} MB): use it with --models-dir {args.out} --model {model_id}")


if __name__ == "__main__":
    main()
