"""Search a folder of photos by text with a model folder, in Python with onnxruntime.

    python -m demo_world.search --photos build/demo-world/demo/images "two red stars" ...

A reference of the engine's search path for checking a model end to end; the `motis`
CLI is the product. When the folder comes from the renderer, each answer is printed with
a caption of what it really shows, so the answers can be checked by eye.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .onnx_model import MODELS, OnnxModel

EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODELS / "motis-demo")
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("queries", nargs="+")
    args = parser.parse_args()
    model = OnnxModel(args.model)
    paths = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in EXTENSIONS)
    truth = {}
    captions = args.photos.parent / "captions.json"
    if captions.is_file():
        truth = {e["filename"]: e["sentences"][0]["raw"] for e in json.loads(captions.read_text())["images"]}
    images = model.encode_images(paths)
    print(f"{len(paths)} photos in {args.photos}, model {model.manifest['id']}")
    for query, text in zip(args.queries, model.encode_texts(args.queries)):
        print(f'\n"{query}"')
        scores = images @ text
        for i in scores.argsort()[::-1][: args.k]:
            shows = f"  shows: {truth[paths[i].name]}" if paths[i].name in truth else ""
            print(f"  {scores[i]:.3f}  {paths[i].name}{shows}")


if __name__ == "__main__":
    main()
